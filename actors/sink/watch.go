package sink

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/sink/partitions"
)

// watchPartitions compares the sink's topics' partition counts with
// Kafka's every partitions.CheckEvery, on a goroutine of its own (a
// metadata request must not hold up the mailbox). A change is sent back as
// partitionsChanged; a failed read is left to the write path, which meets
// the same outage.
func (a *Actor) watchPartitions(ctx actor.Context) {
	describe, known := a.cfg.Describe, partitions.Counts(a.cfg.Partitions)
	if describe == nil || len(known) == 0 {
		return
	}
	topics := slices.Sorted(maps.Keys(known))
	stop := make(chan struct{})
	a.stopWatch = func() { close(stop) }
	root, self, name := ctx.ActorSystem().Root, ctx.Self(), a.cfg.Name
	go func() {
		tick := time.NewTicker(a.watchEvery())
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			rctx, cancel := context.WithTimeout(context.Background(), partitions.CheckEvery)
			have, err := describe(rctx, topics)
			cancel()
			if err != nil {
				continue
			}
			if err := partitions.Check(name, known, have); err != nil {
				root.Send(self, &partitionsChanged{err: err})
				return
			}
		}
	}()
}

func (a *Actor) watchEvery() time.Duration {
	if a.cfg.WatchEvery > 0 {
		return a.cfg.WatchEvery
	}
	return partitions.CheckEvery
}
