package boltstore_test

import (
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/store/storetest"
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
			storetest.BenchCommit(b, s, chunks)
		})
	}
}
