// Package source is a source's recovery unit: the supervisor of the actor
// reading the source (the snapshot coordinator, then the binlog reader) and
// of the source's pipelines.
//
// Everything downstream of a source holds its batches in flight: a failure
// anywhere below the unit (a reader, a shard, a pipeline, a panic included)
// therefore restarts all of it (all-for-one). The unit stops its children,
// tells the checkpointer to drop the source's in-flight batches (Reset) and
// the sinks to drop its queued Writes (sink.DropSource), bumps the epoch,
// and after a backoff spawns the children again. The new reader asks the
// checkpointer where to resume (the last mark acknowledged by every sink)
// and gets its whole credit back: nothing is lost and nothing waits for an
// acknowledgement that will never come. Changes after that mark are sent
// again, with the same sequence numbers (at-least-once).
//
// Retryable failures are retried for the source's retry window, counted from
// the first failure of an unbroken run (children that ran 30 s without
// failing end the run: a reader that reads again is not enough, since a
// failing pipeline would then restart every 200 ms forever); terminal ones (internal/errkind) fail the unit, and its
// parent stops the task. A panic that is not an I/O failure (a runtime
// error: a bug) is retried a few times only, so a deterministic bug fails the
// task with its message instead of looping for the retry window.
//
// The delay is a scheduled message: nothing sleeps inside Receive, so a
// graceful stop lands at once.
package source
