package engine

import (
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/topology"
)

// identityDAG is a topology whose one source is at addr and selects tables,
// with its checkpoints in dir.
func identityDAG(t *testing.T, dir, host string, port int, tables string) *topology.DAG {
	t.Helper()
	src := fmt.Sprintf(`version: 1
engine:
  checkpoint_dir: %s
sources:
  - name: shop
    flavor: mariadb
    host: %s
    port: %d
    user: sluice
    password: sluice
    server_id: 4242
    objects:
      tables: [%q]
sinks:
  - name: k
    from: shop
    brokers: [127.0.0.1:19092]
    topic: t
`, dir, host, port, tables)
	dag, diags := topology.Parse("test.yaml", []byte(src))
	if dag == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	return dag
}

func TestTopologyHash_IgnoresTheAddress(t *testing.T) {
	dir := t.TempDir()
	a := identityDAG(t, dir, "10.0.0.1", 3306, "shop.*")
	moved := identityDAG(t, dir, "db-vip.internal", 3307, "shop.*")
	other := identityDAG(t, dir, "10.0.0.1", 3306, "billing.*")
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

// A checkpoint file written by a Sluice whose topology hash included the
// source's address opens, keeps its checkpoint, and is recorded under the
// current hash; after that, moving the source to another address opens it
// too.
func TestStore_OpensAFileWrittenWithTheFormerHash(t *testing.T) {
	dir := t.TempDir()
	dag := identityDAG(t, dir, "127.0.0.1", 33306, "shop.*")
	st, err := boltstore.Open(dir, store.Identity{Task: "shop-task", TopologyHash: topologyHash(dag, true)}, boltstore.Options{})
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

	st, err = boltstore.Open(dir, storeIdentity(dag, "shop-task"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open a file with the former hash: %v", err)
	}
	if cp, ok, err := st.Checkpoint("shop"); err != nil || !ok || cp.GTIDSet != "0-1-77" || cp.Seq != 78 {
		t.Fatalf("checkpoint = %+v, %v, %v", cp, ok, err)
	}
	_ = st.Close()
	moved := identityDAG(t, dir, "10.1.2.3", 3306, "shop.*")
	st, err = boltstore.Open(dir, storeIdentity(moved, "shop-task"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open after the source moved: %v", err)
	}
	if got := st.Identity().TopologyHash; got != topologyHash(dag, false) {
		t.Errorf("recorded hash %s, want the current %s", got, topologyHash(dag, false))
	}
	_ = st.Close()
}
