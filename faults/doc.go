// Package faults is Sluice's fault-tolerance suite: tests that run the real
// sluice binary against the real MariaDB and Kafka of the test bed while a
// workload writes, inject a fault (kill -9, SIGTERM, a stopped broker, a cut
// or slow network, a purged binlog, a failover to a promoted replica, an
// oversize row, DDL, a TRUNCATE ignore_ddl drops, bad input), and
// then prove the guarantees of docs/DESIGN.md: every committed change
// arrives (replayed as upserts, the topics equal the source tables row for
// row), duplicates only after the last checkpoint, one partition per key,
// per-key order, bounded memory, and clear terminal errors.
//
// It is test-only: apart from Proxy, a loopback TCP proxy the tests put
// between sluice and MariaDB to cut and slow the connection, everything lives
// in _test.go files, and nothing in the product imports this package.
//
// Two forms:
//
//	go test ./faults/                       short form, part of `make test`
//	go test ./faults/ -chaos                long form, `make chaos`
//	SLUICE_CHAOS=1 go test ./faults/        the same
//
// The long form kills sluice at least 20 times and keeps Kafka down for five
// minutes. Results are recorded in docs/reliability.md.
//
// Sharp edges:
//   - Tests never stop or purge the shared bed's services, which other
//     packages' tests use in parallel. Kafka outages use a private broker,
//     binlog purges a private MariaDB and failovers two (a primary and its
//     GTID replica, SLUICE_BED_SERVER_ID), each started with testbed/up.sh
//     (SLUICE_BED_ONLY) on free ports in a temporary bed dir and stopped in
//     Cleanup; MariaDB outages go through a Proxy.
//   - TestMain builds bin/sluice once into a temporary directory; `go test
//     -short` builds nothing and skips every test that needs the bed.
package faults
