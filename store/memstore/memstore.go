package memstore

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/sluicecdc/sluice/store"
)

// Disk is the state a Store reads and writes; it survives Close.
type Disk struct {
	mu      sync.Mutex
	name    string
	locked  bool
	id      *store.Identity
	sources map[string]*source
}

type source struct {
	cp     *store.Checkpoint
	snap   *store.Snapshot
	chunks map[string]map[uint32]store.Chunk
	schema map[string]map[string][]byte
	skips  map[string]store.Skip // by store.PosKey
}

// NewDisk returns an empty disk; name appears in errors as the file would.
func NewDisk(name string) *Disk {
	return &Disk{name: name, sources: make(map[string]*source)}
}

// Options tune Open.
type Options struct{}

// Store is a store.Store on a Disk.
type Store struct {
	d      *Disk
	id     store.Identity
	closed bool // guarded by d.mu
}

var _ store.Store = (*Store)(nil)

// Open opens the disk for task id, failing like boltstore does: ErrLocked
// while another Store is open on d, ErrForeignTask or ErrTopologyChanged on
// an identity mismatch.
func Open(d *Disk, id store.Identity, opts Options) (*Store, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.locked {
		return nil, fmt.Errorf("%w: %s is open in this process", store.ErrLocked, d.name)
	}
	if d.id == nil {
		rec := id.Recorded()
		d.id = &rec
	}
	if err := store.CheckIdentity(store.Location{Name: d.name, Setting: "checkpoint_dir", Discard: "move the file away"},
		*d.id, id); err != nil {
		return nil, err
	}
	d.id.TopologyHash, d.id.Topology = id.TopologyHash, id.Topology
	d.locked = true
	return &Store{d: d, id: *d.id}, nil
}

// lock locks the disk and reports whether the store is still open.
func (s *Store) lock() error {
	s.d.mu.Lock()
	if s.closed {
		s.d.mu.Unlock()
		return store.ErrClosed
	}
	return nil
}

// Identity implements store.Store.
func (s *Store) Identity() store.Identity { return s.id }

// Checkpoint implements store.Store.
func (s *Store) Checkpoint(name string) (store.Checkpoint, bool, error) {
	if err := s.lock(); err != nil {
		return store.Checkpoint{}, false, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil || src.cp == nil {
		return store.Checkpoint{}, false, nil
	}
	return *src.cp, true, nil
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(name string) (store.Snapshot, bool, error) {
	if err := s.lock(); err != nil {
		return store.Snapshot{}, false, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil || src.snap == nil {
		return store.Snapshot{}, false, nil
	}
	return copySnapshot(*src.snap), true, nil
}

// Chunks implements store.Store.
func (s *Store) Chunks(name, table string) ([]store.Chunk, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil || len(src.chunks[table]) == 0 {
		return nil, nil
	}
	m := src.chunks[table]
	out := make([]store.Chunk, 0, len(m))
	for _, c := range m {
		out = append(out, copyChunk(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Tables implements store.Store.
func (s *Store) Tables(name string) ([]string, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil {
		return nil, nil
	}
	var out []string
	for t, m := range src.chunks {
		if len(m) > 0 {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Sources implements store.Store.
func (s *Store) Sources() ([]string, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	var out []string
	for n := range s.d.sources {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// SchemaAt implements store.Store.
func (s *Store) SchemaAt(name, table, posKey string) (store.SchemaEntry, bool, error) {
	if err := s.lock(); err != nil {
		return store.SchemaEntry{}, false, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil {
		return store.SchemaEntry{}, false, nil
	}
	best, found := "", false
	for k := range src.schema[table] {
		if k <= posKey && (!found || k > best) {
			best, found = k, true
		}
	}
	if !found {
		return store.SchemaEntry{}, false, nil
	}
	return store.SchemaEntry{PosKey: best, Def: bytes.Clone(src.schema[table][best])}, true, nil
}

// Schemas implements store.Store.
func (s *Store) Schemas(name, table string) ([]store.SchemaEntry, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil {
		return nil, nil
	}
	var out []store.SchemaEntry
	for k, v := range src.schema[table] {
		out = append(out, store.SchemaEntry{PosKey: k, Def: bytes.Clone(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PosKey < out[j].PosKey })
	return out, nil
}

// Skips implements store.Store.
func (s *Store) Skips(name string) ([]store.Skip, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.d.mu.Unlock()
	src := s.d.sources[name]
	if src == nil {
		return nil, nil
	}
	keys := make([]string, 0, len(src.skips))
	for k := range src.skips {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]store.Skip, 0, len(keys))
	for _, k := range keys {
		out = append(out, src.skips[k])
	}
	return out, nil
}

// Commit implements store.Store. The Update is validated first; applying it
// to memory cannot fail half-way, so it lands whole.
func (s *Store) Commit(u *store.Update) error {
	if u.Empty() {
		return nil
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if err := s.lock(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	defer s.d.mu.Unlock()
	src := func(name string) *source {
		x := s.d.sources[name]
		if x == nil {
			x = &source{chunks: make(map[string]map[uint32]store.Chunk), schema: make(map[string]map[string][]byte), skips: make(map[string]store.Skip)}
			s.d.sources[name] = x
		}
		return x
	}
	for _, r := range u.ChunkResets {
		x := s.d.sources[r.Source]
		if x == nil {
			continue
		}
		if r.Table == "" {
			clear(x.chunks)
		} else {
			delete(x.chunks, r.Table)
		}
	}
	for _, c := range u.Chunks {
		x := src(c.Source)
		m := x.chunks[c.Table]
		if m == nil {
			m = make(map[uint32]store.Chunk)
			x.chunks[c.Table] = m
		}
		m[c.ID] = copyChunk(c.Chunk)
	}
	for _, sn := range u.Snapshots {
		v := copySnapshot(sn.Snapshot)
		src(sn.Source).snap = &v
	}
	for _, cp := range u.Checkpoints {
		v := cp.Checkpoint
		src(cp.Source).cp = &v
	}
	for _, sc := range u.Schemas {
		x := src(sc.Source)
		m := x.schema[sc.Table]
		if m == nil {
			m = make(map[string][]byte)
			x.schema[sc.Table] = m
		}
		m[sc.PosKey] = cloneNonNil(sc.Def)
	}
	for _, sk := range u.Skips {
		src(sk.Source).skips[store.PosKey(sk.Pos)] = sk.Skip
	}
	return nil
}

// Close implements store.Store; it unlocks the disk.
func (s *Store) Close() error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.d.locked = false
	}
	return nil
}

func copyChunk(c store.Chunk) store.Chunk {
	c.Low, c.High, c.Extra = bytes.Clone(c.Low), bytes.Clone(c.High), bytes.Clone(c.Extra)
	return c
}

func copySnapshot(s store.Snapshot) store.Snapshot {
	s.Tables = slices.Clone(s.Tables)
	s.Extra = bytes.Clone(s.Extra)
	return s
}

// cloneNonNil copies b; a nil b becomes empty, as a bbolt value reads back.
func cloneNonNil(b []byte) []byte { return append([]byte{}, b...) }
