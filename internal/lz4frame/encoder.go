package lz4frame

import (
	"encoding/binary"
	"io"

	"github.com/pierrec/lz4/v4"
)

// BlockSize is the most input one block holds.
const BlockSize = 64 << 10

// header is the frame's start: the magic number, FLG (version 01,
// independent blocks, no checksums, no content size), BD (64 KiB blocks)
// and the header checksum (the second byte of xxh32 of FLG and BD).
var header = []byte{0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82}

// uncompressed marks a block stored as it is (its input did not shrink).
const uncompressed = 1 << 31

// Encoder writes one frame at a time to the writer Reset gives it. The zero
// value is ready for Reset.
type Encoder struct {
	c   lz4.Compressor
	w   io.Writer
	src []byte // input not yet compressed, less than BlockSize
	out []byte // a block's size and compressed bytes
	err error
	// started is whether the header is written.
	started bool
}

// Reset starts a new frame on w, dropping what the last one held.
func (e *Encoder) Reset(w io.Writer) {
	if e.src == nil {
		e.src = make([]byte, 0, BlockSize)
		e.out = make([]byte, 4+BlockSize)
	}
	e.w, e.src, e.err, e.started = w, e.src[:0], nil, false
}

// Write compresses p into the frame; the bytes of a block go to the writer
// once the block is full, or at Close.
func (e *Encoder) Write(p []byte) (int, error) {
	n := len(p)
	if len(e.src)+n < BlockSize && e.err == nil {
		// kafka-go writes a batch a field at a time: most calls end here.
		e.src = append(e.src, p...)
		return n, nil
	}
	for len(p) > 0 && e.err == nil {
		if len(e.src) == 0 && len(p) >= BlockSize {
			e.block(p[:BlockSize]) // straight from p, without a copy
			p = p[BlockSize:]
			continue
		}
		k := copy(e.src[len(e.src):BlockSize], p)
		e.src, p = e.src[:len(e.src)+k], p[k:]
		if len(e.src) == BlockSize {
			e.block(e.src)
			e.src = e.src[:0]
		}
	}
	if e.err != nil {
		return 0, e.err
	}
	return n, nil
}

// Close writes the last block and the end mark. It does not close the
// writer.
func (e *Encoder) Close() error {
	if len(e.src) > 0 {
		e.block(e.src)
		e.src = e.src[:0]
	}
	e.begin()
	if e.err == nil {
		_, e.err = e.w.Write([]byte{0, 0, 0, 0})
	}
	return e.err
}

// begin writes the header once.
func (e *Encoder) begin() {
	if !e.started && e.err == nil {
		e.started = true
		_, e.err = e.w.Write(header)
	}
}

// block compresses p (at most BlockSize bytes) as one block, or stores it
// as it is when it does not shrink.
func (e *Encoder) block(p []byte) {
	e.begin()
	if e.err != nil {
		return
	}
	// A destination no larger than p makes the compressor give up (n == 0)
	// when the block would not shrink.
	n, err := e.c.CompressBlock(p, e.out[4:4+len(p)])
	if err != nil || n == 0 || n >= len(p) {
		binary.LittleEndian.PutUint32(e.out[:4], uint32(len(p))|uncompressed)
		if _, e.err = e.w.Write(e.out[:4]); e.err == nil {
			_, e.err = e.w.Write(p)
		}
		return
	}
	binary.LittleEndian.PutUint32(e.out[:4], uint32(n))
	_, e.err = e.w.Write(e.out[:4+n])
}

var _ io.WriteCloser = (*Encoder)(nil)
