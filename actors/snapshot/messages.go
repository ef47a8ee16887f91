package snapshot

import "github.com/asynkron/protoactor-go/actor"

// The coordinator receives *flow.Start, *flow.SnapshotCommitted and
// *flow.StopReading; shards receive *flow.Released and *flow.Charged.

// shardReady tells the coordinator a shard is connected and can take a chunk.
type shardReady struct{ shard *actor.PID }

// readChunk assigns a chunk to a shard.
type readChunk struct{ work chunkWork }

// chunkRead reports that a shard read its whole chunk and announced its
// completion to the checkpointer.
type chunkRead struct {
	shard *actor.PID
	rows  uint64
}

// readFailed carries a chunk read's error from the shard's goroutine into
// the shard, which fails with it.
type readFailed struct{ err error }
