package store

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/change"
)

func TestPosKey_SortsInBinlogOrder(t *testing.T) {
	ps := []change.Position{
		{File: "mysql-bin.000002", Pos: 4},
		{File: "mysql-bin.000001", Pos: 999999},
		{File: "mysql-bin.1000000", Pos: 4},
		{File: "mysql-bin.999999", Pos: 120},
		{File: "mysql-bin.000002", Pos: 10},
		{File: "mysql-bin.000001", Pos: 4},
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = PosKey(p)
	}
	sort.Strings(keys)
	want := []string{
		PosKey(change.Position{File: "mysql-bin.000001", Pos: 4}),
		PosKey(change.Position{File: "mysql-bin.000001", Pos: 999999}),
		PosKey(change.Position{File: "mysql-bin.000002", Pos: 4}),
		PosKey(change.Position{File: "mysql-bin.000002", Pos: 10}),
		PosKey(change.Position{File: "mysql-bin.999999", Pos: 120}),
		PosKey(change.Position{File: "mysql-bin.1000000", Pos: 4}),
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("sorted keys = %q, want %q", keys, want)
		}
	}
	if got := PosKey(change.Position{File: "mysql-bin.000003", Pos: 1234}); got != "mysql-bin.00000000000000000003:0000001234" {
		t.Fatalf("PosKey = %q", got)
	}
	if got := PosKey(change.Position{File: "odd", Pos: 7}); got != "odd.00000000000000000000:0000000007" {
		t.Fatalf("PosKey without index = %q", got)
	}
}

func TestUpdate_SetCheckpoint_ReplacesPerSource(t *testing.T) {
	var u Update
	if !u.Empty() {
		t.Fatal("new Update not empty")
	}
	u.SetCheckpoint("a", Checkpoint{Seq: 1})
	u.SetCheckpoint("b", Checkpoint{Seq: 2})
	u.SetCheckpoint("a", Checkpoint{Seq: 3})
	u.SetSnapshot("a", Snapshot{Started: true})
	u.SetSnapshot("a", Snapshot{Finished: true})
	if len(u.Checkpoints) != 2 || u.Checkpoints[0].Seq != 3 || u.Checkpoints[1].Seq != 2 {
		t.Fatalf("Checkpoints = %+v", u.Checkpoints)
	}
	if len(u.Snapshots) != 1 || !u.Snapshots[0].Finished {
		t.Fatalf("Snapshots = %+v", u.Snapshots)
	}
	u.PutChunk("a", "db.t", Chunk{ID: 1})
	u.PutSchema("a", "db.t", "k", []byte("x"))
	u.ResetChunks("a", "")
	if u.Empty() {
		t.Fatal("Update with writes reports Empty")
	}
	u.Reset()
	if !u.Empty() || cap(u.Chunks) == 0 {
		t.Fatalf("Reset: empty=%v cap(Chunks)=%d", u.Empty(), cap(u.Chunks))
	}
}

func TestUpdate_Validate_RefusesEmptyNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill func(u *Update)
	}{
		{"checkpoint", func(u *Update) { u.SetCheckpoint("", Checkpoint{}) }},
		{"snapshot", func(u *Update) { u.SetSnapshot("", Snapshot{}) }},
		{"reset", func(u *Update) { u.ResetChunks("", "t") }},
		{"chunk table", func(u *Update) { u.PutChunk("s", "", Chunk{}) }},
		{"schema key", func(u *Update) { u.PutSchema("s", "t", "", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var u Update
			tc.fill(&u)
			if err := u.Validate(); !errors.Is(err, ErrInvalidUpdate) {
				t.Fatalf("Validate = %v, want ErrInvalidUpdate", err)
			}
		})
	}
}

func TestCheckIdentity(t *testing.T) {
	loc := Location{Name: "/srv/cp/checkpoints.db", Setting: "checkpoint_dir", Discard: "move the file away"}
	a := Identity{Task: "orders", TopologyHash: "aaaa"}
	if err := CheckIdentity(loc, a, a, false); err != nil {
		t.Fatalf("same identity: %v", err)
	}
	err := CheckIdentity(loc, a, Identity{Task: "billing", TopologyHash: "aaaa"}, true)
	if !errors.Is(err, ErrForeignTask) {
		t.Fatalf("other task: %v", err)
	}
	// The fix names the location's own setting and way to start over.
	if want := "/srv/cp/checkpoints.db was written by task \"orders\", and this is task \"billing\"; " +
		"give each task its own checkpoint_dir, or move the file away"; !strings.Contains(err.Error(), want) {
		t.Fatalf("other task: %q lacks %q", err, want)
	}
	changed := Identity{Task: "orders", TopologyHash: "bbbb"}
	if err := CheckIdentity(loc, a, changed, false); !errors.Is(err, ErrTopologyChanged) {
		t.Fatalf("changed topology: %v", err)
	}
	if err := CheckIdentity(loc, a, changed, true); err != nil {
		t.Fatalf("changed topology, allowed: %v", err)
	}
}

func TestCheckServer(t *testing.T) {
	cp := Checkpoint{ServerUUID: "1/0", Pos: change.Position{File: "mysql-bin.000001", Pos: 4}}
	if err := CheckServer("s", cp, "1/0"); err != nil {
		t.Fatal(err)
	}
	if err := CheckServer("s", Checkpoint{}, "2/0"); err != nil {
		t.Fatalf("no recorded server: %v", err)
	}
	err := CheckServer("s", cp, "2/0")
	if !errors.Is(err, ErrServerMismatch) {
		t.Fatalf("other server: %v", err)
	}
	t.Log(err)
}
