// Package testbed connects tests to the real services of the Sluice test bed:
// a MariaDB server with a ROW binlog and full row metadata, a single-node
// Kafka 4 (KRaft) cluster and a one-member etcd, all started by testbed/up.sh
// (`make testbed-up`).
//
// Tests find the services through environment variables, each with a default
// that matches testbed/up.sh:
//
//	SLUICE_MYSQL_ADDR            127.0.0.1:33306
//	SLUICE_MYSQL_USER            sluice        (SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW)
//	SLUICE_MYSQL_PASSWORD        sluice
//	SLUICE_MYSQL_ADMIN_USER      sluice_admin  (ALL WITH GRANT OPTION, for test setup)
//	SLUICE_MYSQL_ADMIN_PASSWORD  admin
//	SLUICE_KAFKA_BROKERS         127.0.0.1:19092 (comma separated)
//	SLUICE_ETCD_ENDPOINTS        127.0.0.1:32379 (comma separated)
//	SLUICE_BED_DIR               ~/.cache/sluice-bed (data, logs and pid files)
//
// Every helper takes a testing.TB and fails the test, naming `make testbed-up`
// and the service's log file, when the service does not answer. It never
// skips: a test that needs the bed and cannot reach it is a failed test. Tests
// that need the bed should call t.Skip under testing.Short themselves, so that
// `go test -short ./...` runs without it.
//
// What it is not: a fake, a fixture framework or a place for assertions about
// Sluice's output. Throw-away resources (databases from NewDatabase, topics
// from NewTopic, etcd key prefixes from NewEtcdPrefix) carry random names and
// are removed in t.Cleanup, so tests in different packages may share one bed
// and run in parallel.
//
// Sharp edges: the sluice account can read the binlog of every database on
// the server, so a binlog reader must filter on its own database; and topics
// are created asynchronously by Kafka, so NewTopic waits until every partition
// has a leader before it returns.
package testbed
