package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/internal/record"
)

// FileName is the checkpoint file's name inside the checkpoint directory.
const FileName = "checkpoints.db"

// formatVersion is the layout of the file (see the package doc).
const formatVersion = 1

const ownerSuffix = ".owner"

var (
	bucketMeta    = []byte("META")
	bucketSources = []byte("SOURCES")
	bucketChunks  = []byte("CHUNKS")
	bucketSchema  = []byte("SCHEMA")
	bucketSkips   = []byte("SKIPS")
	keyFormat     = []byte("format")
	keyIdentity   = []byte("identity")
	keyCheckpoint = []byte("checkpoint")
	keySnapshot   = []byte("snapshot")
)

// Options tune Open. The zero value is what `sluice run` uses.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before failing with store.ErrLocked (default 1s).
	LockTimeout time.Duration
	// ReadOnly opens an existing file to read it (a shared lock): nothing is
	// created or recorded, a topology the identity accepts stays as stored,
	// and Commit fails.
	ReadOnly bool
	// NoSync skips fsync on commit. Only for tests: a crash may lose commits.
	NoSync bool
	// Logger receives the few lifecycle messages (the file created).
	Logger *slog.Logger
}

// Store is a store.Store on a bbolt file.
type Store struct {
	path string
	id   store.Identity
	log  *slog.Logger

	mu     sync.RWMutex // write-held by Close
	db     *bolt.DB
	closed bool
	// failed is the first commit error of a file system fault (see
	// storageFix): bbolt may have unmapped the file by then, and later
	// commits would fail with its internal text instead.
	failed atomic.Pointer[error]
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when missing) dir/checkpoints.db for the task id,
// and records id's topology when id.Accept accepted another. Every refusal
// leaves the file as it was; see the store package's errors.
func Open(dir string, id store.Identity, opts Options) (*Store, error) {
	if id.Task == "" {
		return nil, errors.New("open checkpoint store: the task has no name")
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create checkpoint dir %s: %w (check that it is writable)", dir, err)
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !opts.ReadOnly {
		if err := create(path, id, opts); err != nil {
			return nil, err
		}
		log.Info("created checkpoint file", "path", path, "task", id.Task)
	} else if err != nil {
		return nil, fmt.Errorf("open checkpoint file %s: %w", path, err)
	}

	if err := checkMetaPages(path); err != nil {
		return nil, err
	}
	stored, err := verify(path, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, log: log, id: stored.Identity()}
	if err := store.CheckIdentity(location(path), s.id, id); err != nil {
		return nil, err
	}
	if s.db, err = openBoltMode(path, opts, opts.ReadOnly); err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		return s, nil
	}
	if err := s.recordTopology(stored, id); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	writeOwner(path)
	return s, nil
}

// create builds a new file under a temporary name and links it into place,
// so that path is either absent or a complete, initialised store.
func create(path string, id store.Identity, opts Options) error {
	tmp := path + ".new-" + strconv.Itoa(os.Getpid())
	_ = os.Remove(tmp) // a leftover of an earlier crash of this pid number
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: opts.LockTimeout, NoFreelistSync: true, NoSync: opts.NoSync})
	if err != nil {
		return fmt.Errorf("create checkpoint file %s: %w", tmp, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketSources); err != nil {
			return err
		}
		if err := meta.Put(keyFormat, []byte(strconv.Itoa(formatVersion))); err != nil {
			return err
		}
		rec, err := json.Marshal(record.NewIdentity(id))
		if err != nil {
			return err
		}
		return meta.Put(keyIdentity, rec)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("create checkpoint file %s: %w", tmp, err)
	}
	// Link, not rename: if another process created the file meanwhile, keep
	// theirs and let the lock decide who runs.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, os.ErrExist) {
		_ = os.Remove(tmp)
		return fmt.Errorf("create checkpoint file %s: %w", path, err)
	}
	_ = os.Remove(tmp)
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// location names the file in the errors that refuse it.
func location(path string) store.Location {
	return store.Location{Name: path, Setting: "checkpoint_dir", Discard: "move the file away"}
}

// openBoltMode opens the file with bbolt, read-only or read-write, and maps
// its errors to the store's.
func openBoltMode(path string, opts Options, readOnly bool) (db *bolt.DB, err error) {
	defer func() {
		// bbolt panics on some damage it finds while rebuilding the freelist.
		if r := recover(); r != nil {
			db, err = nil, corrupt(path, fromPanic(r))
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        opts.LockTimeout,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opts.NoSync,
		ReadOnly:       readOnly,
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("%w: checkpoint dir %s is locked by another sluice process%s; "+
			"stop it first, or give this task its own checkpoint_dir", store.ErrLocked, filepath.Dir(path), ownerOf(path))
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
		errors.Is(err, bolterrors.ErrVersionMismatch), strings.Contains(err.Error(), "file size too small"):
		return nil, corrupt(path, err)
	default:
		return nil, fmt.Errorf("open checkpoint file %s: %w", path, err)
	}
}

func corrupt(path string, cause error) error {
	return &damagedError{fmt.Sprintf("checkpoint file %s is damaged: %v; it was left untouched: restore it from a backup, "+
		"or move it away (mv %s %s.broken) to start the task from scratch, which snapshots again or "+
		"starts at the configured start position", path, cause, path, path)}
}

// damagedError is ErrCorrupt under a message that starts with the path.
type damagedError struct{ msg string }

func (e *damagedError) Error() string { return e.msg }
func (e *damagedError) Unwrap() error { return store.ErrCorrupt }

// fromPanic says what a panic recovered while bbolt read the file means.
// Go's runtime text (an index out of range, a nil pointer) only says that a
// page's offsets lead outside the page or the file, so it is not shown.
func fromPanic(r any) error {
	if _, ok := r.(runtime.Error); ok {
		return errors.New("a page holds garbage: its entries point outside the page or the file")
	}
	return fmt.Errorf("a page fails bbolt's own check (%s)", strings.TrimPrefix(fmt.Sprint(r), "assertion failed: "))
}

// writeOwner records who holds the lock, for the ErrLocked message of the
// next process. Best effort: a missing owner file only shortens the message.
func writeOwner(path string) {
	host, _ := os.Hostname()
	s := fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	_ = os.WriteFile(path+ownerSuffix, []byte(s), 0o600)
}

func ownerOf(path string) string {
	b, err := os.ReadFile(path + ownerSuffix)
	if err != nil || len(b) == 0 {
		return ""
	}
	return " (" + strings.TrimSpace(string(b)) + ")"
}

// recordTopology records want's topology when it differs from the stored
// one (CheckIdentity accepted the change).
func (s *Store) recordTopology(stored record.Identity, want store.Identity) error {
	if stored.Identity().SameTopology(want) {
		return nil
	}
	stored.Set(want)
	rec, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyIdentity, rec) }); err != nil {
		return fmt.Errorf("record the accepted topology in %s: %w", s.path, err)
	}
	s.id = stored.Identity()
	return nil
}

// Path is the checkpoint file's path.
func (s *Store) Path() string { return s.path }

// Identity implements store.Store.
func (s *Store) Identity() store.Identity { return s.id }

func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	return s.db.View(fn)
}

func sourceBucket(tx *bolt.Tx, source string) *bolt.Bucket {
	return tx.Bucket(bucketSources).Bucket([]byte(source))
}

func tableBucket(tx *bolt.Tx, source string, kind []byte, table string) *bolt.Bucket {
	src := sourceBucket(tx, source)
	if src == nil {
		return nil
	}
	k := src.Bucket(kind)
	if k == nil {
		return nil
	}
	return k.Bucket([]byte(table))
}

// Checkpoint implements store.Store.
func (s *Store) Checkpoint(source string) (cp store.Checkpoint, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := sourceBucket(tx, source)
		if b == nil {
			return nil
		}
		v := b.Get(keyCheckpoint)
		if v == nil {
			return nil
		}
		ok = true
		cp, err = record.DecodeCheckpoint(v)
		return err
	})
	if err != nil {
		return store.Checkpoint{}, false, s.readErr("checkpoint of source "+strconv.Quote(source), err)
	}
	return cp, ok, nil
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(source string) (st store.Snapshot, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := sourceBucket(tx, source)
		if b == nil {
			return nil
		}
		v := b.Get(keySnapshot)
		if v == nil {
			return nil
		}
		ok = true
		st, err = record.DecodeSnapshot(v)
		return err
	})
	if err != nil {
		return store.Snapshot{}, false, s.readErr("snapshot state of source "+strconv.Quote(source), err)
	}
	return st, ok, nil
}

// Chunks implements store.Store.
func (s *Store) Chunks(source, table string) ([]store.Chunk, error) {
	var out []store.Chunk
	err := s.view(func(tx *bolt.Tx) error {
		b := tableBucket(tx, source, bucketChunks, table)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) != 4 {
				return record.Bad(fmt.Errorf("chunk key %x", k))
			}
			c, err := record.DecodeChunk(binary.BigEndian.Uint32(k), v)
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, s.readErr(fmt.Sprintf("chunk states of %s table %s", source, table), err)
	}
	return out, nil
}

// Tables implements store.Store.
func (s *Store) Tables(source string) ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		src := sourceBucket(tx, source)
		if src == nil || src.Bucket(bucketChunks) == nil {
			return nil
		}
		return src.Bucket(bucketChunks).ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, s.readErr("tables of source "+strconv.Quote(source), err)
	}
	return out, nil
}

// Sources implements store.Store.
func (s *Store) Sources() ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSources).ForEachBucket(func(k []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, s.readErr("sources", err)
	}
	sort.Strings(out) // bbolt iterates in byte order already; keep the contract explicit
	return out, nil
}

// SchemaAt implements store.Store.
func (s *Store) SchemaAt(source, table, posKey string) (e store.SchemaEntry, ok bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tableBucket(tx, source, bucketSchema, table)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		want := []byte(posKey)
		k, v := c.Seek(want)
		if k == nil || !bytes.Equal(k, want) {
			k, v = c.Prev()
		}
		if k == nil {
			return nil
		}
		ok = true
		e = store.SchemaEntry{PosKey: string(k), Def: bytes.Clone(v)}
		return nil
	})
	if err != nil {
		return store.SchemaEntry{}, false, s.readErr(fmt.Sprintf("schema of %s table %s", source, table), err)
	}
	return e, ok, nil
}

// Schemas implements store.Store.
func (s *Store) Schemas(source, table string) ([]store.SchemaEntry, error) {
	var out []store.SchemaEntry
	err := s.view(func(tx *bolt.Tx) error {
		b := tableBucket(tx, source, bucketSchema, table)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			out = append(out, store.SchemaEntry{PosKey: string(k), Def: bytes.Clone(v)})
			return nil
		})
	})
	if err != nil {
		return nil, s.readErr(fmt.Sprintf("schema history of %s table %s", source, table), err)
	}
	return out, nil
}

// Skips implements store.Store.
func (s *Store) Skips(source string) ([]store.Skip, error) {
	var out []store.Skip
	err := s.view(func(tx *bolt.Tx) error {
		src := sourceBucket(tx, source)
		if src == nil || src.Bucket(bucketSkips) == nil {
			return nil
		}
		return src.Bucket(bucketSkips).ForEach(func(_, v []byte) error {
			sk, err := record.DecodeSkip(v)
			out = append(out, sk)
			return err
		})
	})
	if err != nil {
		return nil, s.readErr("skip decisions of source "+strconv.Quote(source), err)
	}
	return out, nil
}

func (s *Store) readErr(what string, err error) error {
	if errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if errors.Is(err, record.ErrBad) {
		return corrupt(s.path, fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("read %s from %s: %w", what, s.path, err)
}

// Commit implements store.Store.
func (s *Store) Commit(u *store.Update) error {
	if u.Empty() {
		return nil
	}
	if err := u.Validate(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("commit: %w", store.ErrClosed)
	}
	if first := s.failed.Load(); first != nil {
		return fmt.Errorf("commit checkpoint to %s: not tried, an earlier commit failed: %w", s.path, *first)
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return apply(tx, u) })
	if err != nil {
		fix := storageFix(s.path, err)
		err = fmt.Errorf("commit checkpoint to %s: %w%s", s.path, err, fix)
		if fix != "" {
			s.failed.CompareAndSwap(nil, &err)
		}
		return err
	}
	return nil
}

// storageFix says how to get past a write that failed because of the
// checkpoint file's file system, "" for other errors. Nothing is lost: the
// last committed checkpoint stays, and the task resumes from it.
func storageFix(path string, err error) string {
	dir := filepath.Dir(path)
	resume := "; then run the task again: it resumes from the last committed checkpoint, and what was sent after it is sent again"
	// bbolt formats some causes as text ("mmap allocate error: read-only
	// file system"), so the errno's text counts too.
	is := func(e syscall.Errno) bool { return errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) }
	switch {
	case is(syscall.ENOSPC), is(syscall.EDQUOT):
		return fmt.Sprintf("; the file system of %s is full (or its quota used up): free space on it, or stop the task and move %s "+
			"and the checkpoint_dir setting to a file system with room%s", dir, path, resume)
	case is(syscall.EROFS):
		return fmt.Sprintf("; the file system of %s is read-only (a file system the kernel remounted read-only after a disk error "+
			"says so in dmesg): make it writable again (repair it, then remount it read-write), or stop the task and move %s "+
			"and the checkpoint_dir setting to a writable file system%s", dir, path, resume)
	case is(syscall.EIO):
		return fmt.Sprintf("; the disk under %s failed to write (see dmesg): repair it or move %s and the checkpoint_dir setting "+
			"to a healthy disk%s", dir, path, resume)
	}
	return ""
}

func apply(tx *bolt.Tx, u *store.Update) error {
	sources := tx.Bucket(bucketSources)
	src := func(name string) (*bolt.Bucket, error) { return sources.CreateBucketIfNotExists([]byte(name)) }
	table := func(source string, kind []byte, name string) (*bolt.Bucket, error) {
		b, err := src(source)
		if err != nil {
			return nil, err
		}
		if b, err = b.CreateBucketIfNotExists(kind); err != nil {
			return nil, err
		}
		return b.CreateBucketIfNotExists([]byte(name))
	}
	for _, r := range u.ChunkResets {
		b := sources.Bucket([]byte(r.Source))
		if b == nil || b.Bucket(bucketChunks) == nil {
			continue
		}
		chunks := b.Bucket(bucketChunks)
		if r.Table == "" {
			if err := b.DeleteBucket(bucketChunks); err != nil {
				return err
			}
			continue
		}
		if err := chunks.DeleteBucket([]byte(r.Table)); err != nil && !errors.Is(err, bolterrors.ErrBucketNotFound) {
			return err
		}
	}
	for i := range u.Chunks {
		c := &u.Chunks[i]
		b, err := table(c.Source, bucketChunks, c.Table)
		if err != nil {
			return err
		}
		v, err := record.EncodeChunk(c.Chunk)
		if err != nil {
			return err
		}
		if err := b.Put(chunkKey(c.ID), v); err != nil {
			return fmt.Errorf("chunk %d of %s table %s: %w", c.ID, c.Source, c.Table, err)
		}
	}
	for i := range u.Snapshots {
		sn := &u.Snapshots[i]
		b, err := src(sn.Source)
		if err != nil {
			return err
		}
		v, err := record.EncodeSnapshot(sn.Snapshot)
		if err != nil {
			return err
		}
		if err := b.Put(keySnapshot, v); err != nil {
			return err
		}
	}
	for i := range u.Checkpoints {
		cp := &u.Checkpoints[i]
		b, err := src(cp.Source)
		if err != nil {
			return err
		}
		v, err := record.EncodeCheckpoint(cp.Checkpoint)
		if err != nil {
			return err
		}
		if err := b.Put(keyCheckpoint, v); err != nil {
			return err
		}
	}
	for i := range u.Schemas {
		sc := &u.Schemas[i]
		b, err := table(sc.Source, bucketSchema, sc.Table)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(sc.PosKey), sc.Def); err != nil {
			return fmt.Errorf("schema of %s table %s at %s: %w", sc.Source, sc.Table, sc.PosKey, err)
		}
	}
	for i := range u.Skips {
		sk := &u.Skips[i]
		b, err := src(sk.Source)
		if err != nil {
			return err
		}
		if b, err = b.CreateBucketIfNotExists(bucketSkips); err != nil {
			return err
		}
		v, err := record.EncodeSkip(sk.Skip)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(store.PosKey(sk.Pos)), v); err != nil {
			return fmt.Errorf("skip decision of %s at %s: %w", sk.Source, sk.Pos, err)
		}
	}
	return nil
}

// Close implements store.Store. It releases the file lock and removes the
// owner file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	_ = os.Remove(s.path + ownerSuffix)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close checkpoint file %s: %w", s.path, err)
	}
	return nil
}

func chunkKey(id uint32) []byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], id)
	return k[:]
}
