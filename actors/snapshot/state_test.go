package snapshot

import (
	"slices"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
)

// TestRemaining_AfterRestart stores a plan, marks some chunks done, and
// checks that a restart reads back exactly the unfinished chunks with bounds
// intact.
func TestRemaining_AfterRestart(t *testing.T) {
	plan := []Chunk{
		{ID: 0, High: EncodeKey([][]byte{[]byte("10")})},
		{ID: 1, Low: EncodeKey([][]byte{[]byte("10")}), High: EncodeKey([][]byte{[]byte("20")})},
		{ID: 2, Low: EncodeKey([][]byte{[]byte("20")})},
	}
	s, err := memstore.Open(memstore.NewDisk("test"), store.Identity{Task: "t"}, memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var u store.Update
	for _, c := range plan {
		u.PutChunk("src", "db.t", c.Stored())
	}
	if err := s.Commit(&u); err != nil {
		t.Fatal(err)
	}
	u.Reset()
	done := plan[1].Stored()
	done.Done, done.Rows, done.Pos = true, 10, change.Position{File: "mariadb-bin.000001", Pos: 400}
	u.PutChunk("src", "db.t", done)
	if err := s.Commit(&u); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Chunks("src", "db.t")
	if err != nil {
		t.Fatal(err)
	}
	got := Remaining(stored)
	if len(got) != 2 || got[0].ID != 0 || got[1].ID != 2 {
		t.Fatalf("Remaining = %+v, want chunks 0 and 2", got)
	}
	for _, c := range got {
		want := plan[c.ID]
		if !slices.Equal(c.Low, want.Low) || !slices.Equal(c.High, want.High) {
			t.Errorf("chunk %d bounds changed through the store", c.ID)
		}
	}
}
