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

func TestGTIDKey_SortsByOrdinalAfterPositions(t *testing.T) {
	keys := []string{GTIDKey(100), PosKey(change.Position{File: "mysql-bin.999999", Pos: 4}), GTIDKey(9), GTIDKey(1 << 40), PosKey(change.Position{File: "zz.000001", Pos: 4})}
	sort.Strings(keys)
	want := []string{PosKey(change.Position{File: "mysql-bin.999999", Pos: 4}), PosKey(change.Position{File: "zz.000001", Pos: 4}), GTIDKey(9), GTIDKey(100), GTIDKey(1 << 40)}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("sorted keys = %q, want %q", keys, want)
		}
	}
	if !IsGTIDKey(GTIDKey(7)) || IsGTIDKey(PosKey(change.Position{File: "b.000001", Pos: 4})) {
		t.Fatal("IsGTIDKey does not tell GTID keys from position keys")
	}
	if got := GTIDKey(17); got != "~gtid:00000000000000000017" {
		t.Fatalf("GTIDKey = %q", got)
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
	a := Identity{Task: "orders", TopologyHash: "aaaa", Topology: `{"a":1}`}
	accept := func(Identity, Location) error { return nil }
	if err := CheckIdentity(loc, a, a); err != nil {
		t.Fatalf("same identity: %v", err)
	}
	err := CheckIdentity(loc, a, Identity{Task: "billing", TopologyHash: "aaaa", Accept: accept})
	if !errors.Is(err, ErrForeignTask) {
		t.Fatalf("other task: %v", err)
	}
	// The fix names the task's name key, the location's own setting and
	// its way to start over.
	if want := "/srv/cp/checkpoints.db was written by task \"orders\", and this is task \"billing\"; " +
		"if this topology describes that task, set name: \"orders\" at the top level of the topology file, " +
		"otherwise give each task its own checkpoint_dir, or move the file away"; !strings.Contains(err.Error(), want) {
		t.Fatalf("other task: %q lacks %q", err, want)
	}
	for _, changed := range []Identity{
		{Task: "orders", TopologyHash: "bbbb", Topology: a.Topology},
		{Task: "orders", TopologyHash: a.TopologyHash, Topology: `{"a":2}`},
	} {
		if err := CheckIdentity(loc, a, changed); !errors.Is(err, ErrTopologyChanged) {
			t.Fatalf("changed topology %+v, nothing accepting: %v", changed, err)
		}
		var got Identity
		changed.Accept = func(stored Identity, _ Location) error { got = stored; return nil }
		if err := CheckIdentity(loc, a, changed); err != nil || got.Topology != a.Topology {
			t.Fatalf("changed topology, accepted: %v (Accept got %+v)", err, got)
		}
	}
}

func TestCheckpoint_TakenOn(t *testing.T) {
	cp := Checkpoint{ServerUUID: "1/0"}
	if !cp.TakenOn("1/0") || cp.TakenOn("2/0") {
		t.Fatalf("TakenOn: same %v, other %v", cp.TakenOn("1/0"), cp.TakenOn("2/0"))
	}
	if !(Checkpoint{}).TakenOn("2/0") {
		t.Fatal("a checkpoint that records no server: not taken on any")
	}
}

func TestCheckSwitch(t *testing.T) {
	pos := change.Position{File: "mysql-bin.000007", Pos: 1234}
	lacking := errors.New("its binlog has no transaction of server_id 1 in domain 0")
	for _, tc := range []struct {
		name    string
		cp      Checkpoint
		lacking error
		want    []string // parts of the refusal; nil: resumes
	}{
		{"GTID set the server holds", Checkpoint{ServerUUID: "1/0", Pos: pos, GTIDSet: "0-1-17"}, nil, nil},
		{"GTID set the server lacks", Checkpoint{ServerUUID: "1/0", Pos: pos, GTIDSet: "0-1-17"}, lacking,
			[]string{`source "s"`, "GTID set 0-1-17 on server 1/0", "connected to server 2/0", "no transaction of server_id 1", "replicated server 1/0", "new snapshot", "start: initial"}},
		{"no GTID set", Checkpoint{ServerUUID: "1/0", Pos: pos}, nil,
			[]string{"mysql-bin.000007:1234 on server 1/0", "no GTID set", "only a checkpoint with a GTID set", "back at server 1/0", "new snapshot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSwitch("s", tc.cp, "2/0", tc.lacking)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *SwitchError
			if !errors.Is(err, ErrServerMismatch) || !errors.As(err, &se) {
				t.Fatalf("CheckSwitch = %v, want a *SwitchError wrapping ErrServerMismatch", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the refusal does not say %q:\n%v", w, err)
				}
			}
			if se.What()+se.Fix() == "" || !strings.Contains(err.Error(), se.Fix()) {
				t.Errorf("What/Fix do not make up the message: %q / %q", se.What(), se.Fix())
			}
			t.Log(err)
		})
	}
}
