package source

import (
	"cmp"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sluicecdc/sluice/actors/checkpointer"
	"github.com/sluicecdc/sluice/actors/flow"
	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/status"
)

// The tests run a real unit and checkpointer with fake readers, pipelines
// and a fake sink that speak the same protocol: a reader emits one change
// per batch (Seq k, a mark at k), the pipeline turns it into a Write, the
// sink records it and acknowledges it.

const lastSeq = 40

// bed is one test's actor system and what its fakes observed.
type bed struct {
	t      *testing.T
	system *actor.ActorSystem
	cp     *actor.PID
	sink   *actor.PID
	unit   *actor.PID
	parent *actor.PID
	reg    *status.Registry
	status *status.Source

	mu      sync.Mutex
	written []uint64 // seqs in the order the sink received them
	durable uint64   // newest committed mark
	errs    []error  // failures that reached the unit's parent
	stopped bool     // the unit reported ReadingStopped
}

// faults are the failures the fakes inject once each.
type faults struct {
	readerPanicAt   uint64 // the reader panics instead of sending this seq
	pipelinePanicAt uint64 // the pipeline panics on this seq
	pipelineBugAt   uint64 // the pipeline dereferences nil on this seq, every time
	readerErr       error  // returned by every reader start (e.g. a terminal error)
	pipelineFailAt  uint64 // the pipeline fails with a retryable error on this seq, every time
	window          time.Duration
	// readerPanicAgainAt is a second seq the reader panics at, once.
	readerPanicAgainAt uint64
	// emitEvery paces the reader: one batch per tick (0: as fast as credit allows).
	emitEvery time.Duration
}

func newBed(t *testing.T, grant int64, f *faults, snapshot bool) *bed {
	t.Helper()
	b := &bed{t: t, system: actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.DiscardHandler)
	}))}
	b.reg = status.NewRegistry()
	b.status = b.reg.Source("db", grant)
	b.cp = b.system.Root.Spawn(actor.PropsFromProducer(checkpointer.New(checkpointer.Config{
		Interval: 10 * time.Millisecond,
		Sources:  map[string]checkpointer.SourceStart{"db": {Resume: flow.Resume{NextSeq: 1}, Budget: grant}},
		Commit: func(d *checkpointer.Durable) error {
			b.mu.Lock()
			defer b.mu.Unlock()
			if m, ok := d.Marks["db"]; ok {
				b.durable = m.Seq
			}
			return nil
		},
		Logger: slog.New(slog.DiscardHandler),
	})))
	b.sink = b.system.Root.Spawn(actor.PropsFromFunc(b.fakeSink))
	var readerPanicked, readerPanickedAgain, pipelinePanicked atomic.Bool
	reader := func(phase string) func(uint64, []*actor.PID) actor.Producer {
		return func(epoch uint64, pipelines []*actor.PID) actor.Producer {
			return func() actor.Actor {
				return &fakeReader{cp: b.cp, epoch: epoch, pipelines: pipelines, phase: phase, f: f, panicked: &readerPanicked, panickedAgain: &readerPanickedAgain}
			}
		}
	}
	children := Children{
		Pipelines: []Named{{Name: "pipeline/0", Producer: func() actor.Actor {
			return &fakePipeline{cp: b.cp, sink: b.sink, f: f, panicked: &pipelinePanicked}
		}}},
		Binlog: reader("binlog"),
	}
	if snapshot {
		children.Snapshot = reader("snapshot")
	}
	parent := b.system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Started:
			b.unit = ctx.Spawn(actor.PropsFromProducer(New(Config{
				Source: "db", RetryWindow: cmp.Or(f.window, time.Minute), Children: children,
				Checkpointer: b.cp, Sinks: []*actor.PID{b.sink}, Status: b.status,
				SetError: func(error) {}, Logger: slog.New(slog.DiscardHandler),
			})))
		case *ReadingStopped:
			b.mu.Lock()
			b.stopped = true
			b.mu.Unlock()
		case *flow.StopReading:
			ctx.Send(b.unit, m)
		}
	}, actor.WithSupervisor(failureRecorder{b})))
	b.parent = parent
	t.Cleanup(func() { b.system.Shutdown() })
	return b
}

func (b *bed) fakeSink(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *sink.Write:
		b.mu.Lock()
		for _, msg := range m.Messages {
			b.written = append(b.written, msg.Seq)
		}
		b.mu.Unlock()
		ctx.Send(b.cp, &checkpointer.BatchAcked{Source: m.Source, Epoch: m.Epoch, ID: m.ID})
	case *sink.DropSource:
	}
}

// waitFor polls cond for up to 10 s.
func (b *bed) waitFor(what string, cond func() bool) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		ok := cond()
		b.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.t.Fatalf("timed out waiting for %s (durable %d, %d written, errors %v)", what, b.durable, len(b.written), b.errs)
}

// checkNothingLost asserts every seq up to lastSeq was written, in order
// apart from re-sends after the durable mark, and returns the re-sends.
func (b *bed) checkNothingLost() int {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	seen := map[uint64]bool{}
	var last uint64
	dups := 0
	for _, s := range b.written {
		if s <= last {
			dups++ // a re-send after a restart: a consumer drops it by seq
		} else if s != last+1 {
			b.t.Fatalf("seq %d written after %d: a gap (written %v)", s, last, b.written)
		} else {
			last = s
		}
		seen[s] = true
	}
	for s := uint64(1); s <= lastSeq; s++ {
		if !seen[s] {
			b.t.Fatalf("seq %d never written (written %v)", s, b.written)
		}
	}
	return dups
}

func TestUnit_PipelinePanic_RestartsFromTheDurableMarkWithNothingLost(t *testing.T) {
	// A grant of three batches: without credit returned after the
	// restart, the reader would stall for good.
	b := newBed(t, 3*100, &faults{pipelinePanicAt: 10}, false)
	b.waitFor("every change durable", func() bool { return b.durable == lastSeq })
	if dups := b.checkNothingLost(); dups > 3 {
		t.Fatalf("%d re-sends: more than the in-flight budget behind the durable mark", dups)
	}
	if got := b.restarts(); got != 1 {
		t.Fatalf("restarts = %d, want 1", got)
	}
}

func TestUnit_ReaderPanic_RestartsWithNothingLost(t *testing.T) {
	b := newBed(t, 3*100, &faults{readerPanicAt: 7}, false)
	b.waitFor("every change durable", func() bool { return b.durable == lastSeq })
	b.checkNothingLost()
}

func TestUnit_RepeatedBug_FailsTheTaskInsteadOfLooping(t *testing.T) {
	b := newBed(t, 3*100, &faults{pipelineBugAt: 5}, false)
	b.waitFor("the unit to fail", func() bool { return len(b.errs) > 0 })
	b.mu.Lock()
	err := b.errs[0]
	b.mu.Unlock()
	if !errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want a terminal internal error", err)
	}
}

func TestUnit_PersistentDownstreamFailure_EndsAfterTheRetryWindow(t *testing.T) {
	// The reader reads fine each time; only the pipeline fails. The run of
	// failures must still reach the window (it used to restart forever).
	b := newBed(t, 300, &faults{pipelineFailAt: 5, window: 1500 * time.Millisecond}, false)
	b.waitFor("the unit to fail", func() bool { return len(b.errs) > 0 })
	b.mu.Lock()
	err := b.errs[0]
	b.mu.Unlock()
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "retry window") {
		t.Fatalf("err = %v, want terminal after the retry window", err)
	}
	if r := b.restarts(); r < 2 {
		t.Fatalf("restarts = %d, want several before the window ended", r)
	}
}

// Regression (issue 17, defect 9): a run of failures lasted until the
// children had run 30 s, so a second outage soon after a recovered one
// ended the task at the first one's retry window.
func TestUnit_RecoveredReader_StartsANewRetryWindow(t *testing.T) {
	// Paced at one batch per 20 ms, the two failures are about 500 ms
	// apart, longer than the window; each alone is well within it.
	b := newBed(t, 300, &faults{readerPanicAt: 7, readerPanicAgainAt: 20, window: 250 * time.Millisecond, emitEvery: 20 * time.Millisecond}, false)
	b.waitFor("every change durable, or a failure", func() bool { return b.durable == lastSeq || len(b.errs) > 0 })
	b.mu.Lock()
	errs := b.errs
	b.mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("the task failed after two separate outages: %v", errs[0])
	}
	if got := b.restarts(); got != 2 {
		t.Fatalf("restarts = %d, want 2", got)
	}
	b.checkNothingLost()
}

func TestUnit_TerminalError_FailsAtOnce(t *testing.T) {
	b := newBed(t, 300, &faults{readerErr: errkind.Terminal(errors.New("binlog purged"))}, false)
	b.waitFor("the unit to fail", func() bool { return len(b.errs) > 0 })
	if got := b.restarts(); got != 0 {
		t.Fatalf("restarts = %d, want none for a terminal error", got)
	}
}

func TestUnit_SnapshotThenBinlog_SwitchesReaders(t *testing.T) {
	b := newBed(t, 300, &faults{}, true)
	b.waitFor("every change durable", func() bool { return b.durable == lastSeq })
	b.checkNothingLost()
}

func TestUnit_StopReading_ReportsStopped(t *testing.T) {
	b := newBed(t, 300, &faults{}, false)
	b.waitFor("some progress", func() bool { return b.durable > 3 })
	b.system.Root.Send(b.parent, &flow.StopReading{})
	b.waitFor("the unit to report it stopped", func() bool { return b.stopped })
}

// fakeReader emits one change per batch from its resume point up to
// lastSeq, within its credit. In the snapshot phase it emits nothing and
// finishes at once: the switch to the binlog reader is what is tested.
type fakeReader struct {
	cp        *actor.PID
	epoch     uint64
	pipelines []*actor.PID
	phase     string
	f         *faults
	panicked  *atomic.Bool
	// panickedAgain is set once the reader panicked at readerPanicAgainAt.
	panickedAgain *atomic.Bool
	credit        *flow.Credit
	recovered     bool
	next          uint64
	id            uint64
	stopping      bool
}

type emit struct{}

func (r *fakeReader) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Send(r.cp, &checkpointer.ResumeFrom{Source: "db", Epoch: r.epoch, From: ctx.Self()})
	case *flow.Start:
		if r.f.readerErr != nil {
			panic(r.f.readerErr)
		}
		if r.phase == "snapshot" {
			r.id++
			ctx.Send(r.cp, &checkpointer.BatchSent{Source: "db", Epoch: r.epoch, ID: r.id, From: ctx.Self(), SnapshotFinished: true})
			return
		}
		r.credit, r.next = flow.NewCredit(m.Grant), m.Resume.NextSeq
		ctx.Send(ctx.Self(), &emit{})
	case *flow.SnapshotCommitted:
		ctx.Send(ctx.Parent(), &SnapshotDone{Source: "db"})
	case *flow.Released:
		if m.Epoch == r.epoch {
			r.credit.Add(m.Bytes)
			if !r.recovered { // as the real readers do
				r.recovered = true
				ctx.Send(ctx.Parent(), &Recovered{Source: "db", Epoch: r.epoch})
			}
			if r.f.emitEvery == 0 {
				ctx.Send(ctx.Self(), &emit{})
			}
		}
	case *flow.StopReading:
		r.stopping = true
		ctx.Send(ctx.Parent(), &ReadingStopped{Source: "db"})
	case *emit:
		for !r.stopping && r.next <= lastSeq && r.credit.Available() > 0 {
			if r.next == r.f.readerPanicAt && r.panicked.CompareAndSwap(false, true) ||
				r.next == r.f.readerPanicAgainAt && r.panickedAgain.CompareAndSwap(false, true) {
				panic(errors.New("connection reset"))
			}
			batch := &change.Batch{Source: "db", Mark: &change.Mark{Seq: r.next, Pos: change.Position{File: "b.1", Pos: uint32(r.next)}}}
			batch.Add(change.Change{Seq: r.next, Op: change.OpInsert, Size: 100})
			r.credit.Take(int64(batch.Bytes))
			r.id++
			ctx.Send(r.cp, &checkpointer.BatchSent{Source: "db", Epoch: r.epoch, ID: r.id, Mark: batch.Mark, Bytes: int64(batch.Bytes), Acks: len(r.pipelines), From: ctx.Self()})
			for _, p := range r.pipelines {
				ctx.Send(p, &pipeline.Process{Source: "db", Epoch: r.epoch, ID: r.id, Batch: batch})
			}
			r.next++
			if r.f.emitEvery > 0 {
				root, self := ctx.ActorSystem().Root, ctx.Self()
				time.AfterFunc(r.f.emitEvery, func() { root.Send(self, &emit{}) })
				return
			}
		}
	}
}

// fakePipeline turns each batch into a Write of one message per change.
type fakePipeline struct {
	cp, sink *actor.PID
	f        *faults
	panicked *atomic.Bool
}

func (p *fakePipeline) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*pipeline.Process)
	if !ok {
		return
	}
	w := &sink.Write{Source: m.Source, Epoch: m.Epoch, ID: m.ID}
	for _, c := range m.Batch.Changes {
		if c.Seq == p.f.pipelinePanicAt && p.panicked.CompareAndSwap(false, true) {
			panic(errors.New("schema registry unreachable"))
		}
		if c.Seq == p.f.pipelineFailAt {
			panic(errors.New("schema registry unreachable"))
		}
		if c.Seq == p.f.pipelineBugAt {
			var nilBatch *change.Batch
			_ = nilBatch.Changes // a runtime error, every time
		}
		w.Messages = append(w.Messages, kafkaMessage(c.Seq))
	}
	ctx.Send(p.sink, w)
}

func (b *bed) restarts() uint64 { return b.reg.View(time.Now()).Sources[0].Restarts }

func kafkaMessage(seq uint64) kafkawriter.Message { return kafkawriter.Message{Topic: "t", Seq: seq} }

// failureRecorder is the unit's parent's strategy: it records the failure.
type failureRecorder struct{ b *bed }

func (f failureRecorder) HandleFailure(_ *actor.ActorSystem, _ actor.Supervisor, _ *actor.PID, _ *actor.RestartStatistics, reason, _ any) {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	f.b.errs = append(f.b.errs, reason.(error))
}
