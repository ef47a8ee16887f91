package boltstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/internal/record"
)

// verify opens an existing file read-only (a shared lock: it fails with
// ErrLocked while a writer holds the file) and reads every page reachable
// from the root, in this goroutine, with faults turned into panics, so that
// damage becomes ErrCorrupt instead of a crash in one of bbolt's own
// goroutines. It then checks the format and returns the stored identity.
// Nothing is written.
func verify(path string, opts Options) (id record.Identity, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return id, fmt.Errorf("open checkpoint file %s: %w", path, err)
	}
	if fi.Size() == 0 {
		// Sluice never leaves an empty file (it links a complete one into
		// place), so an empty one lost its contents.
		return id, corrupt(path, errors.New("the file is empty"))
	}
	db, err := openBoltMode(path, opts, true)
	if err != nil {
		return id, err
	}
	defer db.Close()

	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = corrupt(path, fromPanic(r))
		}
	}()
	err = db.View(func(tx *bolt.Tx) error {
		if err := tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(b, 1) }); err != nil {
			return corrupt(path, err)
		}
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketSources) == nil {
			return corrupt(path, errors.New("a bbolt file, but not a Sluice checkpoint file"))
		}
		f, err := strconv.Atoi(string(meta.Get(keyFormat)))
		if err != nil {
			return corrupt(path, fmt.Errorf("format record %q", meta.Get(keyFormat)))
		}
		if f > formatVersion {
			return fmt.Errorf("%w: %s has format %d and this sluice reads format %d at most; "+
				"run the newer sluice that wrote it", store.ErrNewerFormat, path, f, formatVersion)
		}
		if err := json.Unmarshal(meta.Get(keyIdentity), &id); err != nil {
			return corrupt(path, fmt.Errorf("identity record: %w", err))
		}
		return nil
	})
	return id, err
}

// walk touches every key and value under b; depth bounds a damaged cycle.
func walk(b *bolt.Bucket, depth int) error {
	if depth > 8 {
		return errors.New("buckets nested deeper than Sluice writes them")
	}
	var sink byte
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			child := b.Bucket(k)
			if child == nil {
				return fmt.Errorf("key %q is neither a value nor a bucket", k)
			}
			if err := walk(child, depth+1); err != nil {
				return err
			}
			continue
		}
		if len(v) > 0 {
			sink ^= v[0] ^ v[len(v)-1] // fault here if the value runs past the file
		}
	}
	_ = sink
	return nil
}
