package faults

import (
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestMinimalRowMetadata_DDLWhileStopped runs sluice against a MariaDB that
// logs binlog_row_metadata=MINIMAL, as a stock MySQL 8 or RDS server does:
// row events carry no column names, no keys and no ENUM values. With sluice
// stopped, columns are added in the middle and dropped, and rows written
// between the changes; after the restart every row must reach Kafka under
// the column names and values it was written with (the topic, replayed as
// upserts by key, equals the source column by column).
func TestMinimalRowMetadata_DDLWhileStopped(t *testing.T) {
	needBed(t)
	mb := startPrivate(t, "mariadb", "SLUICE_BED_ROW_METADATA=MINIMAL")
	admin := mb.admin(t)
	if r, err := admin.Execute("SELECT @@binlog_row_metadata"); err != nil {
		t.Fatal(err)
	} else if v, _ := r.GetString(0, 0); v != "MINIMAL" {
		t.Fatalf("private MariaDB logs binlog_row_metadata=%s, want MINIMAL", v)
	}
	mustExec(t, admin, "CREATE DATABASE minimal_test",
		"CREATE TABLE minimal_test.items (id INT UNSIGNED PRIMARY KEY, name VARCHAR(32), kind ENUM('small','large'), big BIGINT UNSIGNED)",
		"INSERT INTO minimal_test.items VALUES (1, 'one', 'small', 18446744073709551615), (2, 'two', 'large', 1)")

	topic := testbed.NewTopic(t, 2)
	tp := newTopo(t, "minimal", "minimal_test", topic)
	tp.pointAt(t, mb.addr)
	tp.Start = "initial"
	tables := map[string][]string{"items": {"id"}}
	p := tp.start(t)
	mustExec(t, admin, "INSERT INTO minimal_test.items VALUES (3, 'three', 'large', 4294967296)",
		"UPDATE minimal_test.items SET name = 'uno', kind = 'large' WHERE id = 1")
	converge(t, tp.Brokers, topic, source{conn: admin, db: "minimal_test", tables: tables}, time.Minute)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}

	// While sluice is down: a column in the middle, rows, a dropped column,
	// more rows. The events before each change must decode with the
	// definition they were written under.
	mustExec(t, admin, "ALTER TABLE minimal_test.items ADD COLUMN note VARCHAR(16) AFTER name",
		"INSERT INTO minimal_test.items VALUES (4, 'four', 'n4', 'small', 4)",
		"UPDATE minimal_test.items SET note = 'n2' WHERE id = 2",
		"ALTER TABLE minimal_test.items DROP COLUMN kind",
		"INSERT INTO minimal_test.items VALUES (5, 'five', 'n5', 5)",
		"DELETE FROM minimal_test.items WHERE id = 3",
		// Row 1's last record predates the new column: a row's record keeps
		// the shape it was written under, so touch it to compare it whole.
		"UPDATE minimal_test.items SET name = 'uno2' WHERE id = 1")
	p = tp.start(t)
	out := converge(t, tp.Brokers, topic, source{conn: admin, db: "minimal_test", tables: tables}, time.Minute)
	t.Logf("RESULT minimal-metadata: records %d, source rows verified %d, lost 0, duplicates %d", out.Records, out.Rows, out.Duplicates)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
}
