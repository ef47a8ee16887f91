package binlogreader

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/topology"
)

// Regression: the first UPDATE of a system-versioned table stopped the task
// ("the binlog has 4 columns, the schema history 2"): its binlog rows carry
// the hidden ROW_START and ROW_END, and every UPDATE and DELETE also logs
// the history row it keeps. Only current rows are changes; the period
// columns are published only when the table declares them.
func TestStream_Bed_SystemVersionedTable(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, tc := range []struct {
		name, ddl string
		cols      int // published columns
	}{
		{"implicit", "CREATE TABLE %s (id INT PRIMARY KEY, a VARCHAR(10)) WITH SYSTEM VERSIONING", 2},
		{"declared", "CREATE TABLE %s (id INT PRIMARY KEY, s TIMESTAMP(6) GENERATED ALWAYS AS ROW START, " +
			"e TIMESTAMP(6) GENERATED ALWAYS AS ROW END, a VARCHAR(10), PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING", 4},
		{"declared invisible", "CREATE TABLE %s (id INT PRIMARY KEY, a VARCHAR(10), " +
			"s TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE, e TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, " +
			"PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := bedSource(t)
			db := testbed.NewDatabase(t)
			q := "`" + db + "`.v"
			testbed.AdminExec(t, strings.Replace(tc.ddl, "%s", q, 1), "CREATE TABLE `"+db+"`.plain (id INT PRIMARY KEY)")
			s := openWithHistory(t, src, db)
			a := func(c change.Change) int { return c.Table.ColumnIndex("a") }
			testbed.AdminExec(t,
				"INSERT INTO "+q+" (id, a) VALUES (1, 'one'), (2, 'two')",
				"UPDATE "+q+" SET a = 'uno' WHERE id = 1",
				"DELETE FROM "+q+" WHERE id = 2",
				"INSERT INTO `"+db+"`.plain VALUES (9)")
			rows, _, err := readRows(t, s, 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range rows {
				img := c.After
				if img == nil {
					img = c.Before
				}
				if c.Table.Name == "v" && len(img) != tc.cols {
					t.Errorf("%v has %d values, want %d: %v", c.Op, len(img), tc.cols, img)
				}
				if c.Table.Name == "plain" {
					got = append(got, "plain")
					continue
				}
				got = append(got, c.Op.String()+" "+img[a(c)].(string))
			}
			if want := "insert one,insert two,update uno,delete two,plain"; strings.Join(got, ",") != want {
				t.Fatalf("changes %q, want %s", got, want)
			}
		})
	}
}

// MariaDB logs the changes of a table versioned by transaction id as
// statements: the reader stops, saying so (the precheck fails such a table
// beforehand).
func TestStream_Bed_VersionedByTransactionIsTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	src := bedSource(t)
	db := testbed.NewDatabase(t)
	q := "`" + db + "`.v"
	testbed.AdminExec(t, "CREATE TABLE "+q+" (id INT PRIMARY KEY, a VARCHAR(10), "+
		"s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, "+
		"PERIOD FOR SYSTEM_TIME(s, e)) ENGINE=InnoDB WITH SYSTEM VERSIONING")
	s := openWithHistory(t, src, db)
	testbed.AdminExec(t, "INSERT INTO "+q+" (id, a) VALUES (1, 'one')")
	_, _, err := readRows(t, s, 1, nil)
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "versioned by transaction id") || !strings.Contains(err.Error(), db+".v") {
		t.Fatalf("err = %v; want terminal, naming the table and the reason", err)
	}
}

// openWithHistory opens a stream at the binlog's end selecting db, with a
// schema history as the engine runs it.
func openWithHistory(t *testing.T, src *topology.Source, db string) *Stream {
	t.Helper()
	sel := func(d, _ string) bool { return d == db }
	hist := schema.New(schema.Config{Source: src, Store: newMemStore(t), Select: sel})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Source: src, Select: sel, History: hist}, Resume{NextSeq: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
