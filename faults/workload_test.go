package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// workloadDDL creates a workload table: every UPDATE adds one to n, so
// verify.AuditTopic can see a lost or reordered change of a row.
const workloadDDL = "CREATE TABLE `%s`.`%s` (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, v VARCHAR(64) NOT NULL, pad VARCHAR(200))"

// workload writes transactions of inserts, updates and deletes to a few
// tables from one connection: each transaction inserts 10 rows into one
// table, updates 10 (n = n+1) and deletes 2. Keys are never reused.
type workload struct {
	db     string
	tables []string
	conn   *client.Conn
	rng    *rand.Rand

	mu   sync.Mutex
	live map[string][]int64
	next int64

	changes atomic.Int64 // row changes committed
	txns    atomic.Int64
	ops     [3]atomic.Int64 // rows inserted, updated, deleted

	// Per transaction: rows inserted, updated and deleted.
	Insert, Update, Delete int
	// Pad is the length of the pad column of inserted rows.
	Pad int
}

// newWorkload connects to addr as user and creates the tables in db.
func newWorkload(t *testing.T, addr, user, password, db string, tables ...string) *workload {
	t.Helper()
	conn, err := client.ConnectWithTimeout(addr, user, password, db, 5*time.Second)
	if err != nil {
		t.Fatalf("workload: connect to %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	w := &workload{db: db, tables: tables, conn: conn, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7)),
		live: map[string][]int64{}, next: 1 << 32, Insert: 10, Update: 10, Delete: 2, Pad: 100}
	for _, tb := range tables {
		if _, err := conn.Execute(fmt.Sprintf(workloadDDL, db, tb)); err != nil {
			t.Fatalf("workload: create %s.%s: %v", db, tb, err)
		}
	}
	return w
}

// bedWorkload is a workload on the shared bed's MariaDB, as the admin.
func bedWorkload(t *testing.T, db string, tables ...string) *workload {
	t.Helper()
	cfg := testbed.MySQL(t)
	return newWorkload(t, cfg.Addr, cfg.AdminUser, cfg.AdminPassword, db, tables...)
}

// fill inserts rows 1..n into table in one statement per 20000 rows, using
// MariaDB's sequence engine.
func (w *workload) fill(t *testing.T, table string, n int) {
	t.Helper()
	for lo := 1; lo <= n; lo += 20000 {
		hi := min(lo+19999, n)
		q := fmt.Sprintf("INSERT INTO `%s`.`%s` SELECT seq, 0, CONCAT('v', seq), REPEAT('p', %d) FROM seq_%d_to_%d", w.db, table, w.Pad, lo, hi)
		if _, err := w.conn.Execute(q); err != nil {
			t.Fatalf("workload: fill %s: %v", table, err)
		}
	}
	w.mu.Lock()
	ids := w.live[table]
	for i := 1; i <= n; i++ {
		ids = append(ids, int64(i))
	}
	w.live[table] = ids
	w.mu.Unlock()
}

// setTables changes the tables the workload writes to, from its next
// transaction on.
func (w *workload) setTables(tables ...string) {
	w.mu.Lock()
	w.tables = tables
	w.mu.Unlock()
}

// step runs one transaction on a random table.
func (w *workload) step() error {
	w.mu.Lock()
	table := w.tables[w.rng.IntN(len(w.tables))]
	ids := w.live[table]
	var ins []string
	var newIDs []int64
	for range w.Insert {
		id := w.next
		w.next++
		newIDs = append(newIDs, id)
		ins = append(ins, fmt.Sprintf("(%d,0,'i%d',REPEAT('q',%d))", id, id, w.Pad))
	}
	// Distinct rows to update and delete, from the rows live before this
	// transaction.
	pickN := func(n int) []int64 {
		var out []int64
		for range n {
			if len(ids) == 0 {
				break
			}
			j := w.rng.IntN(len(ids))
			out = append(out, ids[j])
			ids[j] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
		}
		return out
	}
	del := pickN(w.Delete)
	upd := pickN(w.Update)
	ids = append(ids, upd...)
	w.mu.Unlock()

	if err := w.conn.Begin(); err != nil {
		return err
	}
	var n int64
	var ops [3]int64
	op := 0
	run := func(q string) error {
		r, err := w.conn.Execute(q)
		if err != nil {
			return err
		}
		n += int64(r.AffectedRows)
		ops[op] += int64(r.AffectedRows)
		return nil
	}
	qt := "`" + w.db + "`.`" + table + "`"
	err := run("INSERT INTO " + qt + " (id, n, v, pad) VALUES " + strings.Join(ins, ","))
	if op = 1; err == nil && len(upd) > 0 {
		err = run("UPDATE " + qt + " SET n = n + 1, v = CONCAT('u', n + 1) WHERE id IN (" + join(upd) + ")")
	}
	if op = 2; err == nil && len(del) > 0 {
		err = run("DELETE FROM " + qt + " WHERE id IN (" + join(del) + ")")
	}
	if err == nil {
		err = w.conn.Commit()
	}
	if err != nil {
		_ = w.conn.Rollback()
		// Put the picked rows back: nothing changed.
		w.mu.Lock()
		w.live[table] = append(ids, del...)
		w.mu.Unlock()
		return fmt.Errorf("workload transaction on %s: %w", table, err)
	}
	w.mu.Lock()
	w.live[table] = append(ids, newIDs...)
	w.mu.Unlock()
	w.changes.Add(n)
	w.txns.Add(1)
	for i, c := range ops {
		w.ops[i].Add(c)
	}
	return nil
}

func join(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// writer is a running workload.
type writer struct {
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

// run writes in a goroutine, at most rate row changes per second (0: as fast
// as it can), until stop is called or limit changes were written (0: no
// limit).
func (w *workload) run(rate int, limit int64) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	wr := &writer{cancel: cancel, errc: make(chan error, 1)}
	go func() {
		start := time.Now()
		base := w.changes.Load()
		for ctx.Err() == nil {
			done := w.changes.Load() - base
			if limit > 0 && done >= limit {
				break
			}
			if rate > 0 {
				if ahead := time.Duration(float64(done)/float64(rate)*float64(time.Second)) - time.Since(start); ahead > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(ahead):
					}
					continue
				}
			}
			if err := w.step(); err != nil {
				wr.errc <- err
				return
			}
		}
		wr.errc <- nil
	}()
	return wr
}

// stop ends the writes and returns the first error.
func (wr *writer) stop() error {
	wr.once.Do(func() { wr.cancel(); wr.err = <-wr.errc })
	return wr.err
}

// wait waits up to timeout for the writes to reach their limit, then stops
// them; it returns the first error.
func (wr *writer) wait(timeout time.Duration) error {
	var err error
	wr.once.Do(func() {
		select {
		case wr.err = <-wr.errc:
		case <-time.After(timeout):
			wr.cancel()
			<-wr.errc
			wr.err = fmt.Errorf("workload did not reach its limit in %s", timeout)
		}
	})
	err = wr.err
	return err
}
