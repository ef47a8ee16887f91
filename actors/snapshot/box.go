package snapshot

import "unsafe"

// Boxing without an allocation per value.
//
// Storing a string, a slice or a number wider than a byte in an `any`
// allocates a copy of it on the heap: one small allocation per value, the
// largest cost of the read path after parsing. Instead, values are written
// into slots of typed slabs allocated many at a time, and the interface is
// made to point at the slot. The result is an ordinary interface value (type
// switches, comparisons and reflection see a T); the slot is never written
// again, which is what the runtime assumes of an interface's data.

// eface is the runtime layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

// slabSize is how many slots a slab allocates at once.
const slabSize = 512

// slab hands out slots of T, a block at a time.
type slab[T any] struct{ free []T }

// box stores v in a fresh slot and returns it as an interface. T must not be
// pointer-shaped (a pointer, map, chan, func or single-pointer struct): those
// are stored in the interface directly and need no boxing.
func (s *slab[T]) box(v T) any {
	if len(s.free) == 0 {
		s.free = make([]T, slabSize)
	}
	slot := &s.free[0]
	s.free = s.free[1:]
	*slot = v
	var zero T
	a := any(zero) // no allocation: zero values share static storage
	(*eface)(unsafe.Pointer(&a)).data = unsafe.Pointer(slot)
	return a
}
