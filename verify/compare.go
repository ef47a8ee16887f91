package verify

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/sourcedb"
)

// Options tune a comparison.
type Options struct {
	// ChunkSize is the keys per chunk (default 1000).
	ChunkSize int
	// Sample, when above 0, compares the values of only that many chunks
	// per table, chosen at random; every key is still checked for being
	// missing or extra.
	Sample int
	// MaxKeys bounds each list of keys in a result (default 20).
	MaxKeys int
	// WKBOnly reads spatial values without MySQL's 4-byte SRID (the DTS
	// Avro format carries the WKB alone).
	WKBOnly bool
}

func (o Options) chunkSize() int {
	if o.ChunkSize > 0 {
		return o.ChunkSize
	}
	return 1000
}

func (o Options) maxKeys() int {
	if o.MaxKeys > 0 {
		return o.MaxKeys
	}
	return 20
}

// TableResult is what comparing one table found.
type TableResult struct {
	Table string `json:"table"`
	Topic string `json:"topic"`
	// SourceRows and TopicRows count the rows of the table and of its
	// replayed topic.
	SourceRows int `json:"source_rows"`
	TopicRows  int `json:"topic_rows"`
	// Chunks is the number of key ranges; Checked how many had their
	// checksums compared (all unless sampled); Differing how many of those
	// differed and were compared row by row.
	Chunks    int `json:"chunks"`
	Checked   int `json:"chunks_checked"`
	Differing int `json:"chunks_differing"`
	// Missing counts keys in the table and not in the topic; Extra keys in
	// the topic and not in the table; Changed keys whose values differ.
	Missing int `json:"missing"`
	Extra   int `json:"extra"`
	Changed int `json:"differing"`
	// The first keys of each kind, at most Options.MaxKeys.
	MissingKeys []string `json:"missing_keys,omitempty"`
	ExtraKeys   []string `json:"extra_keys,omitempty"`
	ChangedKeys []string `json:"differing_keys,omitempty"` // "key: column = topic value, want source value; …"
}

// Clean reports whether the table and its topic agree.
func (r *TableResult) Clean() bool { return r.Missing == 0 && r.Extra == 0 && r.Changed == 0 }

// chunk is one key range: (lo, hi], lo nil for the first.
type chunk struct {
	lo, hi   []string // SQL literals of the key columns
	keys     int      // source keys listed in it
	found    int      // of those, present in the topic
	topicSum uint64   // XOR of the topic rows' digests
}

// Compare compares table t, read through conn with plain SELECTs, with
// topic, its replayed rows (key → row, values reduced by the decoders).
// It lists the table's keys in chunks of Options.ChunkSize (an index range
// scan each), checks every key for being in the topic, then compares each
// chunk's checksum (computed by the server: a count and an XOR of row
// digests) with the topic's, and reads rows only of the chunks whose
// checksums differ. FLOAT and DOUBLE columns are left out of the checksum
// (the server's text of them is not the formats'): they are compared, as
// numbers, in the chunks read row by row.
func Compare(ctx context.Context, conn *client.Conn, t *Table, topic map[string]Row, opts Options) (*TableResult, error) {
	res := &TableResult{Table: t.ID(), TopicRows: len(topic)}
	stop := sourcedb.InterruptOnCancel(ctx, conn)
	defer stop()
	keyCols := make([]*Column, len(t.Key))
	for i, k := range t.Key {
		keyCols[i] = t.Column(k)
	}
	// The key can be paged through with literals, unless a key column
	// orders otherwise than its text (ENUM and SET by index, FLOAT,
	// spatial values) or may be NULL (a nullable unique key: a row
	// comparison with NULL is never true): such a table is one chunk.
	ranged := true
	for _, c := range keyCols {
		switch {
		case c.Nullable, c.Kind == KindEnum, c.Kind == KindSet, c.Kind == KindFloat, c.Kind == KindGeometry:
			ranged = false
		}
	}
	from := sourcedb.Qualified(t.DB, t.Name)
	var keyExprs, keyRaw []string
	for _, c := range keyCols {
		keyExprs = append(keyExprs, selectExpr(c, opts.WKBOnly))
		keyRaw = append(keyRaw, sourcedb.QuoteIdent(c.Name))
	}
	order := strings.Join(keyRaw, ", ")
	seen := make(map[string]bool, len(topic))
	var chunks []*chunk
	var lo []string
	limit := opts.chunkSize()
	for {
		q := "SELECT " + strings.Join(keyExprs, ", ") + " FROM " + from
		if lo != nil {
			q += " WHERE " + after(keyRaw, lo)
		}
		q += " ORDER BY " + order
		if ranged {
			q += " LIMIT " + strconv.Itoa(limit)
		}
		r, err := conn.Execute(q)
		if err != nil {
			return nil, fmt.Errorf("listing the keys of %s: %w", t.ID(), err)
		}
		n := r.RowNumber()
		if n == 0 {
			break
		}
		ch := &chunk{lo: lo, keys: n}
		var last []string
		for i := range n {
			row := Row{}
			for j, c := range t.Key {
				row[c] = text(r, i, j)
			}
			k := Key(row, t.Key)
			if tr, ok := topic[k]; ok {
				ch.found++
				ch.topicSum ^= rowDigest(t, tr)
				seen[k] = true
			} else {
				res.Missing++
				if len(res.MissingKeys) < opts.maxKeys() {
					res.MissingKeys = append(res.MissingKeys, k)
				}
			}
			if i == n-1 {
				last = make([]string, len(keyCols))
				for j, c := range keyCols {
					last[j] = literal(c, row[c.Name])
				}
			}
		}
		ch.hi = last
		chunks = append(chunks, ch)
		res.SourceRows += n
		if !ranged || n < limit {
			break
		}
		lo = last
	}
	for k := range topic {
		if !seen[k] {
			res.Extra++
			if len(res.ExtraKeys) < opts.maxKeys() {
				res.ExtraKeys = append(res.ExtraKeys, k)
			}
		}
	}
	res.Chunks = len(chunks)
	pick := chunks
	if opts.Sample > 0 && opts.Sample < len(chunks) {
		pick = nil
		for _, i := range rand.Perm(len(chunks))[:opts.Sample] {
			pick = append(pick, chunks[i])
		}
	}
	sum := rowDigestSQL(t, opts.WKBOnly)
	for _, ch := range pick {
		res.Checked++
		where := rangeWhere(keyRaw, ch, ranged)
		r, err := conn.Execute("SELECT COUNT(*), COALESCE(BIT_XOR(CAST(CONV(LEFT(MD5(" + sum + "), 16), 16, 10) AS UNSIGNED)), 0) FROM " + from + where)
		if err != nil {
			return nil, fmt.Errorf("checksum of %s%s: %w", t.ID(), where, err)
		}
		count, _ := r.GetInt(0, 0)
		srv, _ := r.GetUint(0, 1)
		if int(count) == ch.found && srv == ch.topicSum {
			continue
		}
		res.Differing++
		if err := diffChunk(conn, t, topic, from+where+" ORDER BY "+order, opts, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// after is the condition "key > lo" over the key columns.
func after(cols, lo []string) string {
	if len(cols) == 1 {
		return cols[0] + " > " + lo[0]
	}
	return "(" + strings.Join(cols, ", ") + ") > (" + strings.Join(lo, ", ") + ")"
}

func rangeWhere(cols []string, ch *chunk, ranged bool) string {
	if !ranged {
		return ""
	}
	var conds []string
	if ch.lo != nil {
		conds = append(conds, after(cols, ch.lo))
	}
	hi := "(" + strings.Join(cols, ", ") + ") <= (" + strings.Join(ch.hi, ", ") + ")"
	if len(cols) == 1 {
		hi = cols[0] + " <= " + ch.hi[0]
	}
	conds = append(conds, hi)
	return " WHERE " + strings.Join(conds, " AND ")
}

// literal renders a key value (in its reduced form) as a SQL literal that
// compares with the column as the column's own values do.
func literal(c *Column, v *string) string {
	if v == nil {
		return "NULL"
	}
	switch c.Kind {
	case KindInt, KindDecimal, KindBit:
		if _, err := strconv.ParseFloat(*v, 64); err == nil {
			return *v
		}
	case KindBinary:
		return "X'" + *v + "'"
	}
	return sourcedb.QuoteString(*v)
}

// text is a result cell as text, nil for NULL.
func text(r *mysql.Result, row, col int) *string {
	if null, _ := r.IsNull(row, col); null {
		return nil
	}
	s, _ := r.GetString(row, col)
	return &s
}

// rowDigestSQL is the SQL text whose MD5 is a row's digest: each column but
// FLOAT and DOUBLE, in order, as N for NULL or V<byte length>:<text>.
func rowDigestSQL(t *Table, wkbOnly bool) string {
	var parts []string
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Kind == KindFloat {
			continue
		}
		e := selectExpr(c, wkbOnly)
		parts = append(parts, "IF("+e+" IS NULL, 'N', CONCAT('V', LENGTH("+e+"), ':', "+e+"))")
	}
	if len(parts) == 0 {
		return "''"
	}
	return "CONCAT(" + strings.Join(parts, ", ") + ")"
}

// rowDigest is rowDigestSQL's MD5 computed over a topic row, as the server's
// CONV(LEFT(MD5(…), 16), 16, 10): the first 8 bytes, big-endian.
func rowDigest(t *Table, row Row) uint64 {
	var b []byte
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Kind == KindFloat {
			continue
		}
		v := row[c.Name]
		if v == nil {
			b = append(b, 'N')
			continue
		}
		b = append(b, 'V')
		b = strconv.AppendInt(b, int64(len(*v)), 10)
		b = append(b, ':')
		b = append(b, *v...)
	}
	sum := md5.Sum(b)
	return binary.BigEndian.Uint64(sum[:8])
}

// diffChunk reads the rows of one chunk (query: FROM … WHERE … ORDER BY)
// and records the keys whose values differ from the topic's.
func diffChunk(conn *client.Conn, t *Table, topic map[string]Row, query string, opts Options, res *TableResult) error {
	exprs := make([]string, len(t.Columns))
	for i := range t.Columns {
		exprs[i] = selectExpr(&t.Columns[i], opts.WKBOnly)
	}
	r, err := conn.Execute("SELECT " + strings.Join(exprs, ", ") + " FROM " + query)
	if err != nil {
		return fmt.Errorf("reading rows of %s: %w", t.ID(), err)
	}
	for i := range r.RowNumber() {
		want := Row{}
		for j := range t.Columns {
			want[t.Columns[j].Name] = text(r, i, j)
		}
		k := Key(want, t.Key)
		got, ok := topic[k]
		if !ok {
			continue // counted as missing when the keys were listed
		}
		if d := diffValues(t, want, got); d != "" {
			res.Changed++
			if len(res.ChangedKeys) < opts.maxKeys() {
				res.ChangedKeys = append(res.ChangedKeys, k+": "+d)
			}
		}
	}
	return nil
}

// diffValues describes how got differs from want over t's columns; ""
// when they agree.
func diffValues(t *Table, want, got Row) string {
	var d []string
	for i := range t.Columns {
		if x := diffValue(&t.Columns[i], want, got); x != "" {
			d = append(d, x)
		}
	}
	return strings.Join(d, "; ")
}

// diffValue describes how column c of got differs from want's; "" when
// they agree. A nil c compares text.
func diffValue(c *Column, want, got Row) string {
	w := want[c.Name]
	g, ok := got[c.Name]
	switch {
	case !ok:
		return c.Name + " not in the topic's row"
	case (w == nil) != (g == nil):
	case w == nil:
		return ""
	case c.Kind == KindFloat:
		if sameFloat(*w, *g, c.Float32) {
			return ""
		}
	case *w == *g:
		return ""
	}
	return fmt.Sprintf("%s = %s, want %s", c.Name, show(g), show(w))
}

// sameFloat compares the server's text of a FLOAT or DOUBLE with a topic's:
// MySQL prints FLOAT with 6 significant digits, DOUBLE in full.
func sameFloat(server, topic string, single bool) bool {
	a, err1 := strconv.ParseFloat(server, 64)
	b, err2 := strconv.ParseFloat(topic, 64)
	if err1 != nil || err2 != nil {
		return server == topic
	}
	if single {
		return strconv.FormatFloat(a, 'g', 6, 64) == strconv.FormatFloat(float64(float32(b)), 'g', 6, 64)
	}
	return a == b
}
