package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestDDL_WhileStreaming runs ADD COLUMN, DROP COLUMN and RENAME TABLE (out
// of the selection and into it) while writes continue. With FULL row
// metadata, rows written after an ADD COLUMN carry the new column and rows
// after a DROP COLUMN lack it; a table renamed out of the selection stops
// syncing, and one renamed into it starts.
func TestDDL_WhileStreaming(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 3)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "w1", "w2", "w3", "zz4")
	w.setTables("w1", "w2", "w3")
	exec := func(stmts ...string) {
		t.Helper()
		for i := range stmts {
			stmts[i] = strings.ReplaceAll(stmts[i], "$db", "`"+db+"`")
		}
		testbed.AdminExec(t, stmts...)
	}
	exec("ALTER TABLE $db.w2 ADD COLUMN dropme INT NOT NULL DEFAULT 7")
	tp := newTopo(t, "ddl", db, topic)
	tp.Tables = []string{db + ".w*"}
	writes := w.run(2000, 0)
	defer writes.stop()
	p := tp.start(t)
	waitForWrites(t, broker, topic, 0, 30*time.Second, p)

	step := func(what string, stmts ...string) {
		t.Helper()
		time.Sleep(2 * time.Second)
		exec(stmts...)
		t.Logf("%s while writing (%d row changes so far)", what, w.changes.Load())
	}
	step("ADD COLUMN", "ALTER TABLE $db.w1 ADD COLUMN extra VARCHAR(16) NOT NULL DEFAULT 'new'")
	step("DROP COLUMN", "ALTER TABLE $db.w2 DROP COLUMN dropme")
	w.setTables("w1", "w2") // the workload keeps no handle on w3 past here
	step("RENAME out", "RENAME TABLE $db.w3 TO $db.gone3")
	exec("INSERT INTO $db.gone3 (id, n, v) VALUES (1, 0, 'must not sync')", "UPDATE $db.gone3 SET n = n + 1 LIMIT 5")
	exec(fmt.Sprintf("INSERT INTO $db.zz4 (id, n, v) VALUES %s", rowsValues(1, 50)))
	step("RENAME in", "RENAME TABLE $db.zz4 TO $db.w4")
	w.setTables("w1", "w2", "w4")
	time.Sleep(2 * time.Second)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	// Touch every row once more, so that the topic's last record of each
	// carries its current columns (and the rows of w4 written before it
	// joined the selection show up).
	exec("UPDATE $db.w1 SET n = n + 1", "UPDATE $db.w2 SET n = n + 1", "UPDATE $db.w4 SET n = n + 1")

	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db, partial: true,
		also:   map[string][]string{"w3": {"id"}},
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}, "w4": {"id"}}}, 2*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	// Column sets, table by table, of the records after each DDL.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	msgs, err := verify.ReadAll(ctx, broker, topic)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]verify.Row{}
	gone := 0
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			switch r.Table {
			case db + ".gone3":
				gone++
			case db + ".w1", db + ".w2", db + ".w4":
				if r.Type == "DELETE" {
					delete(last, r.Table+"/"+*r.Row["id"]) // gone before the final UPDATE
				} else {
					last[r.Table+"/"+*r.Row["id"]] = r.Row
				}
			}
		}
	}
	if gone > 0 {
		t.Errorf("%d records of %s.gone3, renamed out of the selection", gone, db)
	}
	for k, row := range last {
		if strings.HasPrefix(k, db+".w1/") {
			if v := row["extra"]; v == nil || *v != "new" {
				t.Errorf("%s: last record lacks the added column extra='new': %v", k, show(row))
				break
			}
		}
		if strings.HasPrefix(k, db+".w2/") {
			if _, ok := row["dropme"]; ok {
				t.Errorf("%s: last record still has the dropped column dropme", k)
				break
			}
		}
	}
	t.Logf("RESULT ddl: ADD COLUMN, DROP COLUMN, RENAME out, RENAME in; row changes written %d, source rows verified %d, records %d, lost 0, duplicates %d, records of the renamed-out table %d",
		w.changes.Load(), out.Rows, out.Records, out.Duplicates, gone)
}

// rowsValues renders (id, n, v) tuples for ids lo..hi.
func rowsValues(lo, hi int) string {
	var b strings.Builder
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "(%d, 0, 'r%d')", i, i)
	}
	return b.String()
}

func show(r verify.Row) string {
	var parts []string
	for c, v := range r {
		if v == nil {
			parts = append(parts, c+"=NULL")
		} else {
			parts = append(parts, c+"="+*v)
		}
	}
	return strings.Join(parts, " ")
}
