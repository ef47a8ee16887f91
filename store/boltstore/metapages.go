package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt keeps two meta pages and, when one is unreadable, silently opens the
// file at the other, older one. For a checkpoint file that is the worst
// outcome: an older tree may hold no checkpoint at all, and the task would
// start over from its configured start position. checkMetaPages refuses a
// file whose meta pages are not both intact instead.
//
// Layout (bbolt's, stable since format version 2): each meta page is a
// 16-byte page header followed by magic, version, page size, flags (4 bytes
// each), root bucket (16), freelist, high-water page, txid (8 each) and an
// FNV-64a checksum of everything before it in the meta.
const (
	pageHeaderSize = 16
	metaSize       = 4 + 4 + 4 + 4 + 16 + 8 + 8 + 8 // up to the checksum
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
)

func checkMetaPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open checkpoint file %s: %w", path, err)
	}
	defer f.Close()
	first := make([]byte, pageHeaderSize+metaSize+8)
	if _, err := io.ReadFull(f, first); err != nil {
		return corrupt(path, fmt.Errorf("meta page 0: %w", err))
	}
	pageSize, hwm0, err := metaPage(first)
	if err != nil {
		return corrupt(path, fmt.Errorf("meta page 0: %w", err))
	}
	second := make([]byte, len(first))
	if _, err := f.ReadAt(second, int64(pageSize)); err != nil {
		return corrupt(path, fmt.Errorf("meta page 1: %w", err))
	}
	_, hwm1, err := metaPage(second)
	if err != nil {
		return corrupt(path, fmt.Errorf("meta page 1: %w", err))
	}
	// Pages below the high-water mark are in use, so a shorter file lost
	// its end (bbolt itself would read past it, or panic in a goroutine of
	// its own while rebuilding the freelist).
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open checkpoint file %s: %w", path, err)
	}
	if need := int64(max(hwm0, hwm1)) * int64(pageSize); fi.Size() < need {
		return corrupt(path, fmt.Errorf("the file is %d bytes and its pages reach %d bytes: it was truncated", fi.Size(), need))
	}
	return nil
}

// metaPage validates one meta page and returns its page size and
// high-water page (the number of pages in use).
func metaPage(p []byte) (pageSize uint32, hwm uint64, err error) {
	m := p[pageHeaderSize:]
	if binary.LittleEndian.Uint32(m[0:4]) != boltMagic {
		return 0, 0, errors.New("bad magic number")
	}
	if v := binary.LittleEndian.Uint32(m[4:8]); v != boltVersion {
		return 0, 0, fmt.Errorf("bbolt format version %d", v)
	}
	h := fnv.New64a()
	h.Write(m[:metaSize])
	if sum := binary.LittleEndian.Uint64(m[metaSize : metaSize+8]); sum != h.Sum64() {
		return 0, 0, errors.New("checksum mismatch")
	}
	return binary.LittleEndian.Uint32(m[8:12]), binary.LittleEndian.Uint64(m[40:48]), nil
}
