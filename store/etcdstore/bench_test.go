package etcdstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store/storetest"
)

// BenchmarkCommit measures one fenced Commit against the bed's etcd (one
// member, fsync on): a checkpoint alone, with 50 chunk states (still one
// transaction), and with 1,000 (through the journal, as a snapshot's plan).
func BenchmarkCommit(b *testing.B) {
	for _, chunks := range []int{0, 50, 1000} {
		b.Run(fmt.Sprintf("chunks=%d", chunks), func(b *testing.B) {
			s, _ := openOwned(b)
			storetest.BenchCommit(b, s, chunks)
		})
	}
}

// BenchmarkPut is the baseline for BenchmarkCommit: one plain etcd put of a
// checkpoint-sized value, no fence, no store.
func BenchmarkPut(b *testing.B) {
	cli := bed(b)
	prefix := testbed.NewEtcdPrefix(b)
	v := string(make([]byte, 150))
	for b.Loop() {
		if _, err := cli.Put(context.Background(), prefix+"checkpoint", v); err != nil {
			b.Fatal(err)
		}
	}
}
