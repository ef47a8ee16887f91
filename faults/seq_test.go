package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestKill9_MidTransactionResendsKeepTheirSeq pins defect 8 of issue 17:
// killed with SIGKILL inside a large transaction — the first one after the
// snapshot, then one after a committed checkpoint — the restart re-sends
// the transaction's records. Every re-sent record (same sluice.pos,
// sluice.gtid and sluice.row) must carry the sluice.seq it had the first
// time, so that the documented consumer rule (drop a record whose seq is not
// above the last applied one of its partition) drops every re-send and the
// replay equals the table.
func TestKill9_MidTransactionResendsKeepTheirSeq(t *testing.T) {
	needBed(t)
	const snapshotRows, txnRows = 3000, 300_000
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 4)
	broker := testbed.Kafka(t)[0]
	w := bedWorkload(t, db, "big")
	w.fill(t, "big", snapshotRows)
	tp := newTopo(t, "seq", db, topic)
	tp.Start = "initial"
	tp.ChunkSize = 1000

	p := tp.start(t)
	waitForLog(t, p, "snapshot complete", time.Minute)
	var marks []runMark
	next := int64(snapshotRows) + 1
	for round, what := range []string{"the first transaction after the snapshot", "a transaction after a checkpoint"} {
		if round > 0 {
			// A small transaction first, so that a checkpoint is committed
			// in the binlog phase before the large one.
			mustExec(t, w.conn, fmt.Sprintf("INSERT INTO `%s`.big VALUES (%d, 0, 'small', 'x')", db, next))
			next++
			time.Sleep(time.Second) // the checkpoint interval is 200 ms
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		before, err := endOffsets(ctx, broker, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, w.conn, fmt.Sprintf("INSERT INTO `%s`.big SELECT seq, 0, CONCAT('v', seq), REPEAT('p', 100) FROM seq_%d_to_%d",
			db, next, next+txnRows-1))
		next += txnRows
		waitForWrites(t, broker, topic, sum(before)+txnRows/20, time.Minute, p)
		p.kill9()
		ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(offs) - sum(before); got >= txnRows {
			t.Fatalf("%s: all %d records were written before the kill; make the transaction larger", what, got)
		}
		cp, hasCP := readCheckpoint(t, tp.checkpointFile(), "src")
		t.Logf("killed inside %s after %d of its %d records (checkpoint %v, seq %d)", what, sum(offs)-sum(before), txnRows, hasCP, cp.Seq)
		if round > 0 && !hasCP {
			t.Fatalf("no checkpoint committed before %s", what)
		}
		marks = append(marks, runMark{offsets: offs, cp: cp, hasCP: hasCP})
		p = tp.start(t)
		waitForWrites(t, broker, topic, sum(offs), time.Minute, p)
		waitForQuiet(t, broker, topic, 1500*time.Millisecond, 2*time.Minute) // the transaction written whole
	}
	out := converge(t, broker, topic, source{conn: testbed.AdminConn(t), db: db, tables: map[string][]string{"big": {"id"}}}, 3*time.Minute)
	if code := p.term(60 * time.Second); code != 0 {
		t.Errorf("graceful stop: exit code %d", code)
	}
	for i, m := range marks {
		var end map[int]int64
		if i+1 < len(marks) {
			end = marks[i+1].offsets
		}
		resent, changed := resentSeqs(t, out.Msgs, m.offsets, end)
		t.Logf("run %d: %d records re-sent, %d with another seq than the first time", i+2, resent, len(changed))
		if resent == 0 {
			t.Errorf("run %d re-sent nothing of the transaction it was killed in", i+2)
		}
		if len(changed) > 0 {
			t.Errorf("run %d re-sent %d records with another seq than the first time; the first: %s", i+2, len(changed), strings.Join(changed[:min(5, len(changed))], "; "))
		}
	}
	if out.Duplicates == 0 {
		t.Error("the replay dropped no re-send")
	}
	t.Logf("RESULT seq: records %d, applied %d, re-sends dropped by seq %d, source rows verified %d", out.Records, out.Applied, out.Duplicates, out.Rows)
}

// resentSeqs compares the records written from the offsets after (up to
// end, nil: the end) with those written before: a record of the same
// sluice.pos, sluice.gtid and sluice.row is a re-send and must carry the
// same sluice.seq. It returns the number of re-sends and a description of
// each whose seq differs.
func resentSeqs(t *testing.T, msgs []kafka.Message, after, end map[int]int64) (resent int, changed []string) {
	t.Helper()
	first := map[string]uint64{}
	for _, m := range msgs {
		if m.Offset < after[m.Partition] && isBinlogRow(t, m) {
			first[changeID(m)] = seqOf(m)
		}
	}
	for _, m := range msgs {
		if m.Offset < after[m.Partition] || (end != nil && m.Offset >= end[m.Partition]) || !isBinlogRow(t, m) {
			continue
		}
		was, ok := first[changeID(m)]
		if !ok {
			continue
		}
		resent++
		if s := seqOf(m); s != was {
			changed = append(changed, fmt.Sprintf("partition %d offset %d (%s): seq %d, first sent with %d", m.Partition, m.Offset, changeID(m), s, was))
		}
	}
	return resent, changed
}

// isBinlogRow reports whether m is a row record of the binlog phase (not a
// snapshot row, not DDL).
func isBinlogRow(t *testing.T, m kafka.Message) bool {
	t.Helper()
	recs, err := verify.DecodeCanal(m)
	if err != nil {
		t.Fatal(err)
	}
	return len(recs) > 0 && recs[0].Type != "INIT"
}

// changeID names the change a record carries by its position headers.
func changeID(m kafka.Message) string {
	var pos, gtid, row string
	for _, h := range m.Headers {
		switch h.Key {
		case codec.HeaderPos:
			pos = string(h.Value)
		case codec.HeaderGTID:
			gtid = string(h.Value)
		case codec.HeaderRow:
			row = string(h.Value)
		}
	}
	return pos + " " + gtid + " #" + row
}

// waitForLog polls p's log until it contains s.
func waitForLog(t *testing.T, p *proc, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.log(), s) {
		if !p.running() {
			t.Fatalf("sluice exited (code %d) before logging %q; log:\n%s", p.exit, s, tail(p.log(), 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice did not log %q within %s; log:\n%s", s, timeout, tail(p.log(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
