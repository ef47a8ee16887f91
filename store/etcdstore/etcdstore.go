package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/internal/record"
)

// formatVersion is the layout under a prefix (see the package doc).
const formatVersion = 1

// Owner is the ownership a Store is opened under: the key its owner created
// under its lease, and that key's create revision, the owner's epoch.
type Owner struct {
	Key   string
	Epoch int64
}

// Options tune Open. The zero value fits an etcd with default settings.
type Options struct {
	// RequestTimeout bounds every etcd request (default 5s).
	RequestTimeout time.Duration
	// MaxTxnOps and MaxRequestBytes are the etcd members' --max-txn-ops and
	// --max-request-bytes (defaults 128 and 1.5 MiB); Commit sizes its
	// transactions to fit them.
	MaxTxnOps       int
	MaxRequestBytes int
	// Logger receives the few lifecycle messages (open, takeover, a commit
	// completed for an earlier owner).
	Logger *slog.Logger
}

// Store is a store.Store in etcd, under one key prefix.
type Store struct {
	cli     *clientv3.Client
	k       keys
	owner   Owner
	mark    string         // the writer mark: the owner's epoch, decimal
	id      store.Identity // as recorded
	want    store.Identity // as opened (its Accept decides a topology change)
	log     *slog.Logger
	timeout time.Duration
	limits  limits

	mu     sync.RWMutex // write-held by Commit and Close
	closed bool
	// broken is set when a commit of several transactions stopped half-way:
	// reads here could see part of it, so the store refuses every call and
	// the next Open completes or discards it.
	broken error
}

var _ store.Store = (*Store)(nil)

// Open opens the task's state under prefix (created when missing) for the
// owner. It fails with store.ErrFenced unless owner.Key exists with create
// revision owner.Epoch, with store.ErrLocked while another Store is open
// under the same epoch, and like boltstore on an identity mismatch. A Store
// left open by an earlier epoch is taken over: its owner is fenced already.
// cli stays the caller's: Close does not close it.
func Open(cli *clientv3.Client, prefix string, owner Owner, id store.Identity, opts Options) (*Store, error) {
	switch {
	case id.Task == "":
		return nil, errors.New("open checkpoint store: the task has no name")
	case prefix == "" || !strings.HasSuffix(prefix, "/"):
		return nil, fmt.Errorf("open checkpoint store of task %q: etcd prefix %q must end with \"/\" (see TaskPrefix)", id.Task, prefix)
	case owner.Key == "" || owner.Epoch <= 0:
		return nil, fmt.Errorf("open checkpoint store of task %q: owner key %q at epoch %d: "+
			"take ownership first (create the key under the node's lease; its create revision is the epoch)",
			id.Task, owner.Key, owner.Epoch)
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{cli: cli, k: keys{prefix}, owner: owner, mark: strconv.FormatInt(owner.Epoch, 10), id: id.Recorded(), want: id, log: log, timeout: opts.RequestTimeout, limits: newLimits(opts.MaxTxnOps, opts.MaxRequestBytes, owner.Key)}
	for attempt := 1; ; attempt++ {
		done, err := s.lock()
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		if attempt == 5 { // each time another Open under the prefix came first
			return nil, fmt.Errorf("open checkpoint store at etcd prefix %s: its lock or identity changed "+
				"at each of %d attempts; is another process opening it in a loop?", prefix, attempt)
		}
	}
	if err := s.settle(); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.adoptSkipRequests(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// lock reads the prefix's identity, lock and owner at one revision, checks
// them, and takes the lock (recording the identity of a new prefix) on the
// condition that none of them changed since. done is false when one did.
func (s *Store) lock() (done bool, err error) {
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Txn(ctx).Then(clientv3.OpGet(s.owner.Key), clientv3.OpGet(s.k.lock()),
		clientv3.OpGet(s.k.format()), clientv3.OpGet(s.k.identity())).Commit()
	if err != nil {
		return false, fmt.Errorf("open checkpoint store at etcd prefix %s: %w", s.k.p, err)
	}
	owner, lock, format, ident := first(resp, 0), first(resp, 1), first(resp, 2), first(resp, 3)
	if owner == nil || owner.CreateRevision != s.owner.Epoch {
		return false, s.fencedErr(owner)
	}
	epoch := strconv.FormatInt(s.owner.Epoch, 10)
	if lock != nil && string(lock.Value) == epoch {
		return false, fmt.Errorf("%w: etcd prefix %s is open already under owner key %s at epoch %d; "+
			"close that store first (one task run per ownership)", store.ErrLocked, s.k.p, s.owner.Key, s.owner.Epoch)
	}
	var puts []clientv3.Op
	rec, err := s.checkIdentity(format, ident)
	if err != nil {
		return false, err
	}
	if rec != nil {
		b, err := json.Marshal(rec)
		if err != nil {
			return false, err
		}
		puts = append(puts, clientv3.OpPut(s.k.identity(), string(b)))
		if format == nil {
			puts = append(puts, clientv3.OpPut(s.k.format(), strconv.Itoa(formatVersion)))
		}
	}
	var lease []clientv3.OpOption
	if owner.Lease != 0 {
		// The lock goes with the owner's lease, as a file lock goes with
		// its process.
		lease = append(lease, clientv3.WithLease(clientv3.LeaseID(owner.Lease)))
	}
	puts = append(puts, clientv3.OpPut(s.k.lock(), epoch, lease...))
	resp, err = s.cli.Txn(ctx).If(s.fence(),
		clientv3.Compare(clientv3.ModRevision(s.k.lock()), "=", modRev(lock)),
		clientv3.Compare(clientv3.ModRevision(s.k.identity()), "=", modRev(ident)),
	).Then(puts...).Commit()
	if err != nil {
		return false, fmt.Errorf("open checkpoint store at etcd prefix %s: %w", s.k.p, err)
	}
	if !resp.Succeeded {
		return false, nil
	}
	switch {
	case ident == nil:
		s.log.Info("created checkpoint store", "prefix", s.k.p, "task", s.id.Task, "epoch", s.owner.Epoch)
	}
	if lock != nil {
		s.log.Info("took over the checkpoint store from an earlier owner", "prefix", s.k.p, "task", s.id.Task,
			"earlier_epoch", string(lock.Value), "epoch", s.owner.Epoch)
	}
	return true, nil
}

// checkIdentity checks the stored format and identity against the task's.
// It returns the identity record to write: a new prefix's, or the stored one
// with the new topology when the identity accepted the change; nil when the
// stored one stands.
func (s *Store) checkIdentity(format, ident *mvccpb.KeyValue) (*record.Identity, error) {
	if format != nil {
		f, err := strconv.Atoi(string(format.Value))
		if err != nil {
			return nil, s.corrupt(fmt.Errorf("format record %q", format.Value))
		}
		if f > formatVersion {
			return nil, fmt.Errorf("%w: etcd prefix %s has format %d and this sluice reads format %d at most; "+
				"run the newer sluice that wrote it", store.ErrNewerFormat, s.k.p, f, formatVersion)
		}
	}
	if ident == nil {
		if format != nil {
			return nil, s.corrupt(errors.New("a format record without an identity"))
		}
		rec := record.NewIdentity(s.want)
		return &rec, nil
	}
	var rec record.Identity
	if err := json.Unmarshal(ident.Value, &rec); err != nil {
		return nil, s.corrupt(fmt.Errorf("identity record: %w", err))
	}
	if err := store.CheckIdentity(s.location(), rec.Identity(), s.want); err != nil {
		return nil, err
	}
	if rec.Identity().SameTopology(s.want) {
		return nil, nil
	}
	rec.Set(s.want)
	return &rec, nil
}

func (s *Store) location() store.Location {
	return store.Location{Name: "etcd prefix " + s.k.p, Setting: "etcd prefix",
		Discard: "delete its keys (etcdctl del --prefix " + s.k.p + ")"}
}

func (s *Store) corrupt(cause error) error {
	return fmt.Errorf("%w: etcd prefix %s cannot be read (%v); it was left untouched: restore it from a backup "+
		"(etcdctl snapshot), or delete its keys (etcdctl del --prefix %s) to start the task from scratch, which "+
		"snapshots again or starts at the configured start position", store.ErrCorrupt, s.k.p, cause, s.k.p)
}

// fence is the condition of every write: the owner key is still the one
// the store was opened under.
func (s *Store) fence() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(s.owner.Key), "=", s.owner.Epoch)
}

// fencedErr says that the owner key is gone or was created again; kv is
// its current state (nil when it does not exist).
func (s *Store) fencedErr(kv *mvccpb.KeyValue) error {
	now := "no longer exists (the owner's lease expired or the key was deleted)"
	if kv != nil {
		now = fmt.Sprintf("is now held at epoch %d (value %q)", kv.CreateRevision, kv.Value)
	}
	return errkind.Terminal(fmt.Errorf("%w: task %q: the checkpoint store at etcd prefix %s belongs to owner key %s "+
		"at epoch %d, and that key %s: another owner runs the task and resumes from the last checkpoint committed "+
		"here; stop this run of the task (it wrote nothing more)",
		store.ErrFenced, s.id.Task, s.k.p, s.owner.Key, s.owner.Epoch, now))
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

func first(resp *clientv3.TxnResponse, i int) *mvccpb.KeyValue {
	if kvs := resp.Responses[i].GetResponseRange().GetKvs(); len(kvs) > 0 {
		return kvs[0]
	}
	return nil
}

func modRev(kv *mvccpb.KeyValue) int64 {
	if kv == nil {
		return 0
	}
	return kv.ModRevision
}

// Prefix is the etcd key prefix the store keeps its state under.
func (s *Store) Prefix() string { return s.k.p }

// Identity implements store.Store.
func (s *Store) Identity() store.Identity { return s.id }

// get reads key (with opts) as part of reading what.
func (s *Store) get(what, key string, opts ...clientv3.OpOption) ([]*mvccpb.KeyValue, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("read %s: %w", what, store.ErrClosed)
	}
	if s.broken != nil {
		return nil, fmt.Errorf("read %s: %w", what, s.broken)
	}
	ctx, cancel := s.ctx()
	defer cancel()
	resp, err := s.cli.Get(ctx, key, opts...)
	if err != nil {
		return nil, fmt.Errorf("read %s from etcd prefix %s: %w", what, s.k.p, err)
	}
	return resp.Kvs, nil
}

func (s *Store) readErr(what string, err error) error {
	return s.corrupt(fmt.Errorf("%s: %w", what, err))
}

// Checkpoint implements store.Store.
func (s *Store) Checkpoint(source string) (store.Checkpoint, bool, error) {
	return getRecord(s, "checkpoint of source "+strconv.Quote(source), s.k.checkpoint(source), record.DecodeCheckpoint)
}

// Snapshot implements store.Store.
func (s *Store) Snapshot(source string) (store.Snapshot, bool, error) {
	return getRecord(s, "snapshot state of source "+strconv.Quote(source), s.k.snapshot(source), record.DecodeSnapshot)
}

// getRecord reads the record at key; ok is false when there is none.
func getRecord[T any](s *Store, what, key string, decode func([]byte) (T, error)) (v T, ok bool, err error) {
	kvs, err := s.get(what, key)
	if err != nil || len(kvs) == 0 {
		return v, false, err
	}
	if v, err = decode(kvs[0].Value); err != nil {
		return v, false, s.readErr(what, err)
	}
	return v, true, nil
}

// Chunks implements store.Store.
func (s *Store) Chunks(source, table string) ([]store.Chunk, error) {
	what := fmt.Sprintf("chunk states of %s table %s", source, table)
	prefix := s.k.tableChunks(source, table)
	kvs, err := s.get(what, prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := make([]store.Chunk, 0, len(kvs))
	for _, kv := range kvs {
		id, err := chunkID(string(kv.Key), prefix)
		if err != nil {
			return nil, s.readErr(what, err)
		}
		c, err := record.DecodeChunk(id, kv.Value)
		if err != nil {
			return nil, s.readErr(what, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// Tables implements store.Store.
func (s *Store) Tables(source string) ([]string, error) {
	return s.names("tables of source "+strconv.Quote(source), s.k.chunks(source))
}

// Sources implements store.Store.
func (s *Store) Sources() ([]string, error) { return s.names("sources", s.k.sources()) }

func (s *Store) names(what, prefix string) ([]string, error) {
	kvs, err := s.get(what, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, err
	}
	ks := make([][]byte, len(kvs))
	for i, kv := range kvs {
		ks[i] = kv.Key
	}
	out, err := names(ks, prefix)
	if err != nil {
		return nil, s.readErr(what, err)
	}
	return out, nil
}

// SchemaAt implements store.Store.
func (s *Store) SchemaAt(source, table, posKey string) (store.SchemaEntry, bool, error) {
	prefix := s.k.schemas(source, table)
	kvs, err := s.get(fmt.Sprintf("schema of %s table %s", source, table), prefix,
		clientv3.WithRange(prefix+posKey+"\x00"), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend),
		clientv3.WithLimit(1))
	if err != nil || len(kvs) == 0 {
		return store.SchemaEntry{}, false, err
	}
	return schemaEntry(kvs[0], prefix), true, nil
}

// Schemas implements store.Store.
func (s *Store) Schemas(source, table string) ([]store.SchemaEntry, error) {
	prefix := s.k.schemas(source, table)
	kvs, err := s.get(fmt.Sprintf("schema history of %s table %s", source, table), prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := make([]store.SchemaEntry, len(kvs))
	for i, kv := range kvs {
		out[i] = schemaEntry(kv, prefix)
	}
	return out, nil
}

// Skips implements store.Store.
func (s *Store) Skips(source string) ([]store.Skip, error) {
	what := "skip decisions of source " + strconv.Quote(source)
	kvs, err := s.get(what, s.k.skips(source), clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := make([]store.Skip, len(kvs))
	for i, kv := range kvs {
		if out[i], err = record.DecodeSkip(kv.Value); err != nil {
			return nil, s.readErr(what, err)
		}
	}
	return out, nil
}

// schemaEntry reads an entry; an empty definition reads back empty, not
// nil, as from bbolt.
func schemaEntry(kv *mvccpb.KeyValue, prefix string) store.SchemaEntry {
	return store.SchemaEntry{PosKey: strings.TrimPrefix(string(kv.Key), prefix), Def: append([]byte{}, kv.Value...)}
}

// Close implements store.Store. It releases the lock; the client stays
// open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	ctx, cancel := s.ctx()
	defer cancel()
	epoch := strconv.FormatInt(s.owner.Epoch, 10)
	_, err := s.cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(s.k.lock()), "=", epoch)).
		Then(clientv3.OpDelete(s.k.lock())).Commit()
	if err != nil {
		return fmt.Errorf("close checkpoint store at etcd prefix %s: releasing its lock: %w "+
			"(it goes with the owner's lease, and the next owner takes it over)", s.k.p, err)
	}
	return nil
}
