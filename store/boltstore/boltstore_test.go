package boltstore_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

func TestBoltstore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(id store.Identity) (store.Store, error) {
			return boltstore.Open(dir, id, boltstore.Options{LockTimeout: 200 * time.Millisecond})
		}
	})
}

// ReadOnly decides a topology change through Accept like any open but
// records nothing, leaves the file byte for byte as it was, refuses
// commits, and creates no file where there is none.
func TestBoltstore_ReadOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := boltstore.Open(dir, storetest.Task, boltstore.Options{ReadOnly: true}); err == nil {
		t.Fatal("read-only open of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, boltstore.FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a read-only open created the file: %v", err)
	}
	s, err := boltstore.Open(dir, storetest.Task, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var u store.Update
	u.SetCheckpoint("src", store.Checkpoint{Seq: 5})
	if err := s.Commit(&u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	changed := store.Identity{Task: storetest.Task.Task, TopologyHash: "0000beef", Topology: `{"sources":{}}`}
	if _, err := boltstore.Open(dir, changed, boltstore.Options{ReadOnly: true}); !errors.Is(err, store.ErrTopologyChanged) {
		t.Fatalf("read-only open under another topology, nothing accepting = %v, want ErrTopologyChanged", err)
	}
	changed.Accept = func(store.Identity, store.Location) error { return nil }
	ro, err := boltstore.Open(dir, changed, boltstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open accepting the change: %v", err)
	}
	if cp, ok, err := ro.Checkpoint("src"); err != nil || !ok || cp.Seq != 5 {
		t.Fatalf("read-only checkpoint = %+v, %v, %v", cp, ok, err)
	}
	if id := ro.Identity(); id.TopologyHash != storetest.Task.TopologyHash {
		t.Errorf("read-only Identity = %+v, want the stored one", id)
	}
	if err := ro.Commit(&u); err == nil {
		t.Error("a read-only store committed")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(filepath.Join(dir, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a read-only open changed the file")
	}
}
