package faults

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// kafkaReleases are the Kafka releases TestKafkaVersions runs against
// besides the shared bed's 4.x: one with ZooKeeper, one 3.x in KRaft mode
// (testbed/up.sh, SLUICE_BED_KAFKA_RELEASE). The long form adds a KRaft
// release with a static controller quorum and a 2.0 (Scala 2.12).
func kafkaReleases() []string {
	if chaos() {
		return []string{"2.7.2", "3.9.1", "3.6.2", "2.0.1"}
	}
	return []string{"2.7.2", "3.9.1"}
}

// TestKafkaVersions runs a task (snapshot, then binlog changes) into each
// Kafka release with canal-json and debezium-json, lz4 compression and
// pk_hash over 3 partitions; the topic, replayed, must equal the tables
// (package verify), every record must keep its sluice.* headers, and
// sluice precheck must pass and name the broker's release.
func TestKafkaVersions(t *testing.T) {
	needBed(t)
	t.Parallel()
	releases := append([]string{""}, kafkaReleases()...)
	for _, rel := range releases {
		name := rel
		if name == "" {
			name = "bed"
		}
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			addr, want := testbed.Kafka(t)[0], "Kafka 4."
			if rel != "" {
				kb := startPrivateRelease(t, rel)
				addr = kb.addr
				parts := strings.Split(rel, ".")
				want = "Kafka " + parts[0] + "." + parts[1]
			}
			up := time.Since(start)
			var wg sync.WaitGroup
			for _, f := range []topology.Format{topology.FormatCanalJSON, topology.FormatDebeziumJSON} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					t.Run(string(f), func(t *testing.T) { runVersionTask(t, addr, rel, f, want) })
				}()
			}
			wg.Wait()
			t.Logf("RESULT kafka-version %s: broker up in %s, both formats verified in %s",
				name, up.Round(100*time.Millisecond), time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// startPrivateRelease starts a private broker of Kafka release rel, its
// jars cached under the shared bed's dir.
func startPrivateRelease(t *testing.T, rel string) *privateBed {
	t.Helper()
	return startPrivate(t, "kafka", "SLUICE_BED_KAFKA_RELEASE="+rel,
		"SLUICE_BED_KAFKA_CACHE="+filepath.Join(testbed.BedDir(), "kafka-releases"),
		"SLUICE_BED_ZK_PORT="+strconv.Itoa(freePort(t)))
}

// runVersionTask runs one task in format f into the broker at addr and
// checks its topic and precheck (see TestKafkaVersions).
func runVersionTask(t *testing.T, addr, rel string, f topology.Format, wantVersion string) {
	db := testbed.NewDatabase(t)
	w := bedWorkload(t, db, "w1", "w2")
	w.fill(t, "w1", 300)
	w.fill(t, "w2", 300)
	topic := "kv-" + db + "-" + strings.SplitN(string(f), "-", 2)[0]
	tp := newTopo(t, "kversions", db, topic)
	tp.Brokers, tp.Start, tp.Format, tp.Compression = addr, "initial", string(f), "lz4"
	tp.Partitions, tp.DDLTopic = 3, topic+"-ddl"
	file := tp.write(t)
	dag, _, err := topology.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p := tp.start(t)
	// The snapshot first (600 rows, one record each), then binlog changes.
	waitForWrites(t, addr, topic, 599, time.Minute, p)
	writes := w.run(1000, 1500)
	if err := writes.wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	out := converge(t, addr, topic, source{conn: testbed.AdminConn(t), db: db,
		tables: map[string][]string{"w1": {"id"}, "w2": {"id"}}, sink: dag.Sinks[0]}, 2*time.Minute)
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d", code)
	}
	if want := 600 + int(w.changes.Load()); out.Applied < want {
		t.Errorf("the replay applied %d records, want at least %d (600 snapshot rows, then each row change)", out.Applied, want)
	}
	parts := map[int]bool{}
	for _, m := range out.Msgs {
		parts[m.Partition] = true
		if m.Value == nil {
			continue // a debezium tombstone carries no headers of its own
		}
		var pos bool
		for _, h := range m.Headers {
			pos = pos || h.Key == codec.HeaderPos
		}
		if !pos {
			t.Fatalf("record at partition %d offset %d has no %s header (headers %v)", m.Partition, m.Offset, codec.HeaderPos, m.Headers)
		}
	}
	if len(parts) != 3 {
		t.Errorf("records in %d partitions, want 3 (pk_hash over 3)", len(parts))
	}
	pre, err := exec.Command(sluiceBin, "precheck", "-f", file).CombinedOutput()
	if err != nil || !strings.Contains(string(pre), "broker_version") || !strings.Contains(string(pre), wantVersion) {
		t.Fatalf("sluice precheck: %v, want a pass naming %q:\n%s", err, wantVersion, pre)
	}
	t.Logf("%s: %d row changes after the snapshot, %d messages, %d applied by the replay, source rows verified %d, duplicates %d; precheck: %s",
		f, w.changes.Load(), len(out.Msgs), out.Applied, out.Rows, out.Duplicates, lineWith(string(pre), "broker_version"))
}

// lineWith is the first line of out that contains sub.
func lineWith(out, sub string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, sub) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// TestKafkaVersions_OldMessageFormatRefused starts Kafka 2.7.2 with
// log.message.format.version=0.10.2, as a cluster upgraded from 0.10 runs:
// records there cannot carry headers. sluice precheck and sluice run must
// refuse it at precheck, naming the setting and its fix, and create no
// topic.
func TestKafkaVersions_OldMessageFormatRefused(t *testing.T) {
	needBed(t)
	t.Parallel()
	kb := startPrivate(t, "kafka", "SLUICE_BED_KAFKA_RELEASE=2.7.2",
		"SLUICE_BED_KAFKA_CACHE="+filepath.Join(testbed.BedDir(), "kafka-releases"),
		"SLUICE_BED_ZK_PORT="+strconv.Itoa(freePort(t)),
		"SLUICE_BED_KAFKA_EXTRA=log.message.format.version=0.10.2")
	db := testbed.NewDatabase(t)
	bedWorkload(t, db, "w1").fill(t, "w1", 10)
	topic := "kv-" + db
	tp := newTopo(t, "kversions-v1", db, topic)
	tp.Brokers, tp.Start, tp.Partitions = kb.addr, "initial", 3
	const item = "sink.kafka.message_format"
	want := []string{item, "log.message.format.version=0.10.2", "cannot carry record headers", "set log.message.format.version="}
	out, err := exec.Command(sluiceBin, "precheck", "-f", tp.write(t)).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !containsAll(string(out), want) {
		t.Fatalf("sluice precheck: %v, want exit 1 with %q:\n%s", err, want, out)
	}
	p := tp.start(t)
	if code := p.wait(60 * time.Second); code != 1 || !containsAll(p.log(), want) {
		t.Fatalf("sluice run: exit %d, want 1 with %q; log:\n%s", code, want, tail(p.log(), 20))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	offs, err := endOffsets(ctx, kb.addr, topic)
	cancel()
	if err == nil {
		t.Fatalf("topic %s exists after a refused precheck (end offsets %v): a precheck must not change the cluster", topic, offs)
	}
	t.Logf("RESULT kafka-old-format: refused at precheck, no topic created (%v); %s", err, lineWith(string(out), item))
}

// containsAll reports whether s contains every one of subs.
func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
