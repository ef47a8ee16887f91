package router

import (
	"fmt"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// Partitioner applies one router's partition policy. It holds no per-row
// state and is safe for concurrent use.
type Partitioner struct {
	name    string
	policy  topology.PartitionPolicy
	columns []string
}

// New returns the partitioner of r. An empty policy means partition0.
func New(r *topology.Router) *Partitioner {
	p := &Partitioner{policy: topology.PolicyPartition0}
	if r != nil {
		p.name = r.Name
		if r.Policy != "" {
			p.policy = r.Policy
		}
		p.columns = r.Columns
	}
	return p
}

// Policy returns the policy in force.
func (p *Partitioner) Policy() topology.PartitionPolicy { return p.policy }

// KeyColumns resolves, for one table version, the column indexes that
// pk_hash and columns_hash hash, in hash order. partitionKey is the table
// rule's partition_key (nil when the rule sets none). It returns nil for the
// other policies and for a keyless table under pk_hash (its rows go to
// partition 0). A named column missing from the table is an error: the
// topology names a column the table does not have.
//
// Call it once per table version (Keys does the memoising), not per row.
func (p *Partitioner) KeyColumns(t *change.Table, partitionKey []string) ([]int, error) {
	if t == nil {
		return nil, nil
	}
	var names []string
	switch p.policy {
	case topology.PolicyPKHash:
		if len(partitionKey) == 0 {
			return t.KeyColumns(), nil
		}
		names = partitionKey
	case topology.PolicyColumnsHash:
		names = partitionKey
		if len(names) == 0 {
			names = p.columns
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("router %q: policy columns_hash needs columns, and neither the router nor the rule for %s names any: set columns on the router or partition_key on the table rule", p.name, t.QualifiedName())
		}
	default:
		return nil, nil
	}
	cols := make([]int, len(names))
	for i, n := range names {
		c := t.ColumnIndex(n)
		if c < 0 {
			return nil, fmt.Errorf("router %q: table %s has no column %q to hash (it has %s): fix the partition columns in the topology", p.name, t.QualifiedName(), n, columnList(t))
		}
		cols[i] = c
	}
	return cols, nil
}

func columnList(t *change.Table) string {
	names := make([]string, len(t.Columns))
	for i := range t.Columns {
		names[i] = t.Columns[i].Name
	}
	return strings.Join(names, ", ")
}

// Partition returns the partition of c among partitions (a count; 0 or 1
// means a single partition 0). keyCols are the hashed columns that
// KeyColumns returned for c.Table. It does not allocate.
func (p *Partitioner) Partition(c *change.Change, keyCols []int, partitions int) int32 {
	if partitions <= 1 {
		return 0
	}
	switch p.policy {
	case topology.PolicyTableHash:
		if c.Table == nil {
			return 0
		}
		return partitionOf(tableHash(c.Table), partitions)
	case topology.PolicyPKHash, topology.PolicyColumnsHash:
		if c.Op == change.OpDDL || len(keyCols) == 0 || c.Table == nil {
			return 0
		}
		row := c.After
		if c.Op == change.OpDelete {
			row = c.Before
		}
		if row == nil {
			return 0
		}
		return partitionOf(keyHash(c.Table, row, keyCols), partitions)
	}
	return 0
}

// tableHash is the hash of "schema.table".
func tableHash(t *change.Table) int32 {
	return int32(javaHash(0).utf8String(t.Schema).unit('.').utf8String(t.Name))
}

// keyHash is the hash of the key values' canonical texts joined with ",".
func keyHash(t *change.Table, row []any, keyCols []int) int32 {
	var h javaHash
	for i, c := range keyCols {
		if i > 0 {
			h = h.unit(',')
		}
		if c < 0 || c >= len(row) {
			continue
		}
		latin1 := false
		if c < len(t.Columns) {
			latin1 = isLatin1(t.Columns[c].Charset)
		}
		h = h.value(row[c], latin1)
	}
	return int32(h)
}

// isLatin1 reports whether a charset's bytes are hashed one byte per unit.
func isLatin1(charset string) bool {
	switch charset {
	case "binary", "latin1", "ascii":
		return true
	}
	return false
}

// Keys memoises KeyColumns per table version. It is not safe for concurrent
// use; give each router actor its own.
type Keys struct {
	p    *Partitioner
	last *change.Table
	cols []int
	m    map[*change.Table][]int
}

// NewKeys returns a memo for p.
func NewKeys(p *Partitioner) *Keys { return &Keys{p: p, m: make(map[*change.Table][]int)} }

// For returns KeyColumns(t, partitionKey), computed once per table version.
// partitionKey must be the same for every call with the same table.
func (k *Keys) For(t *change.Table, partitionKey []string) ([]int, error) {
	if t == k.last && t != nil {
		return k.cols, nil
	}
	cols, ok := k.m[t]
	if !ok {
		var err error
		if cols, err = k.p.KeyColumns(t, partitionKey); err != nil {
			return nil, err
		}
		k.m[t] = cols
	}
	k.last, k.cols = t, cols
	return cols, nil
}
