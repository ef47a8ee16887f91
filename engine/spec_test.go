package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"gopkg.in/yaml.v3"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// spec is one end-to-end case in testdata/e2e: tables, table rules, SQL
// statements, and the Canal JSON records they must produce. "$db" and
// "$topic" stand for the case's throw-away database and topic.
type spec struct {
	Partitions int      `yaml:"partitions"`
	Router     string   `yaml:"router"`
	Tables     []string `yaml:"tables"`
	Rules      string   `yaml:"rules"`
	SQL        []string `yaml:"sql"`
	Expect     []struct {
		Topic     string             `yaml:"topic"`
		Partition *int               `yaml:"partition"`
		Table     string             `yaml:"table"`
		Type      string             `yaml:"type"`
		Data      map[string]*string `yaml:"data"`
		Old       map[string]*string `yaml:"old"`
	} `yaml:"expect"`
	SamePartitionPerTable bool `yaml:"samePartitionPerTable"`
}

// got is one decoded record.
type got struct {
	partition int
	table     string
	typ       string
	data, old map[string]*string
}

func TestRun_Specs(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	files, _ := filepath.Glob("testdata/e2e/*.yaml")
	if len(files) == 0 {
		t.Fatal("no spec files in testdata/e2e")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) { runSpec(t, f) })
	}
}

func runSpec(t *testing.T, file string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sp spec
	if err := yaml.Unmarshal(raw, &sp); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if sp.Partitions == 0 {
		sp.Partitions = 1
	}
	if sp.Router == "" {
		sp.Router = "partition0"
	}
	h := newHarness(t, setup{partitions: sp.Partitions, policy: sp.Router, ddl: sp.Tables, rules: sp.Rules})
	subst := strings.NewReplacer("$db", h.db, "$topic", h.topic)
	stop := h.start()
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("graceful stop: %v", err)
		}
	}()
	for _, q := range sp.SQL {
		testbed.AdminExec(t, subst.Replace(q))
	}

	// Expected records, per topic, in order.
	want := map[string][]got{}
	for _, e := range sp.Expect {
		topic := h.topic
		if e.Topic != "" {
			topic = subst.Replace(e.Topic)
		}
		g := got{partition: -1, table: e.Table, typ: e.Type, data: e.Data, old: e.Old}
		if e.Partition != nil {
			g.partition = *e.Partition
		}
		want[topic] = append(want[topic], g)
	}
	for topic, exp := range want {
		recs := readRecords(t, topic, len(exp))
		// Kafka orders records per partition only: compare in commit order
		// per partition, which is the order of the expectations.
		byPart := map[int][]got{}
		for _, r := range recs {
			byPart[r.partition] = append(byPart[r.partition], r)
		}
		tablePart := map[string]int{}
		next := map[int]int{}
		for i, e := range exp {
			p := e.partition
			if p < 0 { // any partition: find it by content
				p = findPartition(byPart, next, e)
			}
			if next[p] >= len(byPart[p]) {
				t.Fatalf("%s: expected record %d (%s %v) not found in partition %d; got %v", topic, i, e.typ, show(e.data), p, byPart)
			}
			r := byPart[p][next[p]]
			next[p]++
			if r.typ != e.typ || !reflect.DeepEqual(r.data, e.data) || (e.old != nil && !reflect.DeepEqual(r.old, e.old)) ||
				(e.table != "" && r.table != e.table) {
				t.Errorf("%s partition %d record %d:\n got  %s %s %v old %v\n want %s %s %v old %v",
					topic, p, i, r.table, r.typ, show(r.data), show(r.old), e.table, e.typ, show(e.data), show(e.old))
			}
			if sp.SamePartitionPerTable {
				if q, seen := tablePart[r.table]; seen && q != p {
					t.Errorf("table %s in partitions %d and %d", r.table, q, p)
				}
				tablePart[r.table] = p
			}
		}
		if len(recs) != len(exp) {
			t.Errorf("%s: %d records, want %d", topic, len(recs), len(exp))
		}
	}
}

// findPartition returns the partition whose next unmatched record has e's
// type, data and (when given) table; -1 when none has.
func findPartition(byPart map[int][]got, next map[int]int, e got) int {
	for p, rs := range byPart {
		if next[p] < len(rs) && rs[next[p]].typ == e.typ && reflect.DeepEqual(rs[next[p]].data, e.data) &&
			(e.table == "" || rs[next[p]].table == e.table) {
			return p
		}
	}
	return -1
}

// readRecords reads topic until n records arrived (and a moment more, to
// catch extra ones).
func readRecords(t *testing.T, topic string, n int) []got {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var msgs []kafka.Message
	for {
		var err error
		msgs, err = verify.ReadAll(context.Background(), testbed.Kafka(t)[0], topic)
		if err == nil && len(msgs) >= n {
			time.Sleep(300 * time.Millisecond)
			if msgs, err = verify.ReadAll(context.Background(), testbed.Kafka(t)[0], topic); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d records after 30s, want %d (last error: %v)", topic, len(msgs), n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := make([]got, 0, len(msgs))
	for _, m := range msgs {
		var cm struct {
			Table string               `json:"table"`
			Type  string               `json:"type"`
			Data  []map[string]*string `json:"data"`
			Old   []map[string]*string `json:"old"`
		}
		if err := json.Unmarshal(m.Value, &cm); err != nil {
			t.Fatalf("%s/%d@%d: %v", topic, m.Partition, m.Offset, err)
		}
		for i, d := range cm.Data {
			g := got{partition: m.Partition, table: cm.Table, typ: cm.Type, data: d}
			if i < len(cm.Old) {
				g.old = cm.Old[i]
			}
			out = append(out, g)
		}
	}
	return out
}

func show(m map[string]*string) string {
	if m == nil {
		return "null"
	}
	parts := make([]string, 0, len(m))
	for k, v := range m {
		if v == nil {
			parts = append(parts, k+"=NULL")
		} else {
			parts = append(parts, fmt.Sprintf("%s=%q", k, *v))
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}
