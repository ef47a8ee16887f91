package faults

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// newTopicMaxBytes creates a topic on the bed's Kafka whose
// max.message.bytes is limit, deleted in Cleanup.
func newTopicMaxBytes(t *testing.T, partitions, limit int) string {
	t.Helper()
	name := fmt.Sprintf("t_big_%d", time.Now().UnixNano())
	broker := testbed.Kafka(t)[0]
	conn, err := kafka.Dial("tcp", broker)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctrl, err := conn.Controller()
	if err != nil {
		t.Fatal(err)
	}
	cc, err := kafka.Dial("tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	err = cc.CreateTopics(kafka.TopicConfig{Topic: name, NumPartitions: partitions, ReplicationFactor: 1,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(limit)}}})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	t.Cleanup(func() {
		if c, err := kafka.Dial("tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port))); err == nil {
			_ = c.DeleteTopics(name)
			_ = c.Close()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := endOffsets(context.Background(), broker, name)
		if err == nil && len(offs) == partitions {
			return name
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s not ready: %v", name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// oversizeSetup writes rows 1..50, a row 51 with a 200 KiB body, and rows
// 52..100, each in its own transaction, to db.big.
func oversizeSetup(t *testing.T, db string) {
	t.Helper()
	stmts := []string{}
	for i := 1; i <= 100; i++ {
		body := "'small'"
		if i == 51 {
			body = "REPEAT('x', 204800)"
		}
		stmts = append(stmts, fmt.Sprintf("INSERT INTO `%s`.big VALUES (%d, 0, %s)", db, i, body))
	}
	testbed.AdminExec(t, stmts...)
}

// TestOversize_Fail: a row whose record exceeds max_message_bytes (and the
// topic's max.message.bytes) stops the task with a terminal error naming
// the table, the topic, the size and the limit; the checkpoint does not
// pass the row, and a restart fails the same way instead of skipping it.
func TestOversize_Fail(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.big (id INT PRIMARY KEY, n BIGINT NOT NULL, body MEDIUMTEXT)")
	topic := newTopicMaxBytes(t, 1, 64<<10)
	tp := newTopo(t, "oversize-fail", db, topic)
	tp.Policy = "partition0"
	tp.MaxMessageBytes = "64KiB"
	tp.Oversize = "fail"
	oversizeSetup(t, db)

	for run := 1; run <= 2; run++ {
		p := tp.start(t)
		code := p.wait(60 * time.Second)
		log := p.log()
		if code == 0 {
			t.Fatalf("run %d: sluice exited 0 on an oversize record; log:\n%s", run, tail(log, 20))
		}
		last := tail(log, 3)
		for _, want := range []string{db + ".big", topic, "65536"} {
			if !strings.Contains(last, want) {
				t.Errorf("run %d: the error does not name %q:\n%s", run, want, last)
			}
		}
		t.Logf("run %d: exit %d: %s", run, code, tail(log, 1))
	}
	cp, ok := readCheckpoint(t, tp.checkpointFile(), "src")
	msgs, err := verify.ReadAll(context.Background(), testbed.Kafka(t)[0], topic)
	if err != nil {
		t.Fatal(err)
	}
	var bigSeq uint64
	var past []int
	for _, m := range msgs {
		recs, err := verify.DecodeCanal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			id, _ := strconv.Atoi(*r.Row["id"])
			if id >= 51 {
				past = append(past, id)
			}
			if id == 50 {
				bigSeq = r.Seq + 1 // each row is its own transaction
			}
		}
	}
	if len(past) > 0 {
		t.Errorf("rows %v written although row 51 before them failed: partition0 promises commit order, and "+
			"the records after a failed one must not reach Kafka", past)
	}
	if bigSeq == 0 {
		t.Fatalf("row 50 never written (%d records)", len(msgs))
	}
	if ok && cp.Seq > bigSeq {
		t.Errorf("checkpoint at seq %d, past the oversize row (seq %d): a restart would skip it", cp.Seq, bigSeq)
	}
	t.Logf("RESULT oversize-fail: rows 100, rows written %d (1..50), checkpoint seq %d <= oversize seq %d", len(msgs), cp.Seq, bigSeq)
}

// TestOversize_Skip: with oversize: skip the oversize row is dropped and
// reported in the log, and every other row arrives.
func TestOversize_Skip(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.big (id INT PRIMARY KEY, n BIGINT NOT NULL, body MEDIUMTEXT)")
	topic := newTopicMaxBytes(t, 2, 64<<10)
	tp := newTopo(t, "oversize-skip", db, topic)
	tp.MaxMessageBytes = "64KiB"
	tp.Oversize = "skip"
	oversizeSetup(t, db)

	p := tp.start(t)
	broker := testbed.Kafka(t)[0]
	waitForWrites(t, broker, topic, 98, 60*time.Second, p)
	waitForQuiet(t, broker, topic, time.Second, 30*time.Second)
	if !p.running() {
		t.Fatalf("sluice exited (code %d) with oversize: skip; log:\n%s", p.exit, tail(p.log(), 20))
	}
	admin := testbed.AdminConn(t)
	results, _, msgs := compareOnce(t, broker, topic, verifyConn(t, admin), source{conn: admin, db: db, tables: map[string][]string{"big": {"id"}}})
	if r := results[0]; r.Missing != 1 || fmt.Sprint(r.MissingKeys) != "[51]" || r.Extra != 0 || r.Changed != 0 {
		t.Errorf("differences from the source: %d missing %v, %d extra %v, %d differing %v; want only the skipped row 51 missing",
			r.Missing, r.MissingKeys, r.Extra, r.ExtraKeys, r.Changed, r.ChangedKeys)
	}
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit code %d", code)
	}
	log := p.log()
	var reported bool
	for _, line := range strings.Split(log, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "skip") && strings.Contains(line, topic) && strings.Contains(line, db+".big") {
			reported = true
			t.Logf("reported: %s", line)
		}
	}
	if !reported {
		t.Errorf("the skipped record is not reported in the log with its table and topic; log:\n%s", tail(log, 15))
	}
	t.Logf("RESULT oversize-skip: rows 100, records %d, skipped 1, lost 0 (besides the skipped row)", len(msgs))
}
