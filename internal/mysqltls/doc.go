// Package mysqltls maps a MySQL or MariaDB source's TLS settings
// (topology.TLS) to a crypto/tls configuration, with the meaning of MySQL's
// --ssl-mode: disabled (no TLS), required (encrypted, the server is not
// authenticated), verify-ca (the server's chain must lead to the CA in
// ca_file, whatever its name) and verify-identity (the chain and the server
// name). Every connection Sluice makes to a source — snapshot reads, the
// binlog stream, position queries, precheck — goes through Config, so one
// mode means the same thing everywhere.
//
// What it is not: a dialer or a connection pool; it opens no socket. It does
// not read the server's TLS settings either: a server without TLS fails the
// handshake in the MySQL client ("does not support TLS") for every mode but
// disabled.
//
// Sharp edges:
//   - Both verify modes check the chain themselves in VerifyConnection (with
//     InsecureSkipVerify set, so that crypto/tls does not check it twice), to
//     return an error that names the CA file, the server name and the fix. A
//     caller that edits the returned configuration must keep that hook.
//   - Without ca_file the verify modes trust the system roots.
//   - Configuration mistakes (unreadable files, an unknown mode) and failed
//     verifications are terminal (errkind.Terminal): retrying cannot fix them.
//     The errors name file paths, never the contents of a key.
package mysqltls
