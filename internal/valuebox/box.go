package valuebox

import "unsafe"

// Chunk sizes: large enough that a rows event of a few hundred rows takes a
// handful of allocations, small enough that one value left referenced pins
// little memory.
const (
	wordChunk  = 512      // 8-byte values (4 KiB)
	strChunk   = 512      // string headers (8 KiB)
	bytesChunk = 256      // []byte headers (6 KiB)
	textChunk  = 32 << 10 // rendered and copied text
	maxText    = textChunk / 4
)

// eface is the runtime's layout of an empty interface.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	tInt8    = typeWord(int8(0))
	tInt16   = typeWord(int16(0))
	tInt32   = typeWord(int32(0))
	tInt64   = typeWord(int64(0))
	tInt     = typeWord(int(0))
	tUint16  = typeWord(uint16(0))
	tUint32  = typeWord(uint32(0))
	tUint64  = typeWord(uint64(0))
	tFloat32 = typeWord(float32(0))
	tFloat64 = typeWord(float64(0))
	tString  = typeWord("")
	tBytes   = typeWord([]byte(nil))
)

func iface(typ, data unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, data
	return v
}

// Box hands out interfaces backed by its chunks. The zero value is ready.
type Box struct {
	words []uint64
	strs  []string
	bytes [][]byte
	text  []byte
}

// word returns a fresh 8-byte slot.
func (b *Box) word() unsafe.Pointer {
	if len(b.words) == cap(b.words) {
		b.words = make([]uint64, 0, wordChunk)
	}
	b.words = b.words[:len(b.words)+1]
	return unsafe.Pointer(&b.words[len(b.words)-1])
}

// Int8 boxes v. Single bytes never allocate in Go: it is here for symmetry.
func (b *Box) Int8(v int8) any { return v }

// Uint8 boxes v (never allocates).
func (b *Box) Uint8(v uint8) any { return v }

// put writes v into a fresh 8-byte slot and returns it as an interface of
// type typ (the type word of a T).
func put[T int16 | uint16 | int32 | uint32 | int64 | uint64 | int | float32 | float64](b *Box, typ unsafe.Pointer, v T) any {
	p := b.word()
	*(*T)(p) = v
	return iface(typ, p)
}

// Int16 boxes v.
func (b *Box) Int16(v int16) any { return put(b, tInt16, v) }

// Uint16 boxes v.
func (b *Box) Uint16(v uint16) any { return put(b, tUint16, v) }

// Int32 boxes v.
func (b *Box) Int32(v int32) any { return put(b, tInt32, v) }

// Uint32 boxes v.
func (b *Box) Uint32(v uint32) any { return put(b, tUint32, v) }

// Int64 boxes v.
func (b *Box) Int64(v int64) any { return put(b, tInt64, v) }

// Uint64 boxes v.
func (b *Box) Uint64(v uint64) any { return put(b, tUint64, v) }

// Int boxes v.
func (b *Box) Int(v int) any { return put(b, tInt, v) }

// Float32 boxes v.
func (b *Box) Float32(v float32) any { return put(b, tFloat32, v) }

// Float64 boxes v.
func (b *Box) Float64(v float64) any { return put(b, tFloat64, v) }

// String boxes s without copying its bytes: s keeps pointing where it
// pointed.
func (b *Box) String(s string) any {
	if s == "" {
		return ""
	}
	if len(b.strs) == cap(b.strs) {
		b.strs = make([]string, 0, strChunk)
	}
	b.strs = append(b.strs, s)
	return iface(tString, unsafe.Pointer(&b.strs[len(b.strs)-1]))
}

// Bytes boxes p without copying its bytes.
func (b *Box) Bytes(p []byte) any {
	if len(b.bytes) == cap(b.bytes) {
		b.bytes = make([][]byte, 0, bytesChunk)
	}
	b.bytes = append(b.bytes, p)
	return iface(tBytes, unsafe.Pointer(&b.bytes[len(b.bytes)-1]))
}

// Text boxes a string holding a copy of p, typically rendered into a
// scratch buffer the caller reuses: the copy goes into the Box's text chunk.
func (b *Box) Text(p []byte) any {
	if len(p) == 0 {
		return ""
	}
	if len(p) > maxText {
		return b.String(string(p))
	}
	if cap(b.text)-len(b.text) < len(p) {
		b.text = make([]byte, 0, textChunk)
	}
	at := len(b.text)
	b.text = append(b.text, p...)
	return b.String(unsafe.String(&b.text[at], len(p)))
}

// CopyBytes boxes a copy of p, typically a value in a buffer the caller
// reads the next one into: the copy goes into the text chunk and is capped,
// so that an append to it never writes into its neighbour. An empty p gives
// an empty, non-nil slice.
func (b *Box) CopyBytes(p []byte) any {
	if len(p) > maxText {
		return b.Bytes(append([]byte(nil), p...))
	}
	if cap(b.text)-len(b.text) < len(p) || b.text == nil {
		b.text = make([]byte, 0, textChunk)
	}
	at := len(b.text)
	b.text = append(b.text, p...)
	return b.Bytes(b.text[at:len(b.text):len(b.text)])
}
