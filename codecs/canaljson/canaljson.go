package canaljson

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/internal/render"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Flavour names, as topology.CanalFlavor spells them.
const (
	FlavorDTS   = "dts"
	FlavorCanal = "canal"
)

// Encoder writes Canal JSON. It is not safe for concurrent use.
type Encoder struct {
	canal bool // open-source Canal flavour; else DTS
	// numbered writes ENUM and SET as Canal's index and bit mask (the canal
	// flavour unless Options.CanalEnumNames).
	numbered bool
	opts     codec.Options
	tables   render.TableCache[tableInfo]
}

var _ codec.Encoder = (*Encoder)(nil)

// New returns a Canal JSON encoder for opts.CanalFlavor ("" means dts).
func New(opts codec.Options) (*Encoder, error) {
	switch opts.CanalFlavor {
	case "", FlavorDTS:
		return &Encoder{opts: opts}, nil
	case FlavorCanal:
		return &Encoder{canal: true, numbered: !opts.CanalEnumNames, opts: opts}, nil
	}
	return nil, errkind.Terminal(fmt.Errorf("canal-json: unknown flavour %q: use %q or %q", opts.CanalFlavor, FlavorDTS, FlavorCanal))
}

// tableInfo is what one table version contributes to every record.
type tableInfo struct {
	database, table []byte // quoted JSON strings
	names           [][]byte
	kinds           []render.TextKind
	numbered        []bool // ENUM and SET columns written as numbers
	pkNames         []byte // JSON array, or null
	sqlType         []byte // JSON object
	mysqlType       []byte // JSON object
}

func (e *Encoder) buildTable(t *change.Table) *tableInfo {
	ti := &tableInfo{
		database: render.JSONString(nil, t.Schema),
		table:    render.JSONString(nil, t.Name),
		names:    make([][]byte, len(t.Columns)),
		kinds:    make([]render.TextKind, len(t.Columns)),
		numbered: make([]bool, len(t.Columns)),
	}
	sqlType := []byte{'{'}
	mysqlType := []byte{'{'}
	for i := range t.Columns {
		col := &t.Columns[i]
		ti.names[i] = append(render.JSONString(nil, col.Name), ':')
		ti.kinds[i] = render.ColumnKind(col)
		ti.numbered[i] = e.numbered && (col.Type == change.TypeEnum || col.Type == change.TypeSet)
		if i > 0 {
			sqlType = append(sqlType, ',')
			mysqlType = append(mysqlType, ',')
		}
		sqlType = append(sqlType, ti.names[i]...)
		sqlType = strconv.AppendInt(sqlType, int64(JDBCType(col)), 10)
		mysqlType = append(mysqlType, ti.names[i]...)
		mt := col.ColumnType
		if !e.canal {
			mt = render.BaseType(mt)
		}
		mysqlType = render.JSONString(mysqlType, mt)
	}
	ti.sqlType = append(sqlType, '}')
	ti.mysqlType = append(mysqlType, '}')
	if pk := t.PrimaryKey; len(pk) > 0 {
		b := []byte{'['}
		for i, ci := range pk {
			if i > 0 {
				b = append(b, ',')
			}
			b = render.JSONString(b, t.Columns[ci].Name)
		}
		ti.pkNames = append(b, ']')
	} else {
		ti.pkNames = []byte("null")
	}
	return ti
}

// Encode implements codec.Encoder.
func (e *Encoder) Encode(c *change.Change, rec *codec.Record) error {
	rec.Key = nil
	var err error
	if c.Op == change.OpDDL {
		rec.Value = e.appendDDL(rec.Value, c)
	} else {
		rec.Value, err = e.appendDML(rec.Value, c)
		if err != nil {
			return err
		}
	}
	codec.PositionHeaders(c, rec)
	return nil
}

func (e *Encoder) appendDML(v []byte, c *change.Change) ([]byte, error) {
	t := c.Table
	if t == nil {
		return v, errkind.Terminal(fmt.Errorf("canal-json: %s change without a table at %s", c.Op, c.Pos))
	}
	ti := e.tables.Get(t, e.buildTable)
	var typ string
	var data, old []any
	switch c.Op {
	case change.OpInsert:
		typ, data = "INSERT", c.After
	case change.OpUpdate:
		typ, data, old = "UPDATE", c.After, c.Before
	case change.OpDelete:
		typ, data = "DELETE", c.Before
	case change.OpSnapshot:
		typ, data = "INIT", c.After
		if e.canal {
			typ = "INSERT"
		}
	default:
		return v, errkind.Terminal(fmt.Errorf("canal-json: unknown op %s at %s", c.Op, c.Pos))
	}
	if len(data) != len(t.Columns) || (old != nil && len(old) != len(t.Columns)) {
		return v, errkind.Terminal(fmt.Errorf("canal-json: %s: row has %d values for %d columns at %s",
			t.QualifiedName(), len(data), len(t.Columns), c.Pos))
	}
	var err error
	v = append(v, `{"data":[{`...)
	if v, err = e.appendRow(v, c, ti, data, nil); err != nil {
		return v, err
	}
	v = append(v, `}],"database":`...)
	v = append(v, ti.database...)
	v = e.appendPosition(v, c)
	v = append(v, `,"isDdl":false,"mysqlType":`...)
	v = append(v, ti.mysqlType...)
	if old == nil {
		v = append(v, `,"old":null`...)
	} else {
		v = append(v, `,"old":[{`...)
		var changed []any
		if e.canal {
			changed = c.After
		}
		if v, err = e.appendRow(v, c, ti, old, changed); err != nil {
			return v, err
		}
		v = append(v, "}]"...)
	}
	v = append(v, `,"pkNames":`...)
	v = append(v, ti.pkNames...)
	v = append(v, `,"sql":"","sqlType":`...)
	v = append(v, ti.sqlType...)
	v = append(v, `,"table":`...)
	v = append(v, ti.table...)
	v = e.appendTail(v, typ)
	return v, nil
}

// appendPosition writes es, gtid and id. Both flavours write gtid: DTS the
// transaction's GTID, Canal 1.1.8's FlatMessage (every message) the GTID set
// executed with the transaction (its LogHeader's gtid set).
func (e *Encoder) appendPosition(v []byte, c *change.Change) []byte {
	v = append(v, `,"es":`...)
	v = strconv.AppendUint(v, uint64(c.CommitTime)*1000, 10)
	v = append(v, `,"gtid":`...)
	if e.canal {
		v = render.JSONString(v, c.GTIDSet)
	} else {
		v = render.JSONString(v, c.Pos.GTID)
	}
	v = append(v, `,"id":`...)
	return strconv.AppendUint(v, c.Seq, 10)
}

func (e *Encoder) appendTail(v []byte, typ string) []byte {
	v = append(v, `,"ts":`...)
	v = strconv.AppendInt(v, e.opts.NowMillis(), 10)
	v = append(v, `,"type":"`...)
	v = append(v, typ...)
	return append(v, `"}`...)
}

// appendRow writes the members of one row map. When only is set, a column is
// written only if its value in row differs from its value in only (Canal's
// "old" holds the changed columns).
func (e *Encoder) appendRow(v []byte, c *change.Change, ti *tableInfo, row, only []any) ([]byte, error) {
	first := true
	for i, val := range row {
		if only != nil && change.Equal(val, only[i]) {
			continue
		}
		if !first {
			v = append(v, ',')
		}
		first = false
		v = append(v, ti.names[i]...)
		var ok bool
		if s, isName := val.(string); isName && ti.numbered[i] {
			v, ok = appendNumbered(v, &c.Table.Columns[i], s)
		} else {
			v, ok = appendValue(v, &c.Table.Columns[i], ti.kinds[i], val)
		}
		if !ok {
			return v, errkind.Terminal(fmt.Errorf("canal-json: %s column %s (%s): cannot encode a %T at %s",
				c.Table.QualifiedName(), c.Table.Columns[i].Name, c.Table.Columns[i].ColumnType, val, c.Pos))
		}
	}
	return v, nil
}

// appendValue writes one value as a JSON string (or null).
func appendValue(v []byte, col *change.Column, kind render.TextKind, val any) ([]byte, bool) {
	switch x := val.(type) {
	case nil:
		return append(v, "null"...), true
	case string:
		return render.JSONText(v, x, kind), true
	case []byte:
		return render.JSONText(v, x, kind), true
	case int64:
		v = append(v, '"')
		if col.Type == change.TypeBit {
			v = strconv.AppendUint(v, uint64(x), 10)
		} else {
			v = strconv.AppendInt(v, x, 10)
		}
		return append(v, '"'), true
	case float64:
		v = append(v, '"')
		v = render.JavaDouble(v, x)
		return append(v, '"'), true
	case float32:
		v = append(v, '"')
		v = render.JavaFloat(v, x)
		return append(v, '"'), true
	}
	if i, ok := change.Int64(val); ok {
		if i == 0 && col.Type == change.TypeYear {
			// MySQL's and Canal's text of the zero year.
			return append(v, `"0000"`...), true
		}
		v = append(v, '"')
		v = strconv.AppendInt(v, i, 10)
		return append(v, '"'), true
	}
	if u, ok := change.Uint64(val); ok {
		v = append(v, '"')
		v = strconv.AppendUint(v, u, 10)
		return append(v, '"'), true
	}
	return v, false
}

func (e *Encoder) appendDDL(v []byte, c *change.Change) []byte {
	db, table := c.Schema, ""
	if c.Table != nil {
		db, table = c.Table.Schema, c.Table.Name
	}
	typ := "DDL"
	if e.canal {
		typ = DDLType(c.SQL)
	}
	v = append(v, `{"data":null,"database":`...)
	v = render.JSONString(v, db)
	v = e.appendPosition(v, c)
	v = append(v, `,"isDdl":true,"mysqlType":null,"old":null,"pkNames":null,"sql":`...)
	v = render.JSONString(v, c.SQL)
	v = append(v, `,"sqlType":null,"table":`...)
	v = render.JSONString(v, table)
	return e.appendTail(v, typ)
}

// DDLType classifies a DDL statement as open-source Canal does: CREATE,
// ALTER, ERASE (DROP TABLE), TRUNCATE, RENAME, CINDEX (CREATE INDEX), DINDEX
// (DROP INDEX), else QUERY.
func DDLType(sql string) string {
	w := words(sql, 4)
	if len(w) == 0 {
		return "QUERY"
	}
	switch w[0] {
	case "CREATE":
		for _, x := range w[1:] {
			switch x {
			case "TABLE":
				return "CREATE"
			case "INDEX":
				return "CINDEX"
			}
		}
	case "ALTER":
		if len(w) > 1 && (w[1] == "TABLE" || w[1] == "IGNORE" || w[1] == "ONLINE") {
			return "ALTER"
		}
	case "DROP":
		for _, x := range w[1:] {
			switch x {
			case "TABLE":
				return "ERASE"
			case "INDEX":
				return "DINDEX"
			}
		}
	case "TRUNCATE":
		return "TRUNCATE"
	case "RENAME":
		if len(w) > 1 && w[1] == "TABLE" {
			return "RENAME"
		}
	}
	return "QUERY"
}

// words returns up to n leading upper-cased words of sql, skipping comments.
func words(sql string, n int) []string {
	var out []string
	s := sql
	for len(out) < n {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case s == "":
			return out
		case strings.HasPrefix(s, "/*"):
			end := strings.Index(s, "*/")
			if end < 0 {
				return out
			}
			s = s[end+2:]
			continue
		case strings.HasPrefix(s, "-- "), strings.HasPrefix(s, "#"):
			end := strings.IndexByte(s, '\n')
			if end < 0 {
				return out
			}
			s = s[end+1:]
			continue
		}
		end := strings.IndexAny(s, " \t\r\n(`;/")
		if end < 0 {
			end = len(s)
		}
		if end == 0 {
			return out
		}
		out = append(out, strings.ToUpper(s[:end]))
		s = s[end:]
	}
	return out
}
