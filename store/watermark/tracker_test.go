package watermark

import (
	"math/rand/v2"
	"testing"

	"github.com/sluicecdc/sluice/change"
)

func mark(seq uint64) change.Mark {
	return change.Mark{Seq: seq, Pos: change.Position{File: "mysql-bin.000001", Pos: uint32(seq)}}
}

func wantDurable(t *testing.T, tr *Tracker, seq uint64, ok bool) {
	t.Helper()
	m, has := tr.Durable()
	if has != ok || (ok && m.Seq != seq) {
		t.Fatalf("Durable = %d, %v; want %d, %v", m.Seq, has, seq, ok)
	}
}

func TestTracker_InOrderAcks(t *testing.T) {
	tr := New(1, 1)
	wantDurable(t, tr, 0, false)
	tr.AddMark(mark(3))
	tr.AddMark(mark(5))
	tr.AckRange(0, 1, 2)
	wantDurable(t, tr, 0, false)
	tr.AckRange(0, 3, 4)
	wantDurable(t, tr, 3, true)
	tr.AckRange(0, 5, 5)
	wantDurable(t, tr, 5, true)
	if tr.Low() != 6 || tr.Pending() != 0 {
		t.Fatalf("Low=%d Pending=%d", tr.Low(), tr.Pending())
	}
}

func TestTracker_OutOfOrderAcksAcrossPartitions(t *testing.T) {
	// Seqs 1..12 spread over three partitions round-robin; partition 2 acks
	// first, partition 0 last.
	tr := New(1, 1)
	tr.AddMark(mark(4))
	tr.AddMark(mark(12))
	tr.Ack(0, []uint64{3, 6, 9, 12})
	wantDurable(t, tr, 0, false)
	tr.Ack(0, []uint64{2, 5, 8, 11})
	wantDurable(t, tr, 0, false)
	tr.Ack(0, []uint64{1, 4})
	wantDurable(t, tr, 4, true) // 1..6 acked, 7 missing
	tr.Ack(0, []uint64{7, 10})
	wantDurable(t, tr, 12, true)
}

func TestTracker_MarkWithEmptyBatch(t *testing.T) {
	// Resuming at seq 100: a mark for transactions that touched no selected
	// table carries Seq 99 and is durable at once.
	tr := New(2, 100)
	tr.AddMark(mark(99))
	wantDurable(t, tr, 99, true)
	// Another empty-transaction mark at the same Seq moves the position on.
	m := mark(99)
	m.Pos.Pos = 5000
	tr.AddMark(m)
	got, _ := tr.Durable()
	if got.Pos.Pos != 5000 {
		t.Fatalf("Durable pos = %d, want the newer mark's 5000", got.Pos.Pos)
	}
	// A mark after changes waits for them.
	tr.AddMark(mark(101))
	tr.AckRange(0, 100, 101)
	wantDurable(t, tr, 99, true)
	tr.AckRange(1, 100, 101)
	wantDurable(t, tr, 101, true)
}

func TestTracker_OneToMany_NeedsEverySink(t *testing.T) {
	tr := New(3, 1)
	tr.AddMark(mark(10))
	tr.AckRange(0, 1, 10)
	tr.AckRange(2, 1, 10)
	wantDurable(t, tr, 0, false)
	// Pipeline 1 filtered 1..4 out (acked at once) and wrote 5..10.
	tr.Ack(1, []uint64{1, 2, 3, 4})
	wantDurable(t, tr, 0, false)
	tr.AckRange(1, 5, 10)
	wantDurable(t, tr, 10, true)
}

func TestTracker_DuplicateAndStaleAcks(t *testing.T) {
	tr := New(1, 1)
	tr.AddMark(mark(3))
	tr.Ack(0, []uint64{2, 2, 2})
	wantDurable(t, tr, 0, false)
	tr.Ack(0, []uint64{1, 3, 1, 2})
	wantDurable(t, tr, 3, true)
	tr.AckRange(0, 1, 3) // stale: below the watermark
	tr.Ack(0, []uint64{0})
	if tr.Low() != 4 {
		t.Fatalf("Low = %d after stale acks", tr.Low())
	}
}

func TestTracker_StartsMidWord(t *testing.T) {
	for _, next := range []uint64{0, 1, 63, 64, 65, 127, 1 << 40} {
		tr := New(1, next)
		if tr.Low() != next {
			t.Fatalf("next=%d: Low = %d", next, tr.Low())
		}
		tr.AddMark(mark(next + 200))
		tr.AckRange(0, next, next+199)
		wantDurable(t, tr, 0, false)
		tr.Ack(0, []uint64{next + 200})
		wantDurable(t, tr, next+200, true)
	}
}

func TestTracker_GrowsPastInitialRing(t *testing.T) {
	tr := New(1, 1)
	const n = 100_000
	tr.AddMark(mark(n))
	// Ack everything but seq 1, then seq 1.
	tr.AckRange(0, 2, n)
	wantDurable(t, tr, 0, false)
	tr.Ack(0, []uint64{1})
	wantDurable(t, tr, n, true)
	// After growth the ring keeps working across wrap-around.
	for i := uint64(n + 1); i < 3*n; i += 10 {
		tr.AckRange(0, i, i+9)
	}
	if tr.Low() != 3*n+1 {
		t.Fatalf("Low = %d, want %d", tr.Low(), 3*n+1)
	}
}

func TestTracker_AckAll_Gap(t *testing.T) {
	tr := New(2, 10)
	tr.AddMark(mark(30))
	tr.AckRange(0, 10, 19)
	tr.AckRange(1, 10, 19)
	tr.AckAll(20, 25) // a gap in the numbering
	tr.AckRange(0, 26, 30)
	tr.AckRange(1, 26, 30)
	wantDurable(t, tr, 30, true)
}

func TestTracker_SteadyStateDoesNotAllocate(t *testing.T) {
	tr := New(2, 1)
	seqs := make([]uint64, 64)
	next := uint64(1)
	step := func() {
		for i := range seqs {
			seqs[len(seqs)-1-i] = next + uint64(i) // reversed: out of order
		}
		tr.Ack(0, seqs)
		tr.AckRange(1, next, next+63)
		next += 64
		tr.AddMark(mark(next - 1))
		tr.Durable()
	}
	for range 1000 { // warm up: ring and mark queue at their working size
		step()
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Fatalf("%v allocations per 64 acks", a)
	}
}

// naive is the reference model: a set of acked seqs per pipeline.
type naive struct {
	next  uint64
	acked []map[uint64]bool
	marks []change.Mark
}

func (n *naive) durable() (change.Mark, bool) {
	low := ^uint64(0)
	for _, a := range n.acked {
		s := n.next
		for a[s] {
			s++
		}
		low = min(low, s)
	}
	var best change.Mark
	ok := false
	for _, m := range n.marks {
		if m.Seq < low {
			best, ok = m, true
		}
	}
	return best, ok
}

// TestTracker_MatchesNaiveModel sends random transactions, acks them in
// random order per pipeline (some by list, some by range, some filtered as
// one range), and compares Durable with the naive model after every step.
func TestTracker_MatchesNaiveModel(t *testing.T) {
	for seed := range uint64(20) {
		checkAgainstModel(t, seed, 2000)
	}
}

func checkAgainstModel(t *testing.T, seed uint64, steps int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	pipes := 1 + r.IntN(3)
	start := r.Uint64N(200)
	tr := New(pipes, start)
	model := &naive{next: start, acked: make([]map[uint64]bool, pipes)}
	for i := range model.acked {
		model.acked[i] = map[uint64]bool{}
	}
	type pending struct{ from, to uint64 }
	queues := make([][]pending, pipes)
	next := start
	for step := range steps {
		switch r.IntN(3) {
		case 0: // the source sends a transaction (maybe empty) and its mark
			n := uint64(r.IntN(80))
			if n > 0 {
				for p := range queues {
					queues[p] = append(queues[p], pending{next, next + n - 1})
				}
			}
			next += n
			m := mark(next - 1)
			if next == 0 {
				break
			}
			tr.AddMark(m)
			model.marks = append(model.marks, m)
		default: // a pipeline acks part of a random pending range
			p := r.IntN(pipes)
			if len(queues[p]) == 0 {
				break
			}
			i := r.IntN(len(queues[p]))
			q := queues[p][i]
			queues[p] = append(queues[p][:i], queues[p][i+1:]...)
			switch r.IntN(3) {
			case 0:
				tr.AckRange(p, q.from, q.to)
			default:
				var seqs []uint64
				for s := q.from; s <= q.to; s++ {
					seqs = append(seqs, s)
				}
				r.Shuffle(len(seqs), func(i, j int) { seqs[i], seqs[j] = seqs[j], seqs[i] })
				// Ack in two parts, leaving the second for later.
				cut := r.IntN(len(seqs) + 1)
				tr.Ack(p, seqs[:cut])
				for _, s := range seqs[:cut] {
					model.acked[p][s] = true
				}
				for _, s := range seqs[cut:] {
					queues[p] = append(queues[p], pending{s, s})
				}
				goto compare
			}
			for s := q.from; s <= q.to; s++ {
				model.acked[p][s] = true
			}
		}
	compare:
		got, gok := tr.Durable()
		want, wok := model.durable()
		if gok != wok || got != want {
			t.Fatalf("seed %d step %d: Durable = %+v, %v; model %+v, %v", seed, step, got, gok, want, wok)
		}
	}
}

func FuzzTracker(f *testing.F) {
	f.Add(uint64(1), uint16(500))
	f.Add(uint64(42), uint16(3000))
	f.Fuzz(func(t *testing.T, seed uint64, steps uint16) {
		checkAgainstModel(t, seed, int(steps%4000))
	})
}

func BenchmarkTracker_Ack64OutOfOrder(b *testing.B) {
	tr := New(1, 1)
	seqs := make([]uint64, 64)
	next := uint64(1)
	b.ReportAllocs()
	for b.Loop() {
		for i := range seqs {
			seqs[(i*17)%64] = next + uint64(i)
		}
		tr.Ack(0, seqs)
		next += 64
		tr.AddMark(mark(next - 1))
		tr.Durable()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*64), "ns/seq")
}
