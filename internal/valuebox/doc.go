// Package valuebox turns decoded column values into the `any` values of
// change/value.go without one heap allocation per value.
//
// Storing an int64, a float64, a string or a []byte in an interface makes Go
// allocate a copy of the value (8, 16 or 24 bytes) for the interface to point
// to. A Box keeps such copies side by side in chunks of a few KiB and
// returns interfaces that point into them: one allocation per chunk instead
// of one per value. Rendered text (a DATETIME, a DECIMAL) is copied once
// into a byte chunk and the string points there.
//
// What it is not: not a pool. A chunk is never reused or cleared: it lives
// for as long as any value in it is referenced (the garbage collector sees
// the interfaces' pointers into it), so values stay valid for as long as a
// batch holds them, and a chunk's memory is freed once no value in it is
// left.
//
// Sharp edges:
//   - The interfaces are built with package unsafe from the runtime's
//     interface layout (a type word and a pointer to the value). This is
//     what the runtime itself does when it boxes a value; the layout has
//     been stable since Go 1.4 and is checked by the tests.
//   - Values must never be changed after they are boxed: a chunk slot is
//     written once.
//   - A Box is not safe for concurrent use; each decoder owns one.
package valuebox
