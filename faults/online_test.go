package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestOnline_AddTableWhileStreaming adds a table with many rows to a task
// that streams another one, both under steady writes: the added table is
// snapshotted while the binlog streams (docs/snapshot.md, Online
// snapshots). Then it is read again on demand (sluice snapshot) while it is
// written. The topic, replayed as upserts, must equal both tables; the
// first table's records never pause for more than a few seconds during the
// snapshot; every key's changes stay in order, and every snapshot record of
// a key carries the state its binlog changes before it left (no snapshot
// row older than a change already sent).
func TestOnline_AddTableWhileStreaming(t *testing.T) {
	needBed(t)
	rows := pick(30_000, 200_000)
	at := addTable(t, "online-add", rows, 2000, 0, 2000)
	defer at.writes.stop()
	db, topic, broker, tp, p, writes := at.db, at.topic, at.broker, at.tp, at.p, at.writes
	file := filepath.Join(tp.Dir, tp.Task+".yaml")
	t.Log(waitLog(t, p, "online snapshot complete", 1, 3*time.Minute))

	// Read b again while it is written: once through the endpoint, then
	// the command, which must find it running; a table the task does not
	// select is refused.
	asked := time.Now()
	code, body := postSnapshot(t, tp.HTTPPort, db+".b")
	if code != http.StatusAccepted {
		t.Fatalf("POST /snapshot: %d %s", code, body)
	}
	if out, err := sluiceCmd("snapshot", "-f", file, "--table", db+".b"); err == nil || !strings.Contains(out, "already runs") {
		t.Errorf("sluice snapshot of a table being read: err %v, output %q; want a refusal saying it already runs", err, out)
	}
	if out, err := sluiceCmd("snapshot", "-f", file, "--table", db+".nope"); err == nil || !strings.Contains(out, "is not selected") {
		t.Errorf("sluice snapshot of an unselected table: err %v, output %q", err, out)
	}
	t.Log(waitLog(t, p, "online snapshot complete", 2, 3*time.Minute))
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"a": {"id"}, "b": {"id"}}, partial: true}, 3*time.Minute)
	inits := checkSnapshotOrder(t, out.Msgs, db+".b")

	first, second := splitAt(inits, asked)
	// Rows changed while their chunk was read come from the binlog instead.
	if len(first) < rows/2 || len(second) < rows/2 {
		t.Errorf("snapshot records of b: %d in the added table's snapshot, %d in the re-read; the table has about %d rows", len(first), len(second), rows)
	}
	gap, lag := freshness(t, out.Msgs, db+".a", first[0], first[len(first)-1])
	span := first[len(first)-1].Sub(first[0])
	t.Logf("RESULT online add: %d rows added, snapshot %d records in %s (%.0f rows/s) while the binlog streamed; "+
		"the other table's largest gap between records %s, largest lag %s (commit time has 1 s resolution); re-read %d records; "+
		"records %d, applied %d, duplicates %d",
		rows, len(first), span.Round(time.Millisecond), float64(len(first))/span.Seconds(),
		gap.Round(time.Millisecond), lag.Round(time.Millisecond), len(second), out.Records, out.Applied, out.Duplicates)
	if gap > 3*time.Second {
		t.Errorf("table a had no record for %s while b was snapshotted: its stream stopped", gap)
	}
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("graceful stop: exit code %d", code)
	}
	if out, err := sluiceCmd("snapshot", "-f", file, "--table", db+".b"); err == nil || !strings.Contains(out, "is not running") {
		t.Errorf("sluice snapshot with the task stopped: err %v, output %q", err, out)
	}
}

// TestOnline_Kill9DuringAddedTableSnapshot kills sluice with SIGKILL while
// a table added to the task is being snapshotted under writes: the next
// start resumes the snapshot with its unfinished chunks (not from zero), and
// the topic still ends equal to the source, per-key order kept.
func TestOnline_Kill9DuringAddedTableSnapshot(t *testing.T) {
	needBed(t)
	rows := pick(20_000, 200_000)
	// The rate cap makes the kill land inside the snapshot.
	at := addTable(t, "online-kill", rows, 1000, pick(5000, 20000), 1500)
	defer at.writes.stop()
	db, topic, broker, tp, p, writes := at.db, at.topic, at.broker, at.tp, at.p, at.writes
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done, total := tableProgress(tp.HTTPPort, "src", db+".b")
		if total > 0 && done >= int64(total)/4 {
			// Long enough for a checkpoint (interval 200ms) to make the
			// first chunks durable; the rate cap keeps the rest unread.
			time.Sleep(time.Second)
			done, _ = tableProgress(tp.HTTPPort, "src", db+".b")
			t.Logf("kill -9 with %d of %d chunks of b injected", done, total)
			break
		}
		if time.Now().After(deadline) || !p.running() {
			t.Fatalf("the snapshot of b never got a quarter through (%d of %d chunks); log:\n%s", done, total, tail(p.log(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.kill9()
	p = tp.start(t)
	resumed := waitLog(t, p, "online snapshot resumes", 1, time.Minute)
	m := regexp.MustCompile(`chunks_left=(\d+) chunks=(\d+)`).FindStringSubmatch(resumed)
	if m == nil {
		t.Fatalf("resume line without counts: %s", resumed)
	}
	left, _ := strconv.Atoi(m[1])
	total, _ := strconv.Atoi(m[2])
	if left <= 0 || left >= total {
		t.Errorf("resumed with %d of %d chunks left; want some done and some left", left, total)
	}
	waitLog(t, p, "online snapshot complete", 1, 3*time.Minute)
	if err := writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"a": {"id"}, "b": {"id"}}, partial: true}, 3*time.Minute)
	inits := checkSnapshotOrder(t, out.Msgs, db+".b")
	t.Logf("RESULT online kill9: %d rows added, resumed with %d of %d chunks left, %d snapshot records of b in the topic, records %d, binlog re-sends %d",
		rows, left, total, len(inits), out.Records, out.Duplicates)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("graceful stop: exit code %d", code)
	}
}

// addedTable is a task that streamed table a of db and was restarted with
// table b, holding rows, added to its file, while a workload writes to both.
type addedTable struct {
	db, topic, broker string
	tp                *topo
	p                 *proc
	writes            *writer
}

// addTable starts the task of addedTable: chunks of chunk rows, at most
// rowsPerSec (0: no cap), the workload at rate row changes a second.
func addTable(t *testing.T, task string, rows, chunk, rowsPerSec, rate int) *addedTable {
	t.Helper()
	at := &addedTable{db: testbed.NewDatabase(t), topic: testbed.NewTopic(t, 4), broker: testbed.Kafka(t)[0]}
	w := bedWorkload(t, at.db, "a", "b")
	w.fill(t, "b", rows)
	at.tp = newTopo(t, task, at.db, at.topic)
	at.tp.Tables = []string{at.db + ".a"}
	at.tp.Start = "initial" // phases.snapshot on: added tables are snapshotted
	at.tp.ChunkSize, at.tp.RowsPerSec = chunk, rowsPerSec
	at.writes = w.run(rate, 0)
	p := at.tp.start(t)
	waitForWrites(t, at.broker, at.topic, 300, time.Minute, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("stop before the change: exit code %d; log:\n%s", code, tail(p.log(), 30))
	}
	at.tp.Tables = []string{at.db + ".a", at.db + ".b"}
	at.p = at.tp.start(t)
	return at
}

// waitLog waits until p's log holds msg n times since p started and returns
// the n-th line.
func waitLog(t *testing.T, p *proc, msg string, n int, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		log := p.log()
		if i := strings.LastIndex(log, "=== sluice "); i >= 0 {
			log = log[i:]
		}
		var found []string
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, msg) {
				found = append(found, line)
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		if !p.running() {
			t.Fatalf("sluice exited (code %d) before logging %q; log:\n%s", p.exit, msg, tail(p.log(), 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not logged %d times within %s; log:\n%s", msg, n, timeout, tail(p.log(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sluiceCmd runs the sluice binary and returns its combined output.
func sluiceCmd(args ...string) (string, error) {
	out, err := exec.Command(sluiceBin, args...).CombinedOutput()
	return string(out), err
}

func postSnapshot(t *testing.T, port int, table string) (int, string) {
	t.Helper()
	resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/snapshot?table=%s", port, table), "", nil)
	if err != nil {
		t.Fatalf("POST /snapshot: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// tableProgress reads a table's snapshot progress from the status endpoint.
func tableProgress(port int, source, table string) (done int64, chunks int) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/status", port))
	if err != nil {
		return 0, 0
	}
	defer resp.Body.Close()
	var v struct {
		Sources []struct {
			Name   string `json:"name"`
			Tables []struct {
				Name       string `json:"name"`
				Chunks     int    `json:"chunks"`
				ChunksDone int64  `json:"chunks_done"`
			} `json:"snapshot_tables"`
		} `json:"sources"`
	}
	if json.NewDecoder(resp.Body).Decode(&v) != nil {
		return 0, 0
	}
	for _, s := range v.Sources {
		for _, tb := range s.Tables {
			if s.Name == source && tb.Name == table {
				return tb.ChunksDone, tb.Chunks
			}
		}
	}
	return 0, 0
}

// checkSnapshotOrder checks, partition by partition, that every snapshot
// record of table carries the state the key's binlog changes before it
// left (the workload's counter n), and that the change after it continues
// from it: a snapshot row older than a change already sent would show as a
// counter that goes back. Binlog records re-sent after a restart (a seq not
// above the partition's highest) are skipped, as consumers drop them. It
// returns the Kafka times of the table's snapshot records, in time order.
func checkSnapshotOrder(t *testing.T, msgs []kafka.Message, table string) []time.Time {
	t.Helper()
	type state struct {
		n       int64
		deleted bool
	}
	keys := map[string]*state{}
	maxSeq := map[int]uint64{}
	var times []time.Time
	problems := 0
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			continue
		}
		if recs[0].Type != "INIT" && recs[0].Seq <= maxSeq[m.Partition] {
			continue
		}
		for _, r := range recs {
			maxSeq[m.Partition] = max(maxSeq[m.Partition], r.Seq)
			if r.Table != table || r.Row["n"] == nil {
				continue
			}
			n, _ := strconv.ParseInt(*r.Row["n"], 10, 64)
			id := *r.Row["id"]
			ks := keys[id]
			if r.Type == "INIT" {
				times = append(times, m.Time)
			}
			switch {
			case ks == nil:
			case ks.deleted && problems < 20:
				problems++
				t.Errorf("%s key %s: %s (n=%d) after its DELETE", table, id, r.Type, n)
			case r.Type == "INIT" && n != ks.n && problems < 20:
				problems++
				t.Errorf("%s key %s: snapshot record with n=%d after a change that left n=%d: a snapshot row older or newer than the stream around it", table, id, n, ks.n)
			case r.Type == "UPDATE" && n != ks.n+1 && problems < 20:
				problems++
				t.Errorf("%s key %s: UPDATE to n=%d after n=%d", table, id, n, ks.n)
			}
			keys[id] = &state{n: n, deleted: r.Type == "DELETE"}
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	if len(times) == 0 {
		t.Fatalf("no snapshot record of %s in the topic", table)
	}
	return times
}

// splitAt splits sorted times at at.
func splitAt(times []time.Time, at time.Time) (before, after []time.Time) {
	i := sort.Search(len(times), func(i int) bool { return !times[i].Before(at) })
	return times[:i], times[i:]
}

// freshness returns, for table's binlog records written to Kafka between
// from and to, the largest gap between two consecutive ones and, for those
// committed after from, the largest delay from commit (Canal's "es", whole
// seconds) to Kafka's timestamp.
func freshness(t *testing.T, msgs []kafka.Message, table string, from, to time.Time) (gap, lag time.Duration) {
	t.Helper()
	var times []time.Time
	for _, m := range msgs {
		if m.Time.Before(from) || m.Time.After(to) || !bytes.Contains(m.Value, []byte(`"table":"`+table[strings.IndexByte(table, '.')+1:]+`"`)) {
			continue
		}
		var v struct {
			Type string `json:"type"`
			ES   int64  `json:"es"`
		}
		if json.Unmarshal(m.Value, &v) != nil || v.Type == "INIT" {
			continue
		}
		times = append(times, m.Time)
		if v.ES < from.UnixMilli() {
			continue // committed before the snapshot began: the backlog of the restart
		}
		if d := m.Time.Sub(time.UnixMilli(v.ES)); d > lag {
			lag = d
		}
	}
	if len(times) < 2 {
		t.Fatalf("%d records of %s between %s and %s", len(times), table, from, to)
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i := 1; i < len(times); i++ {
		gap = max(gap, times[i].Sub(times[i-1]))
	}
	return gap, lag
}

// TestOnline_KeylessTableOverBudgetIsRefused adds a table without a key,
// larger than half the in-flight budget: an online snapshot reads it as one
// chunk and would have to hold it whole, so the task stops naming the table
// and the fixes instead of overrunning its memory bound. Removing the table
// from the file, as the message says, lets the task run again.
func TestOnline_KeylessTableOverBudgetIsRefused(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 1)
	broker := testbed.Kafka(t)[0]
	conn := testbed.AdminConn(t)
	mustExec(t, conn, "CREATE TABLE `"+db+"`.a (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
		"CREATE TABLE `"+db+"`.k (n BIGINT, pad VARCHAR(200))",
		"INSERT INTO `"+db+"`.k SELECT seq, REPEAT('p', 200) FROM `"+db+"`.seq_1_to_10000")
	tp := newTopo(t, "online-keyless", db, topic)
	tp.Start, tp.Inflight = "initial", "1MiB"
	tp.Tables = []string{db + ".a"}
	p := tp.start(t)
	mustExec(t, conn, "INSERT INTO `"+db+"`.a VALUES (1, 0)")
	waitForWrites(t, broker, topic, 0, time.Minute, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("stop before the change: exit code %d", code)
	}
	tp.Tables = []string{db + ".a", db + ".k"}
	p = tp.start(t)
	if code := p.wait(2 * time.Minute); code == 0 {
		t.Fatalf("exit code 0; want a refusal; log:\n%s", tail(p.log(), 20))
	}
	log := p.log()
	for _, want := range []string{"chunk 0 of " + db + ".k (reading rows", "holds more than half the source's in-flight budget", "give the table a primary key", "remove the table"} {
		if !strings.Contains(log, want) {
			t.Errorf("the stop does not say %q; log:\n%s", want, tail(log, 20))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	before, err := endOffsets(ctx, broker, topic)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	tp.Tables = []string{db + ".a"}
	p = tp.start(t)
	mustExec(t, conn, "INSERT INTO `"+db+"`.a VALUES (2, 0)")
	waitForWrites(t, broker, topic, sum(before), time.Minute, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("the task without the table: exit code %d; log:\n%s", code, tail(p.log(), 20))
	}
}

// TestOnline_DDLDuringAddedTableSnapshot alters the added table while it
// is snapshotted under writes: the chunk whose window saw the statement is
// read again after the table is described again, and the topic still ends
// equal to the source, per-key order kept.
func TestOnline_DDLDuringAddedTableSnapshot(t *testing.T) {
	needBed(t)
	rows := 20_000
	at := addTable(t, "online-ddl", rows, 1000, 5000, 1500)
	defer at.writes.stop()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		done, total := tableProgress(at.tp.HTTPPort, "src", at.db+".b")
		if total > 0 && done >= 3 {
			break
		}
		if time.Now().After(deadline) || !at.p.running() {
			t.Fatalf("the snapshot of b never got 3 chunks through; log:\n%s", tail(at.p.log(), 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustExec(t, testbed.AdminConn(t), "ALTER TABLE `"+at.db+"`.b ADD INDEX by_n (n)")
	again := waitLog(t, at.p, "online snapshot: chunk read again", 1, time.Minute)
	if !strings.Contains(again, "ddl=true") {
		t.Errorf("the chunk was read again for another reason: %s", again)
	}
	t.Log(waitLog(t, at.p, "online snapshot complete", 1, 3*time.Minute))
	if err := at.writes.stop(); err != nil {
		t.Fatal(err)
	}
	out := converge(t, at.broker, at.topic, source{conn: testbed.AdminConn(t), db: at.db,
		tables: map[string][]string{"a": {"id"}, "b": {"id"}}, partial: true}, 3*time.Minute)
	checkSnapshotOrder(t, out.Msgs, at.db+".b")
	if code := at.p.term(30 * time.Second); code != 0 {
		t.Errorf("graceful stop: exit code %d", code)
	}
}
