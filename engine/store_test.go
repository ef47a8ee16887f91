package engine

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/store/etcdstore"
)

// TestRun_CheckpointsInEtcdStore runs a task with the store of cluster mode
// (Options.OpenStore): its checkpoint lands in etcd and no bbolt file is
// made, a restart resumes from it with nothing sent twice, and once the
// task's ownership moves the run stops with store.ErrFenced.
func TestRun_CheckpointsInEtcdStore(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	h := newHarness(t, setup{partitions: 2, policy: "pk_hash", ddl: []string{
		"CREATE TABLE $db.orders (id INT PRIMARY KEY, note VARCHAR(32))"}})
	cli := testbed.EtcdClient(t)
	prefix := testbed.NewEtcdPrefix(t)
	epoch, lease := testbed.EtcdLeasedKey(t, cli, prefix+"owner", "node-a")
	h.openStore = func(id store.Identity) (store.Store, error) {
		return etcdstore.Open(cli, prefix+"task/", etcdstore.Owner{Key: prefix + "owner", Epoch: epoch}, id, etcdstore.Options{})
	}
	tables := map[string][]string{"orders": {"id"}}

	stop := h.start()
	exec(t, h.db, "INSERT INTO $db.orders VALUES (1,'a'),(2,'b'),(3,'c')")
	h.check(3, tables)
	if err := stop(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if out := testbed.Etcdctl(t, "get", "--print-value-only", prefix+"task/checkpoint/bed"); !strings.Contains(out, `"seq":`) {
		t.Fatalf("etcdctl reads checkpoint %q; want a checkpoint record", out)
	}
	if _, err := os.Stat(filepath.Join(h.dir, boltstore.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a bbolt file exists beside the etcd store: %v", err)
	}

	exec(t, h.db, "INSERT INTO $db.orders VALUES (4,'d')", "DELETE FROM $db.orders WHERE id=1")
	stop = h.start()
	if st := h.check(5, tables); st.Duplicates != 0 {
		t.Errorf("%d duplicates after a graceful stop with the etcd store", st.Duplicates)
	}

	// The node loses the task: its lease ends. The next checkpoint commit
	// is refused and the run ends with that error. The update makes sure
	// there is one to make; whether it reaches Kafka first depends on
	// whether other writes to the shared server moved the checkpoint before
	// it, so it is not checked.
	if _, err := cli.Revoke(context.Background(), lease); err != nil {
		t.Fatal(err)
	}
	exec(t, h.db, "UPDATE $db.orders SET note='b2' WHERE id=2")
	// The run ends by itself: its status endpoint closes.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + h.addr + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the run went on for 30s after its ownership moved")
		}
	}
	err := stop()
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("run after the task's ownership moved = %v; want store.ErrFenced", err)
	}
	t.Logf("run after the task's ownership moved: %v", err)
}
