package transform

import (
	"fmt"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// maxPlans bounds the plan cache; table versions change with DDL, and old
// versions are not seen again once their events have passed.
const maxPlans = 4096

// Transformer applies one pipeline's rules to batches of its source. It is
// not safe for concurrent use: one pipeline actor owns one.
type Transformer struct {
	p        *topology.Pipeline
	ddlTopic string
	plans    map[*change.Table]*plan
	// partKeys maps output tables to their partition keys.
	partKeys map[*change.Table][]string
	// last is the plan of the previous change: batches are runs of one table.
	last *plan
}

// New returns the transformer of pipeline p (its source's objects, its
// transforms, its sink's topics).
func New(p *topology.Pipeline) *Transformer {
	return &Transformer{p: p, ddlTopic: p.DDLTopic(), plans: make(map[*change.Table]*plan),
		partKeys: make(map[*change.Table][]string)}
}

// Apply returns a new batch with the changes of in that the pipeline keeps,
// transformed, and the sequence numbers of those it dropped (rows filtered
// out, tables not selected): the caller acknowledges those for this pipeline
// at once. in is not modified; the output shares in's Mark and, for tables
// the rules leave unchanged, in's row slices.
func (t *Transformer) Apply(in *change.Batch) (*change.Batch, []uint64, error) {
	out := &change.Batch{Changes: make([]change.Change, 0, len(in.Changes))}
	dropped, err := t.AppendTo(out, nil, in)
	if err != nil {
		return nil, nil, err
	}
	return out, dropped, nil
}

// AppendTo is Apply into caller-owned memory: it sets out.Source and
// out.Mark, appends the kept changes to out.Changes (adding their Size to
// out.Bytes) and the dropped sequence numbers to dropped, which it returns.
// With out.Changes and dropped of sufficient capacity, a batch whose tables
// need no projection is transformed without allocating.
//
// Size is kept as the source measured it, also for projected changes, so
// that flow-control credit taken for a change is the credit returned.
//
// An error is terminal (errkind): a rule that cannot apply to a table (a
// filter on a column the table lacks, a projection that drops its key) or a
// row change without a table. It names the table and binlog position.
func (t *Transformer) AppendTo(out *change.Batch, dropped []uint64, in *change.Batch) ([]uint64, error) {
	out.Source = in.Source
	out.Mark = in.Mark
	var arena []any
	for i := range in.Changes {
		c := &in.Changes[i]
		if c.Table == nil {
			if c.Op == change.OpDDL { // a database-level statement
				out.Changes = append(out.Changes, *c)
				out.Changes[len(out.Changes)-1].Topic = t.ddlTopic
				out.Bytes += c.Size
				continue
			}
			return dropped, errkind.Terminal(fmt.Errorf("transform: %s change seq %d at %s of source %s has no table",
				c.Op, c.Seq, c.Pos, in.Source))
		}
		pl, err := t.plan(c.Table)
		if err != nil {
			return dropped, errkind.Terminal(fmt.Errorf("transform: source %s, %s at %s: %w", in.Source, c.Table.QualifiedName(), c.Pos, err))
		}
		if !pl.selected || !pl.keep(c) {
			dropped = append(dropped, c.Seq)
			continue
		}
		out.Changes = append(out.Changes, *c)
		oc := &out.Changes[len(out.Changes)-1]
		out.Bytes += c.Size
		if c.Op == change.OpDDL {
			oc.Topic = t.ddlTopic
			continue
		}
		oc.Topic = pl.topic
		if pl.cols == nil {
			continue
		}
		oc.Table = pl.out
		if c.Before != nil {
			oc.Before, arena = pl.projectRow(c.Before, arena, len(in.Changes)-i)
		}
		if c.After != nil {
			oc.After, arena = pl.projectRow(c.After, arena, len(in.Changes)-i)
		}
	}
	return dropped, nil
}

// PartitionKey returns the partition key columns the rules set for an output
// table (the Table of a change Apply returned), as output column names; nil
// means the table's own key. Only tables of changes from the latest batches
// are known; others get nil.
func (t *Transformer) PartitionKey(out *change.Table) []string {
	if t.last != nil && t.last.out == out {
		return t.last.partKey
	}
	return t.partKeys[out]
}

func (t *Transformer) plan(tbl *change.Table) (*plan, error) {
	if t.last != nil && t.last.in == tbl {
		return t.last, nil
	}
	pl, ok := t.plans[tbl]
	if !ok {
		var err error
		if pl, err = resolve(t.p, tbl); err != nil {
			return nil, err
		}
		if len(t.plans) >= maxPlans {
			clear(t.plans)
			clear(t.partKeys)
		}
		t.plans[tbl] = pl
		if pl.selected {
			t.partKeys[pl.out] = pl.partKey
		}
	}
	t.last = pl
	return pl, nil
}

// keep reports whether a change passes the filters. Inserts and snapshot
// rows are judged on their row, deletes on the row they removed, and updates
// pass when the row before or the row after matches: a row that leaves the
// filtered set is sent once more with its new values, so that consumers
// holding it see that it changed, and a row that enters it is sent too.
func (pl *plan) keep(c *change.Change) bool {
	if len(pl.filters) == 0 || c.Op == change.OpDDL {
		return true
	}
	switch c.Op {
	case change.OpDelete:
		return pl.match(c.Before)
	case change.OpUpdate:
		return pl.match(c.After) || pl.match(c.Before)
	}
	return pl.match(c.After)
}

func (pl *plan) match(row []any) bool {
	if row == nil {
		return false
	}
	for _, f := range pl.filters {
		if !f.eval(row) {
			return false
		}
	}
	return true
}

// projectRow builds the output row of row from the arena, refilling the
// arena for the rest of the batch when it runs out.
func (pl *plan) projectRow(row []any, arena []any, left int) ([]any, []any) {
	n := len(pl.cols)
	if len(arena) < n {
		arena = make([]any, max(n, min(2*n*left, 1<<16)))
	}
	dst := arena[:n:n]
	for i, src := range pl.cols {
		var v any
		if src < len(row) {
			v = row[src]
		}
		if pl.masks[i] != "" {
			v = maskValue(pl.masks[i], v)
		}
		dst[i] = v
	}
	return dst, arena[n:]
}
