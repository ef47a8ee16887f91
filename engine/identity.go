package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// The task's identity in its checkpoint store: its name, and the topology
// the stored state was written under, recorded as a shape. At a start the
// engine compares the recorded shape with the topology's and decides: a
// change that keeps every stored position meaningful (tables added or
// removed, sinks, formats, routers, transforms, topics, a source's address)
// is applied and logged in one line; one that does not (a source removed,
// renamed or of another flavor) is refused, naming the change and the way
// out.

// shape is the recorded form of a topology (store.Identity.Topology).
type shape struct {
	Sources map[string]sourceShape `json:"sources"`
	// Nodes are the sinks, routers and transforms by "kind name", as
	// sluice validate --print renders them (secrets redacted).
	Nodes     map[string]json.RawMessage `json:"nodes,omitempty"`
	Pipelines []string                   `json:"pipelines,omitempty"`
}

type sourceShape struct {
	Flavor topology.Flavor `json:"flavor"`
	Addr   string          `json:"addr"`
	// Rules are the include rules by pattern, as validate --print renders
	// them (topic, filter, columns, keys).
	Rules   map[string]json.RawMessage `json:"rules"`
	Exclude []string                   `json:"exclude,omitempty"`
}

func shapeOf(dag *topology.DAG) (shape, error) {
	sh := shape{Sources: map[string]sourceShape{}, Nodes: map[string]json.RawMessage{}}
	for _, s := range dag.Sources {
		ss := sourceShape{Flavor: s.Flavor, Addr: s.Addr(), Rules: map[string]json.RawMessage{}, Exclude: s.Objects.Exclude}
		for _, r := range s.Objects.Tables {
			b, err := json.Marshal(r)
			if err != nil {
				return shape{}, err
			}
			if _, dup := ss.Rules[r.Pattern]; !dup { // a later rule of the same pattern never matches
				ss.Rules[r.Pattern] = b
			}
		}
		sh.Sources[s.Name] = ss
	}
	add := func(kind topology.NodeKind, name string, v any) error {
		b, err := json.Marshal(v)
		sh.Nodes[string(kind)+" "+strconv.Quote(name)] = b
		return err
	}
	for _, n := range dag.Sinks {
		if err := add(topology.KindSink, n.Name, n); err != nil {
			return shape{}, err
		}
	}
	for _, n := range dag.Routers {
		if err := add(topology.KindRouter, n.Name, n); err != nil {
			return shape{}, err
		}
	}
	for _, n := range dag.Transforms {
		if err := add(topology.KindTransform, n.Name, n); err != nil {
			return shape{}, err
		}
	}
	for _, p := range dag.Pipelines {
		sh.Pipelines = append(sh.Pipelines, p.String())
	}
	return sh, nil
}

// storeIdentity is the identity the task's store is opened under; its
// Accept is the engine's decision on a changed topology.
func storeIdentity(dag *topology.DAG, task string) (store.Identity, *acceptance, error) {
	sh, err := shapeOf(dag)
	if err != nil {
		return store.Identity{}, nil, fmt.Errorf("record the topology: %w", err)
	}
	b, err := json.Marshal(sh)
	if err != nil {
		return store.Identity{}, nil, fmt.Errorf("record the topology: %w", err)
	}
	a := &acceptance{task: task, current: sh, hash: topologyHash(dag, false), formerHash: topologyHash(dag, true)}
	return store.Identity{Task: task, TopologyHash: a.hash, Topology: string(b), Accept: a.accept}, a, nil
}

// topologyHash digests the sources and the selected objects of each, as
// every Sluice version records it (store.Identity.TopologyHash). Not their
// addresses: behind a VIP or after a failover the same task reads another
// server, and the checkpoint says whether that server can resume it
// (store.CheckSwitch). withAddr gives the digest Sluice versions before
// that recorded, which had them.
func topologyHash(dag *topology.DAG, withAddr bool) string {
	h := sha256.New()
	for _, s := range dag.Sources {
		fmt.Fprintf(h, "%s|%s|", s.Name, s.Flavor)
		if withAddr {
			fmt.Fprintf(h, "%s|", s.Addr())
		}
		for _, r := range s.Objects.Tables {
			fmt.Fprintf(h, "+%s", r.Pattern)
		}
		for _, x := range s.Objects.Exclude {
			fmt.Fprintf(h, "-%s", x)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// acceptance decides, for the store being opened, whether the topology the
// stored state was written under may change into the current one, and
// keeps what it accepted for the log line once the store is open (a store
// may ask more than once while opening).
type acceptance struct {
	task             string
	current          shape
	hash, formerHash string

	applied []string
	legacy  bool // the stored record has a digest only
	// former is the recorded topology, when the store had one.
	former *shape
}

// formerObjects is the selection of source when the checkpoints were
// written, nil when it is not known (a new store, a new source, an identity
// record of an earlier Sluice).
func (a *acceptance) formerObjects(source string) *topology.Objects {
	if a == nil || a.former == nil {
		return nil
	}
	ss, ok := a.former.Sources[source]
	if !ok {
		return nil
	}
	o := &topology.Objects{Exclude: ss.Exclude}
	for _, p := range slices.Sorted(maps.Keys(ss.Rules)) {
		o.Tables = append(o.Tables, &topology.TableRule{Pattern: p})
	}
	return o
}

func (a *acceptance) accept(stored store.Identity, loc store.Location) error {
	a.applied, a.legacy, a.former = nil, false, nil
	scratch := fmt.Sprintf("start the task from scratch (a new snapshot of every source): give it a new %s, or %s", loc.Setting, loc.Discard)
	if stored.Topology == "" {
		if stored.TopologyHash == a.hash || stored.TopologyHash == a.formerHash {
			a.legacy = true
			return nil
		}
		return fmt.Errorf("%w: %s was written by task %q with an earlier Sluice, which recorded only a digest of the "+
			"sources and their selected tables (%s; this topology's is %s), so what changed cannot be told: run the task once "+
			"with the topology the checkpoints were written under (this Sluice then records it, and tells the changes that keep "+
			"the checkpoints from those that do not), or %s",
			store.ErrTopologyChanged, loc.Name, stored.Task, stored.TopologyHash, a.hash, scratch)
	}
	var old shape
	if err := json.Unmarshal([]byte(stored.Topology), &old); err != nil {
		return fmt.Errorf("%w: %s: its recorded topology does not decode (%v); %s", store.ErrCorrupt, loc.Name, err, scratch)
	}
	a.former = &old
	applied, refused := diffShapes(old, a.current)
	if len(refused) > 0 {
		return fmt.Errorf("%w: %s holds the checkpoints of task %q, and %s; or %s",
			store.ErrTopologyChanged, loc.Name, stored.Task, strings.Join(refused, "; "), scratch)
	}
	a.applied = applied
	return nil
}

// report logs, in one line, what the opened store accepted.
func (a *acceptance) report(log *slog.Logger) {
	if a.legacy {
		log.Info("the checkpoint store's identity record comes from an earlier Sluice and holds only a digest of the topology; "+
			"the digest matches, and the topology is now recorded so that later changes can be classified", "task", a.task)
	}
	if len(a.applied) > 0 {
		log.Info("topology changed since the checkpoints were written; applied", "task", a.task, "changes", strings.Join(a.applied, "; "))
	}
}

// diffShapes lists the changes from old to cur: those that keep the stored
// state valid (applied) and those that do not, each with its fix (refused).
func diffShapes(old, cur shape) (applied, refused []string) {
	for _, name := range slices.Sorted(maps.Keys(old.Sources)) {
		o := old.Sources[name]
		c, ok := cur.Sources[name]
		if !ok {
			what := fmt.Sprintf("source %q was removed", name)
			for _, n := range slices.Sorted(maps.Keys(cur.Sources)) {
				if _, had := old.Sources[n]; !had && cur.Sources[n].Addr == o.Addr && cur.Sources[n].Flavor == o.Flavor {
					what = fmt.Sprintf("source %q was renamed to %q", name, n)
					break
				}
			}
			refused = append(refused, what+fmt.Sprintf(" (its checkpoint and snapshot state are kept under its name): to keep them, name the source %q again", name))
			continue
		}
		if o.Flavor != c.Flavor {
			refused = append(refused, fmt.Sprintf("source %q changed flavor from %s to %s (the positions and GTID sets of one mean "+
				"nothing to the other): to keep the checkpoints, set its flavor back to %s", name, o.Flavor, c.Flavor, o.Flavor))
		}
		if o.Addr != c.Addr {
			applied = append(applied, fmt.Sprintf("source %q moved from %s to %s (its checkpoint resumes there only if that server holds it, which the start checks)", name, o.Addr, c.Addr))
		}
		if added := missing(slices.Sorted(maps.Keys(c.Rules)), o.Rules); len(added) > 0 {
			applied = append(applied, fmt.Sprintf("source %q selects %s too", name, strings.Join(added, ", ")))
		}
		if removed := missing(slices.Sorted(maps.Keys(o.Rules)), c.Rules); len(removed) > 0 {
			applied = append(applied, fmt.Sprintf("source %q no longer selects %s (no longer sent)", name, strings.Join(removed, ", ")))
		}
		for _, p := range slices.Sorted(maps.Keys(o.Rules)) {
			if cr, ok := c.Rules[p]; ok {
				if keys := changedKeys(o.Rules[p], cr); len(keys) > 0 {
					applied = append(applied, fmt.Sprintf("source %q rule %s changed %s", name, p, strings.Join(keys, ", ")))
				}
			}
		}
		if !slices.Equal(o.Exclude, c.Exclude) {
			applied = append(applied, fmt.Sprintf("source %q excludes %v instead of %v", name, c.Exclude, o.Exclude))
		}
	}
	if added := missing(slices.Sorted(maps.Keys(cur.Sources)), old.Sources); len(added) > 0 {
		applied = append(applied, fmt.Sprintf("source %s added (it starts as its start: says)", strings.Join(quoteAll(added), ", ")))
	}
	for _, n := range missing(slices.Sorted(maps.Keys(cur.Nodes)), old.Nodes) {
		applied = append(applied, n+" added")
	}
	for _, n := range missing(slices.Sorted(maps.Keys(old.Nodes)), cur.Nodes) {
		applied = append(applied, n+" removed")
	}
	for _, n := range slices.Sorted(maps.Keys(old.Nodes)) {
		if c, ok := cur.Nodes[n]; ok {
			if keys := changedKeys(old.Nodes[n], c); len(keys) > 0 {
				applied = append(applied, n+" changed "+strings.Join(keys, ", "))
			}
		}
	}
	for _, p := range cur.Pipelines {
		if !slices.Contains(old.Pipelines, p) {
			applied = append(applied, "pipeline "+p+" added")
		}
	}
	for _, p := range old.Pipelines {
		if !slices.Contains(cur.Pipelines, p) {
			applied = append(applied, "pipeline "+p+" removed")
		}
	}
	return applied, refused
}

// changedKeys lists the top-level keys whose values differ between two JSON
// objects (all of "settings" when either is not an object).
func changedKeys(a, b json.RawMessage) []string {
	if bytes.Equal(a, b) {
		return nil
	}
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil {
		return []string{"settings"}
	}
	var keys []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || !bytes.Equal(v, w) {
			keys = append(keys, k)
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// missing lists the keys not in m.
func missing[V any](keys []string, m map[string]V) []string {
	var out []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// ClassifyChange is the decision a start would take on the checkpoints of
// old if the task ran cur instead (sluice run's reload on SIGHUP): the
// changes it applies, and those it refuses, each with its fix.
func ClassifyChange(old, cur *topology.DAG) (applied, refused []string, err error) {
	o, err := shapeOf(old)
	if err != nil {
		return nil, nil, err
	}
	c, err := shapeOf(cur)
	if err != nil {
		return nil, nil, err
	}
	applied, refused = diffShapes(o, c)
	return applied, refused, nil
}
