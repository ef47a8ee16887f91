package engine

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/topology"
)

// testIdentity is the identity the engine opens dag's store under.
func testIdentity(t testing.TB, dag *topology.DAG, task string) store.Identity {
	t.Helper()
	id, _, err := storeIdentity(dag, task)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// identityTopology is a topology file whose one source is at host:port
// with flavor, named source, selecting tables (a YAML list), with its
// checkpoints in dir; extra is appended (more nodes).
type identityTopology struct {
	dir, source, flavor, host string
	port                      int
	tables, topic, extra      string
}

func (c identityTopology) dag(t *testing.T) *topology.DAG {
	t.Helper()
	d := identityTopology{source: "shop", flavor: "mariadb", host: "127.0.0.1", port: 33306, tables: `["shop.a"]`, topic: "t"}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&d.dir, c.dir}, {&d.source, c.source}, {&d.flavor, c.flavor}, {&d.host, c.host},
		{&d.tables, c.tables}, {&d.topic, c.topic}, {&d.extra, c.extra}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	if c.port != 0 {
		d.port = c.port
	}
	src := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %s
sources:
  - name: %s
    flavor: %s
    host: %s
    port: %d
    user: sluice
    password: sluice
    server_id: 4242
    objects:
      tables: %s
sinks:
  - name: k
    from: %s
    brokers: [127.0.0.1:19092]
    topic: %s
%s`, d.dir, d.source, d.flavor, d.host, d.port, d.tables, d.source, d.topic, d.extra)
	dag, diags := topology.Parse("test.yaml", []byte(src))
	if dag == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	return dag
}

func TestTopologyHash_IgnoresTheAddress(t *testing.T) {
	dir := t.TempDir()
	a := identityTopology{dir: dir}.dag(t)
	moved := identityTopology{dir: dir, host: "db-vip.internal", port: 3307}.dag(t)
	other := identityTopology{dir: dir, tables: `["billing.*"]`}.dag(t)
	if topologyHash(a, false) != topologyHash(moved, false) {
		t.Error("moving the source to another address changes the topology hash")
	}
	if topologyHash(a, false) == topologyHash(other, false) {
		t.Error("selecting other tables leaves the topology hash alone")
	}
	if topologyHash(a, true) == topologyHash(moved, true) {
		t.Error("the former hash does not include the address")
	}
}

// openLogged opens dir's store under dag's identity as the engine does and
// returns the log it wrote.
func openLogged(t *testing.T, dag *topology.DAG, task string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	st, err := openStore(dag, Options{Task: task}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err == nil {
		if cerr := st.Close(); cerr != nil {
			t.Fatal(cerr)
		}
	}
	return buf.String(), err
}

func seedStore(t *testing.T, dag *topology.DAG, task string) {
	t.Helper()
	st, err := openStore(dag, Options{Task: task}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var u store.Update
	u.SetCheckpoint("shop", store.Checkpoint{GTIDSet: "0-1-77", Seq: 78, ServerUUID: "1/0"})
	if err := st.Commit(&u); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// Changes that keep the checkpoints valid open the store with one log line
// naming each; reopening under the same topology logs nothing.
func TestOpenStore_AppliesChangesThatKeepTheCheckpoints(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, identityTopology{dir: dir}.dag(t), "shop-task")
	changed := identityTopology{dir: dir, host: "10.1.2.3", tables: `["shop.b", {pattern: shop.c, topic: c-topic}]`, topic: "t2",
		extra: "  - name: audit\n    from: shop\n    brokers: [127.0.0.1:19092]\n    topic: audit\n    format: debezium-json\n"}.dag(t)
	log, err := openLogged(t, changed, "shop-task")
	if err != nil {
		t.Fatalf("open after changes that keep the checkpoints: %v", err)
	}
	if n := strings.Count(log, "\n"); n != 1 {
		t.Fatalf("want one log line, got %d:\n%s", n, log)
	}
	for _, want := range []string{"topology changed since the checkpoints were written; applied",
		`source \"shop\" moved from 127.0.0.1:33306 to 10.1.2.3:33306`,
		`source \"shop\" selects shop.b, shop.c too`, `source \"shop\" no longer selects shop.a`,
		`sink \"k\" changed DDLTopic, Topic`, `sink \"audit\" added`, "pipeline shop → audit.router → audit added"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if log, err := openLogged(t, changed, "shop-task"); err != nil || log != "" {
		t.Fatalf("reopen under the recorded topology: %v, log %q", err, log)
	}
	st, err := boltstore.Open(dir, testIdentity(t, changed, "shop-task"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if cp, ok, err := st.Checkpoint("shop"); err != nil || !ok || cp.Seq != 78 {
		t.Fatalf("checkpoint after the change = %+v, %v, %v", cp, ok, err)
	}
}

// Changes that make the checkpoints meaningless are refused with the change
// and the fixes named, and leave the store as it was.
func TestOpenStore_RefusesChangesThatOrphanTheCheckpoints(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    identityTopology
		task string
		want []string
		is   error
	}{
		{"renamed source", identityTopology{source: "shop2"}, "shop-task",
			[]string{`source "shop" was renamed to "shop2"`, `name the source "shop" again`}, store.ErrTopologyChanged},
		{"removed source", identityTopology{source: "other", host: "10.9.9.9"}, "shop-task",
			[]string{`source "shop" was removed`, `name the source "shop" again`}, store.ErrTopologyChanged},
		{"flavor", identityTopology{flavor: "mysql"}, "shop-task",
			[]string{`source "shop" changed flavor from mariadb to mysql`, "set its flavor back to mariadb"}, store.ErrTopologyChanged},
		{"task name", identityTopology{}, "renamed-task",
			[]string{`written by task "shop-task", and this is task "renamed-task"`, `set name: "shop-task"`}, store.ErrForeignTask},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			seedStore(t, identityTopology{dir: dir}.dag(t), "shop-task")
			tc.c.dir = dir
			_, err := openLogged(t, tc.c.dag(t), tc.task)
			if !errors.Is(err, tc.is) {
				t.Fatalf("open = %v, want %v", err, tc.is)
			}
			for _, want := range append(tc.want, "give it a new checkpoint_dir", "move the file away") {
				if tc.is == store.ErrForeignTask && want == "give it a new checkpoint_dir" {
					want = "give each task its own checkpoint_dir"
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
			// Nothing was recorded: the original topology opens without a change.
			if log, err := openLogged(t, identityTopology{dir: dir}.dag(t), "shop-task"); err != nil || log != "" {
				t.Fatalf("reopen under the original topology: %v, log %q", err, log)
			}
		})
	}
}

// A checkpoint file written by a Sluice that recorded only a digest opens
// when the digest matches (the current one, or the earlier one with the
// address) and records the topology, saying so; one whose digest differs is
// refused, since what changed cannot be told.
func TestOpenStore_RecordWithADigestOnly(t *testing.T) {
	for _, withAddr := range []bool{false, true} {
		dir := t.TempDir()
		dag := identityTopology{dir: dir}.dag(t)
		st, err := boltstore.Open(dir, store.Identity{Task: "shop-task", TopologyHash: topologyHash(dag, withAddr)}, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
		other := identityTopology{dir: dir, tables: `["shop.b"]`}.dag(t)
		if _, err := openLogged(t, other, "shop-task"); !errors.Is(err, store.ErrTopologyChanged) ||
			!strings.Contains(err.Error(), "run the task once with the topology the checkpoints were written under") {
			t.Fatalf("open a digest-only record under other tables = %v, want ErrTopologyChanged with the fix", err)
		}
		log, err := openLogged(t, dag, "shop-task")
		if err != nil {
			t.Fatalf("open a digest-only record (with address %v): %v", withAddr, err)
		}
		if !strings.Contains(log, "holds only a digest of the topology") || strings.Count(log, "\n") != 1 {
			t.Errorf("log = %q, want one line saying the topology is now recorded", log)
		}
		if log, err := openLogged(t, other, "shop-task"); err != nil || !strings.Contains(log, "source \\\"shop\\\" selects shop.b too") {
			t.Fatalf("after the topology was recorded, other tables: %v, log %q", err, log)
		}
	}
}

// Reading the checkpoints for the precheck decides a topology change as the
// start does, but records nothing.
func TestCheckpoints_DecidesButDoesNotRecord(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, identityTopology{dir: dir}.dag(t), "shop-task")
	if _, err := Checkpoints(identityTopology{dir: dir, source: "shop2"}.dag(t), "shop-task"); !errors.Is(err, store.ErrTopologyChanged) {
		t.Fatalf("Checkpoints after a source rename = %v, want ErrTopologyChanged", err)
	}
	more := identityTopology{dir: dir, tables: `["shop.a", "shop.b"]`}.dag(t)
	cps, err := Checkpoints(more, "shop-task")
	if err != nil || cps["shop"].Seq != 78 {
		t.Fatalf("Checkpoints after a table was added = %+v, %v", cps, err)
	}
	if log, err := openLogged(t, more, "shop-task"); err != nil || !strings.Contains(log, "selects shop.b too") {
		t.Fatalf("the start after the precheck: %v, log %q (the change must be logged, so not recorded before)", err, log)
	}
}
