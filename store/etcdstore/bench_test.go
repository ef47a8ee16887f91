package etcdstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

// BenchmarkCommit measures one fenced Commit against the bed's etcd (one
// member, fsync on): a checkpoint alone, with 50 chunk states (still one
// transaction), and with 1,000 (through the journal, as a snapshot's plan).
func BenchmarkCommit(b *testing.B) {
	for _, chunks := range []int{0, 50, 1000} {
		b.Run(fmt.Sprintf("chunks=%d", chunks), func(b *testing.B) {
			cli := bed(b)
			prefix := testbed.NewEtcdPrefix(b)
			owner, _ := own(b, cli, prefix+"owner", "node-a")
			s, err := etcdstore.Open(cli, prefix+"task/", owner, storetest.Task, etcdstore.Options{})
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
