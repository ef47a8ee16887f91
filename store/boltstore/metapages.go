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
	pageSize, err := metaPage(first)
	if err != nil {
		return corrupt(path, fmt.Errorf("meta page 0: %w", err))
	}
	second := make([]byte, len(first))
	if _, err := f.ReadAt(second, int64(pageSize)); err != nil {
		return corrupt(path, fmt.Errorf("meta page 1: %w", err))
	}
	if _, err := metaPage(second); err != nil {
		return corrupt(path, fmt.Errorf("meta page 1: %w", err))
	}
	return nil
}

// metaPage validates one meta page and returns its page size.
func metaPage(p []byte) (uint32, error) {
	m := p[pageHeaderSize:]
	if binary.LittleEndian.Uint32(m[0:4]) != boltMagic {
		return 0, errors.New("bad magic number")
	}
	if v := binary.LittleEndian.Uint32(m[4:8]); v != boltVersion {
		return 0, fmt.Errorf("bbolt format version %d", v)
	}
	h := fnv.New64a()
	h.Write(m[:metaSize])
	if sum := binary.LittleEndian.Uint64(m[metaSize : metaSize+8]); sum != h.Sum64() {
		return 0, errors.New("checksum mismatch")
	}
	return binary.LittleEndian.Uint32(m[8:12]), nil
}
