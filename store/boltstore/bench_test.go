package boltstore_test

import (
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
)

// BenchmarkCommit measures one durable Commit (fsync included) of a
// checkpoint alone and of a checkpoint with a batch of chunk states.
func BenchmarkCommit(b *testing.B) {
	for _, chunks := range []int{0, 100} {
		b.Run(fmt.Sprintf("chunks=%d", chunks), func(b *testing.B) {
			s, err := boltstore.Open(b.TempDir(), store.Identity{Task: "bench"}, boltstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var u store.Update
			seq := uint64(0)
			for b.Loop() {
				u.Reset()
				seq++
				u.SetCheckpoint("src", store.Checkpoint{Pos: change.Position{File: "mysql-bin.000001", Pos: uint32(seq)}, Seq: seq})
				for i := range chunks {
					u.PutChunk("src", "db.t", store.Chunk{ID: uint32(int(seq)*chunks + i), Low: []byte("0123456789"), High: []byte("0123456799"), Done: true, Rows: 8192})
				}
				if err := s.Commit(&u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
