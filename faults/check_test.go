package faults

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
	"github.com/sluicecdc/sluice/verify"
)

// outcome is what a scenario's final check found.
type outcome struct {
	Records    int // row records in the topic
	Applied    int // applied by the replay
	Duplicates int // dropped by the replay as re-sends (same or older seq)
	Rewinds    int // places where a partition started over from an older seq
	Rows       int // source rows compared, value by value
	Msgs       []kafka.Message
}

// source says where to read the tables a topic must equal.
type source struct {
	conn   *client.Conn
	db     string
	tables map[string][]string // table → key columns
	// partial: the topic need not hold the tables' whole history (a key's
	// first record may be an UPDATE or DELETE).
	partial bool
	// also lists tables whose records may be in the topic (with their key
	// columns) but that are not compared: tables renamed away.
	also map[string][]string
	// sink is the sink that wrote the topic, for its format and settings;
	// nil: canal-json as DTS writes it.
	sink *topology.Sink
}

// keyCols maps db.table → key columns, as verify wants them.
func (s source) keyCols() map[string][]string {
	out := map[string][]string{}
	for tb, cols := range s.also {
		out[s.db+"."+tb] = cols
	}
	for tb, cols := range s.tables {
		out[s.db+"."+tb] = cols
	}
	return out
}

// converge waits until the topic is quiet, then replays it and compares it
// with the source tables with verify.Compare (what sluice verify runs:
// chunked checksums, then the differing chunks row by row, as the sluice
// account), again and again until they are equal or timeout passes. Then
// it audits the topic (re-sends identical, one partition per key, per-key
// order without gaps on the counter column n) and fails the test on any
// problem.
func converge(t *testing.T, broker, topic string, src source, timeout time.Duration) *outcome {
	t.Helper()
	deadline := time.Now().Add(timeout)
	keys := src.keyCols()
	conn := verifyConn(t, src.conn)
	for {
		waitForQuiet(t, broker, topic, 1500*time.Millisecond, time.Until(deadline)+time.Second)
		results, st, msgs := compareOnce(t, broker, topic, conn, src)
		var diffs []string
		rows := 0
		for _, res := range results {
			rows += res.SourceRows
			if !res.Clean() {
				diffs = append(diffs, fmt.Sprintf("%s: %d missing %v, %d extra %v, %d differing %v",
					res.Table, res.Missing, res.MissingKeys, res.Extra, res.ExtraKeys, res.Changed, res.ChangedKeys))
			}
		}
		if len(diffs) > 0 {
			if time.Now().Before(deadline) {
				time.Sleep(time.Second)
				continue
			}
			t.Fatalf("topic %s never matched the source (%d records, %d applied, %d duplicates); differences:\n%s",
				topic, len(msgs), st.Applied, st.Duplicates, strings.Join(diffs, "\n"))
		}
		for _, p := range st.Problems {
			t.Error(p)
		}
		if src.sink != nil && src.sink.Format != topology.FormatCanalJSON {
			// The audit reads Canal JSON; the replay above checked the rest.
			return &outcome{Records: len(msgs), Applied: st.Applied, Duplicates: st.Duplicates, Rows: rows, Msgs: msgs}
		}
		a, err := verify.AuditTopic(msgs, keys, "n")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range a.Problems {
			t.Error(p)
		}
		if a.Orphans > 0 && !src.partial {
			t.Errorf("%d keys have changes but no INSERT or snapshot record: inserts were lost; the first: %s",
				a.Orphans, historyOf(t, msgs, keys, a.OrphanKeys[0]))
		}
		return &outcome{Records: a.Records, Applied: st.Applied, Duplicates: st.Duplicates, Rewinds: len(a.Rewinds), Rows: rows, Msgs: msgs}
	}
}

// compareOnce reads topic, replays it and compares it with src's tables
// through conn (see verifyConn) with verify.Compare, once; results are in
// table name order.
func compareOnce(t *testing.T, broker, topic string, conn *client.Conn, src source) ([]*verify.TableResult, *verify.State, []kafka.Message) {
	t.Helper()
	names := make([]string, 0, len(src.tables))
	for tb := range src.tables {
		names = append(names, tb)
	}
	sort.Strings(names)
	tables := map[string]*verify.Table{}
	for _, tb := range names {
		desc, err := sourcedb.Describe(context.Background(), conn, src.db, tb)
		if err != nil {
			t.Fatal(err)
		}
		vt, err := verify.TableOf(desc)
		if err != nil {
			t.Fatal(err)
		}
		tables[vt.ID()] = vt
	}
	sink := src.sink
	if sink == nil {
		sink = &topology.Sink{Name: "faults", Format: topology.FormatCanalJSON, CanalFlavor: topology.CanalFlavorDTS}
	}
	dec, err := verify.NewDecoder(sink, tables)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	msgs, err := verify.ReadAll(ctx, broker, topic)
	cancel()
	if err != nil {
		t.Fatalf("read %s: %v", topic, err)
	}
	st, err := verify.ReplayWith(msgs, src.keyCols(), dec)
	if err != nil {
		t.Fatal(err)
	}
	var results []*verify.TableResult
	for _, tb := range names {
		vt := tables[src.db+"."+tb]
		res, err := verify.Compare(context.Background(), conn, vt, st.Tables[vt.ID()], verify.Options{MaxKeys: 10})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
	}
	return results, st, msgs
}

// verifyConn connects to the server c is connected to as the sluice
// account (the privileges sluice verify has), with the session sluice
// reads with (sourcedb.Prepare).
func verifyConn(t *testing.T, c *client.Conn) *client.Conn {
	t.Helper()
	vc, err := client.ConnectWithTimeout(c.RemoteAddr().String(), "sluice", "sluice", "", 5*time.Second)
	if err != nil {
		t.Fatalf("connect as sluice to %s: %v", c.RemoteAddr(), err)
	}
	t.Cleanup(func() { _ = vc.Close() })
	if err := sourcedb.Prepare(vc); err != nil {
		t.Fatal(err)
	}
	return vc
}

// runMark records the topic's end offsets and the committed checkpoint at
// the moment one run of sluice ended.
type runMark struct {
	offsets map[int]int64
	cp      checkpoint
	hasCP   bool
}

// runDuplicates counts, for the run that started after mark, the records it
// wrote again (a seq at or below the highest its partition held at mark),
// and checks that none of them comes from before the checkpoint committed
// at mark: at-least-once with duplicates only after the last checkpoint.
// Snapshot records are numbered in blocks above every binlog seq, so they
// are never counted here; a snapshot chunk re-read after a crash shows up
// as INIT records of keys already read (see snapshotRereads).
func runDuplicates(t *testing.T, msgs []kafka.Message, mark runMark, next map[int]int64) (dups int) {
	t.Helper()
	maxBefore := map[int]uint64{}
	for _, m := range msgs {
		if m.Offset >= mark.offsets[m.Partition] {
			continue
		}
		if s := seqOf(m); s > maxBefore[m.Partition] {
			maxBefore[m.Partition] = s
		}
	}
	for _, m := range msgs {
		if m.Offset < mark.offsets[m.Partition] || (next != nil && m.Offset >= next[m.Partition]) {
			continue
		}
		s := seqOf(m)
		if s > maxBefore[m.Partition] {
			continue
		}
		dups++
		if mark.hasCP && s < mark.cp.Seq {
			t.Errorf("partition %d offset %d: seq %d re-sent, but the checkpoint at the crash was already at seq %d: "+
				"a duplicate from before the last checkpoint", m.Partition, m.Offset, s, mark.cp.Seq)
		}
	}
	return dups
}

func seqOf(m kafka.Message) uint64 {
	for _, h := range m.Headers {
		if h.Key == "sluice.seq" {
			var s uint64
			_, _ = fmt.Sscan(string(h.Value), &s)
			return s
		}
	}
	return 0
}

// snapshotRereads counts INIT records of keys that already had one: rows
// of snapshot chunks read again after a crash.
func snapshotRereads(t *testing.T, msgs []kafka.Message, keys map[string][]string) int {
	t.Helper()
	seen := map[string]bool{}
	n := 0
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Type != "INIT" {
				continue
			}
			id := r.Table + "/" + verify.Key(r.Row, keys[r.Table])
			if seen[id] {
				n++
			}
			seen[id] = true
		}
	}
	return n
}

// countTypes counts row records by type (INSERT, UPDATE, DELETE, INIT),
// re-sends included.
func countTypes(t *testing.T, msgs []kafka.Message) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			out[r.Type]++
		}
	}
	return out
}

// historyOf lists every record of one key ("db.table/key"), re-sends
// included, as partition/offset seq type n.
func historyOf(t *testing.T, msgs []kafka.Message, keys map[string][]string, id string) string {
	t.Helper()
	var out []string
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Table+"/"+verify.Key(r.Row, keys[r.Table]) != id {
				continue
			}
			n := "NULL"
			if v := r.Row["n"]; v != nil {
				n = *v
			}
			out = append(out, fmt.Sprintf("p%d/o%d seq %d %s n=%s", m.Partition, m.Offset, r.Seq, r.Type, n))
		}
	}
	return id + ": " + strings.Join(out, ", ")
}
