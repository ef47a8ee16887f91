package transform

import (
	"fmt"
	"slices"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// plan is what the pipeline does with the changes of one table version,
// resolved once and cached by *change.Table.
type plan struct {
	in       *change.Table
	selected bool
	// filters must all hold (one per rule that has a filter), on source
	// column indexes.
	filters []*cond
	// out is the projected table; out == in when the plan passes rows
	// through unchanged (cols is then nil).
	out   *change.Table
	cols  []int // output column i takes source column cols[i]
	masks []topology.MaskKind
	topic string
	// partKey is the partition key of the last rule that sets one, in
	// output column names; nil means the table's key.
	partKey []string
}

// outCol is a column on its way through the rules.
type outCol struct {
	src  int
	name string
	mask topology.MaskKind
}

// resolve builds the plan of table t: the source's include rule, then each
// transform's first matching rule, in order. Each rule sees the columns as
// the previous rule left them (its Include, Exclude, Rename and Mask name
// those), while filters always name source columns and see source values.
func resolve(p *topology.Pipeline, t *change.Table) (*plan, error) {
	pl := &plan{in: t}
	rules, ok := p.Rules(t.Schema, t.Name)
	if !ok {
		return pl, nil
	}
	pl.selected = true

	type keyRef struct {
		src  int
		name string
	}
	var partKey []keyRef
	cols := make([]outCol, len(t.Columns))
	for i := range t.Columns {
		cols[i] = outCol{src: i, name: t.Columns[i].Name}
	}
	for _, r := range rules {
		if r.Filter != nil {
			c, err := compile(r.Filter, t)
			if err != nil {
				return nil, fmt.Errorf("row filter of rule %q on table %s: %w", r.Pattern, t.QualifiedName(), err)
			}
			pl.filters = append(pl.filters, c)
		}
		if len(r.PartitionKey) > 0 {
			partKey = partKey[:0]
			for _, name := range r.PartitionKey {
				src := -1
				for _, c := range cols {
					if c.name == name {
						src = c.src
					}
				}
				partKey = append(partKey, keyRef{src: src, name: name})
			}
		}
		var err error
		if cols, err = applyColumnRules(cols, &r.Columns); err != nil {
			return nil, fmt.Errorf("column rules of rule %q on table %s: %w", r.Pattern, t.QualifiedName(), err)
		}
		if r.Topic != "" {
			pl.topic = r.Topic
		}
	}
	if pl.topic == "" {
		pl.topic = p.Sink.Topic
	}
	// Partition key names follow later renames; a name that is not (or no
	// longer) a column is passed on as written, for the router to report.
	for _, k := range partKey {
		name := k.name
		for _, c := range cols {
			if k.src >= 0 && c.src == k.src {
				name = c.name
			}
		}
		pl.partKey = append(pl.partKey, name)
	}

	identity := len(cols) == len(t.Columns)
	for i, c := range cols {
		if c.src != i || c.name != t.Columns[i].Name || c.mask != "" {
			identity = false
		}
	}
	if identity {
		pl.out = t
		return pl, nil
	}
	return pl, pl.project(cols)
}

// applyColumnRules applies one rule's Include, Exclude, Rename and Mask to
// the columns. Names the table does not have are ignored: a rule with a
// wildcard pattern covers tables with different columns.
func applyColumnRules(cols []outCol, cr *topology.ColumnRules) ([]outCol, error) {
	if len(cr.Include) > 0 {
		kept := cols[:0:0]
		for _, c := range cols {
			if slices.Contains(cr.Include, c.name) {
				kept = append(kept, c)
			}
		}
		cols = kept
	}
	if len(cr.Exclude) > 0 {
		kept := cols[:0:0]
		for _, c := range cols {
			if !slices.Contains(cr.Exclude, c.name) {
				kept = append(kept, c)
			}
		}
		cols = kept
	}
	for i := range cols {
		if m, ok := cr.Mask[cols[i].name]; ok {
			cols[i].mask = m
		}
	}
	for i := range cols {
		if n, ok := cr.Rename[cols[i].name]; ok {
			cols[i].name = n
		}
	}
	for i := range cols {
		for j := i + 1; j < len(cols); j++ {
			if cols[i].name == cols[j].name {
				return nil, fmt.Errorf("two output columns are named %q; rename one of them differently", cols[i].name)
			}
		}
	}
	return cols, nil
}

// project builds the output table and index map. The key that identifies
// rows (the primary key, else the first unique key) must survive: it keys
// Kafka records and chooses partitions.
func (pl *plan) project(cols []outCol) error {
	t := pl.in
	at := make([]int, len(t.Columns)) // source index → output index, -1 = dropped
	for i := range at {
		at[i] = -1
	}
	out := &change.Table{Schema: t.Schema, Name: t.Name, Columns: make([]change.Column, len(cols))}
	pl.cols = make([]int, len(cols))
	pl.masks = make([]topology.MaskKind, len(cols))
	for i, c := range cols {
		at[c.src] = i
		pl.cols[i] = c.src
		pl.masks[i] = c.mask
		col := t.Columns[c.src]
		if c.mask != "" {
			col = maskedColumn(col, c.mask)
		} else {
			col.Elements = slices.Clone(col.Elements)
		}
		col.Name = c.name
		out.Columns[i] = col
	}
	remap := func(key []int) ([]int, int) {
		m := make([]int, len(key))
		for i, k := range key {
			if at[k] < 0 {
				return nil, k
			}
			m[i] = at[k]
		}
		return m, -1
	}
	if len(t.PrimaryKey) > 0 {
		k, lost := remap(t.PrimaryKey)
		if lost >= 0 {
			return fmt.Errorf("primary key column %q of table %s is excluded; keys identify records and choose "+
				"partitions: keep the column (mask it to hide its values)", t.Columns[lost].Name, t.QualifiedName())
		}
		out.PrimaryKey = k
	}
	for i, uk := range t.UniqueKeys {
		k, lost := remap(uk.Columns)
		if lost >= 0 {
			if i == 0 && len(t.PrimaryKey) == 0 {
				return fmt.Errorf("column %q of unique key %s, which identifies rows of table %s (it has no primary key), "+
					"is excluded: keep the column (mask it to hide its values)", t.Columns[lost].Name, uk.Name, t.QualifiedName())
			}
			continue // a secondary unique key partly projected away is no key of the output
		}
		out.UniqueKeys = append(out.UniqueKeys, change.Key{Name: uk.Name, Columns: k})
	}
	pl.out = out
	return nil
}

// compile resolves a filter against a table version.
func compile(e *topology.Expr, t *change.Table) (*cond, error) {
	switch e.Op {
	case topology.OpAnd, topology.OpOr:
		l, err := compile(e.Left, t)
		if err != nil {
			return nil, err
		}
		r, err := compile(e.Right, t)
		if err != nil {
			return nil, err
		}
		return &cond{op: e.Op, left: l, right: r}, nil
	}
	col := t.ColumnIndex(e.Column)
	if col < 0 {
		return nil, fmt.Errorf("column %q does not exist (columns: %s); fix the filter or narrow the rule's pattern",
			e.Column, columnList(t))
	}
	c := &cond{op: e.Op, col: col}
	switch e.Op {
	case topology.OpIsNull, topology.OpIsNotNull:
		return c, nil
	case topology.OpEq, topology.OpNe, topology.OpLt, topology.OpLe, topology.OpGt, topology.OpGe:
		if len(e.Values) != 1 {
			return nil, fmt.Errorf("%s on column %q needs one value, has %d", e.Op, e.Column, len(e.Values))
		}
	case topology.OpIn:
		if len(e.Values) == 0 {
			return nil, fmt.Errorf("IN on column %q has no values", e.Column)
		}
	default:
		return nil, fmt.Errorf("unknown operator %q", e.Op)
	}
	c.lits = make([]lit, len(e.Values))
	for i, v := range e.Values {
		c.lits[i] = compileLit(v)
	}
	return c, nil
}

func columnList(t *change.Table) string {
	const most = 12
	var b []byte
	for i, c := range t.Columns {
		if i == most {
			b = fmt.Appendf(b, ", … (%d more)", len(t.Columns)-most)
			break
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, c.Name...)
	}
	return string(b)
}
