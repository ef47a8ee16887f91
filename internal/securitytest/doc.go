// Package securitytest proves Sluice's security settings against the real
// services of the test bed (testbed/up.sh): TLS to MariaDB in each mode of
// sources[].tls (disabled, required, verify-ca, verify-identity) through the
// binlog reader and the snapshot reader; TLS, mutual TLS and SASL (PLAIN,
// SCRAM-SHA-256, SCRAM-SHA-512) to Kafka through the Kafka writer; that a
// wrong CA, a wrong server name or a wrong password fails at once with one
// clear, terminal message in `sluice precheck` and `sluice run`; that secrets
// never appear in anything sluice prints or serves; and that the HTTP
// endpoint refuses a non-loopback address without a token and enforces the
// token when one is set.
//
// What it is not: product code. It holds tests only (and this file); nothing
// imports it. The settings it proves are documented in docs/security.md.
//
// What the tests need from the bed: MariaDB serving TLS with the bed's
// certificates ($SLUICE_BED_DIR/tls, made by testbed/up.sh with openssl),
// and Kafka's SASL_SSL listener (127.0.0.1:19094, $SLUICE_KAFKA_SASL_BROKER)
// and mutual-TLS SSL listener (127.0.0.1:19095, $SLUICE_KAFKA_SSL_BROKER).
// A bed started before these existed is restarted once by `make testbed-up`.
//
// Sharp edges:
//   - Every test makes its own accounts with random names and passwords —
//     MariaDB users with the admin account, SCRAM users with Kafka's
//     AlterUserScramCredentials API over the PLAINTEXT listener — and drops
//     them in Cleanup, so the secrets a test looks for are unique to it.
//   - TestMain builds bin/sluice into a temporary directory once; `go test
//     -short` builds nothing and skips every test.
//   - The MariaDB server certificate is valid for 127.0.0.1 and localhost
//     only: verify-identity tests of a wrong name use tls.server_name.
package securitytest
