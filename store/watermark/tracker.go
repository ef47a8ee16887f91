package watermark

import (
	"fmt"
	"math/bits"

	"github.com/sluicecdc/sluice/change"
)

// Tracker tracks one source's acknowledgements across its pipelines.
type Tracker struct {
	lanes []lane
	// marks[head:] wait for the watermark, in Seq order.
	marks   []change.Mark
	head    int
	durable change.Mark
	has     bool
	// low is the minimum of the lanes' low watermarks, cached by Durable.
	low uint64
}

// lane is one pipeline's acknowledgements: every Seq < low is acknowledged;
// bit i of the ring (counting from word head, bit 0) stands for Seq base+i.
type lane struct {
	low   uint64
	base  uint64 // a multiple of 64, <= low
	words []uint64
	head  int // ring index of the word holding base
}

const initialWords = 16 // 1024 sequences before the first growth

// New returns a tracker for a source with the given number of pipelines
// whose next change will carry Seq next (the checkpoint's Seq on resume).
func New(pipelines int, next uint64) *Tracker {
	if pipelines < 1 {
		panic(fmt.Sprintf("watermark.New: %d pipelines; a source has at least one", pipelines))
	}
	t := &Tracker{lanes: make([]lane, pipelines), low: next}
	for i := range t.lanes {
		l := &t.lanes[i]
		l.low = next
		l.base = next &^ 63
		l.words = make([]uint64, initialWords)
		// Sequences below next in the first word are acknowledged.
		l.words[0] = (uint64(1) << (next - l.base)) - 1
	}
	return t
}

// Pipelines is the number of pipelines the tracker was made for.
func (t *Tracker) Pipelines() int { return len(t.lanes) }

// Ack records that pipeline p acknowledged each Seq in seqs (any order).
func (t *Tracker) Ack(p int, seqs []uint64) {
	l := &t.lanes[p]
	for _, s := range seqs {
		l.set(s)
	}
	l.advance()
}

// AckRange records that pipeline p acknowledged every Seq in [from, to].
func (t *Tracker) AckRange(p int, from, to uint64) {
	l := &t.lanes[p]
	l.setRange(from, to)
	l.advance()
}

// AckAll records that every pipeline acknowledged [from, to]: sequences that
// reached no pipeline, or a gap in the numbering.
func (t *Tracker) AckAll(from, to uint64) {
	for p := range t.lanes {
		t.AckRange(p, from, to)
	}
}

// AddMark queues a resume mark; it becomes durable once every pipeline has
// acknowledged every Seq <= m.Seq. A mark with no new changes (m.Seq is the
// last Seq already sent, or next-1 before any) is valid.
func (t *Tracker) AddMark(m change.Mark) {
	if t.has && m.Seq < t.durable.Seq {
		return
	}
	if n := len(t.marks); n > t.head && m.Seq < t.marks[n-1].Seq {
		panic(fmt.Sprintf("watermark: mark at seq %d added after mark at seq %d", m.Seq, t.marks[n-1].Seq))
	}
	if t.head > 0 && t.head == len(t.marks) {
		t.marks, t.head = t.marks[:0], 0
	} else if t.head > 32 && t.head*2 > len(t.marks) {
		n := copy(t.marks, t.marks[t.head:])
		clear(t.marks[n:])
		t.marks, t.head = t.marks[:n], 0
	}
	t.marks = append(t.marks, m)
}

// Low is the source's low watermark: every Seq below it is acknowledged by
// every pipeline.
func (t *Tracker) Low() uint64 {
	low := t.lanes[0].low
	for i := 1; i < len(t.lanes); i++ {
		low = min(low, t.lanes[i].low)
	}
	return low
}

// Durable returns the newest mark that every pipeline has acknowledged
// through, or false when there is none yet. It keeps returning that mark
// until a newer one becomes durable.
func (t *Tracker) Durable() (change.Mark, bool) {
	t.low = t.Low()
	for t.head < len(t.marks) && t.marks[t.head].Seq < t.low {
		t.durable, t.has = t.marks[t.head], true
		t.marks[t.head] = change.Mark{}
		t.head++
	}
	return t.durable, t.has
}

// Pending is the number of marks not yet durable.
func (t *Tracker) Pending() int { return len(t.marks) - t.head }

func (l *lane) set(s uint64) {
	if s < l.low {
		return
	}
	off := s - l.base
	l.ensure(off)
	w := (l.head + int(off>>6)) % len(l.words)
	l.words[w] |= 1 << (off & 63)
}

func (l *lane) setRange(from, to uint64) {
	if to < l.low || to < from {
		return
	}
	from = max(from, l.low)
	l.ensure(to - l.base)
	for s := from; s <= to; {
		off := s - l.base
		w := (l.head + int(off>>6)) % len(l.words)
		bit := off & 63
		n := min(64-bit, to-s+1) // bits to set in this word
		var m uint64
		if n == 64 {
			m = ^uint64(0)
		} else {
			m = ((uint64(1) << n) - 1) << bit
		}
		l.words[w] |= m
		s += n
		if s == 0 { // wrapped past MaxUint64
			break
		}
	}
}

// ensure grows the ring so that bit offset off (from base) fits.
func (l *lane) ensure(off uint64) {
	need := off>>6 + 1
	if need <= uint64(len(l.words)) {
		return
	}
	n := len(l.words)
	for uint64(n) < need {
		n *= 2
	}
	words := make([]uint64, n)
	k := copy(words, l.words[l.head:])
	copy(words[k:], l.words[:l.head])
	l.words, l.head = words, 0
}

// advance moves low over the run of acknowledged sequences starting at it,
// releasing full words.
func (l *lane) advance() {
	for {
		w := &l.words[l.head]
		bit := l.low - l.base
		run := uint64(bits.TrailingZeros64(^(*w >> bit))) // ones from bit on
		if bit+run < 64 {
			l.low += run
			return
		}
		// The rest of the word is acknowledged: release it.
		l.low = l.base + 64
		l.base += 64
		*w = 0
		l.head = (l.head + 1) % len(l.words)
	}
}
