package binlogreader

import (
	"log/slog"
	"strconv"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
)

// typeVector is MySQL 9's VECTOR; the change package has no constant for it.
const typeVector byte = 242

// maxTableDefs bounds the definition cache; past it the cache starts over
// (tables in use are re-learnt from their next TABLE_MAP).
const maxTableDefs = 4096

// fixKind says how a go-mysql value of a column is rewritten to the value
// contract of change/value.go.
type fixKind uint8

const (
	fixEnum      fixKind = iota + 1 // int64 index → element name
	fixSet                          // int64 bit mask → "a,b"
	fixJSON                         // MySQL JSON: empty document → "null"
	fixTimeFrac                     // TIME(n): go-mysql drops an all-zero fraction
	fixTemporal                     // DATETIME(n), TIMESTAMP(n): time.Time → its text in UTC
	fixBinaryPad                    // BINARY(n): go-mysql drops trailing zero bytes
	fixUnsigned                     // no signedness in the TABLE_MAP: go-mysql decoded an unsigned integer as signed
	fixInet4                        // MariaDB INET4, logged as BINARY(4) → its text
	fixInet6                        // MariaDB INET6, logged as BINARY(16) → its text
	fixUUID                         // MariaDB UUID, logged as BINARY(16) → its text
)

// textTypes are MariaDB's types logged as BINARY(n) that a snapshot reads as
// text; only the schema history's COLUMN_TYPE tells them from BINARY.
var textTypes = map[string]fixKind{"inet4": fixInet4, "inet6": fixInet6, "uuid": fixUUID}

type colFix struct {
	col   int
	kind  fixKind
	names []any    // ENUM: element names, boxed once (index = value-1)
	elems []string // SET: element names (bit i = elems[i])
	n     int      // TIME, DATETIME, TIMESTAMP: fractional digits; BINARY: length in bytes
}

// tableEntry is one TABLE_MAP definition as Sluice sees it.
type tableEntry struct {
	table    *change.Table
	selected bool
	// full is true when the TABLE_MAP carried column names (binlog_row_metadata=FULL).
	full  bool
	fixes []colFix
	// versioned is set for a system-versioned table (versioning.go).
	versioned *versioned
	// plan is how its rows are decoded (decode.go), built at its first
	// rows event.
	plan *rowPlan
}

// tableCache maps TABLE_MAP events to *change.Table. Identical definitions
// share one entry whatever their table id, so a table keeps one *change.Table
// for as long as its definition does not change.
type tableCache struct {
	byID   map[uint64]*tableEntry
	byDef  map[string]*tableEntry
	sel    func(db, table string) bool
	dbs    func(db string) bool // selected databases, for database-level DDL; nil: all
	flavor string
	log    *slog.Logger
	warned map[string]bool // tables already warned about for missing metadata
	// hist, when set, names the columns and checks every selected TABLE_MAP;
	// resolve handles a table the history does not know or contradicts.
	hist    *schema.Tables
	resolve func(db, table, why string, at change.Position, check func(*change.Table) string) (*schema.Version, error)
}

func newTableCache(sel func(db, table string) bool, dbs func(db string) bool, flavor string, log *slog.Logger) *tableCache {
	return &tableCache{
		byID:   make(map[uint64]*tableEntry),
		byDef:  make(map[string]*tableEntry),
		sel:    sel,
		dbs:    dbs,
		flavor: flavor,
		log:    log,
		warned: make(map[string]bool),
	}
}

// observe records a TABLE_MAP starting at at. def is the event body without
// its table id (and without checksum): equal bytes mean an equal definition
// (until the next DDL: see reset).
func (c *tableCache) observe(tm *replication.TableMapEvent, def []byte, at change.Position) (*tableEntry, error) {
	if e, ok := c.byDef[string(def)]; ok { // no allocation for the lookup
		c.byID[tm.TableID] = e
		return e, nil
	}
	e, err := c.build(tm, at)
	if err != nil {
		return nil, err
	}
	if len(c.byDef) >= maxTableDefs {
		clear(c.byDef)
	}
	c.byDef[string(def)] = e
	c.byID[tm.TableID] = e
	return e, nil
}

// reset forgets every definition: after DDL, a TABLE_MAP with the same bytes
// may stand for other column names (MINIMAL metadata logs no names).
func (c *tableCache) reset() {
	clear(c.byDef)
	clear(c.byID)
}

func (c *tableCache) selects(db, table string) bool { return c.sel == nil || c.sel(db, table) }

// ddl decides whether a DDL statement passes the selection: when a table it
// touches is selected (a RENAME into or out of the selection passes), or,
// for database-level DDL, its database. The change names the statement's
// one table when that is selected (CREATE, ALTER, DROP, TRUNCATE of one
// table); otherwise it names none. Statements about other objects (views,
// routines, users) and those whose tables cannot be read pass.
func (c *tableCache) ddl(st *sourcedb.Statement) (t *change.Table, pass bool) {
	switch st.Object {
	case sourcedb.ObjectDatabase:
		return nil, c.dbs == nil || c.dbs(st.Database)
	case sourcedb.ObjectOther:
		return nil, true
	}
	if len(st.Tables) == 0 {
		return nil, true
	}
	if one := st.Table; one.Name != "" && c.selects(one.Schema, one.Name) {
		return &change.Table{Schema: one.Schema, Name: one.Name}, true
	}
	for _, n := range st.Tables {
		if c.selects(n.Schema, n.Name) {
			return nil, true
		}
	}
	return nil, false
}

func (c *tableCache) build(tm *replication.TableMapEvent, at change.Position) (*tableEntry, error) {
	schema, name := string(tm.Schema), string(tm.Table)
	e := &tableEntry{selected: c.selects(schema, name)}
	e.table, e.fixes, e.full = buildTable(tm, schema, name, c.flavor)
	if c.hist != nil && e.selected {
		return e, c.fromHistory(tm, e, at)
	}
	if !e.full && e.selected && !c.warned[schema+"."+name] {
		c.warned[schema+"."+name] = true
		c.log.Warn("TABLE_MAP carries no column names; columns are named col_0.. and ENUM/SET values stay numeric until binlog_row_metadata=FULL is set on the source",
			slog.String("table", schema+"."+name))
	}
	return e, nil
}

// buildTable turns a TABLE_MAP into a table definition and the value fixes
// its rows need.
func buildTable(tm *replication.TableMapEvent, schema, name, flavor string) (*change.Table, []colFix, bool) {
	n := int(tm.ColumnCount)
	t := &change.Table{Schema: schema, Name: name, Columns: make([]change.Column, n)}
	names := tm.ColumnNameString()
	full := len(names) == n
	unsigned := tm.UnsignedMap()
	collations := tm.CollationMap()
	esCollations := tm.EnumSetCollationMap()
	enums := tm.EnumStrValueMap()
	sets := tm.SetStrValueMap()
	geoms := tm.GeometryTypeMap()

	for i := 0; i < n; i++ {
		col := &t.Columns[i]
		if full {
			col.Name = names[i]
		} else {
			col.Name = "col_" + strconv.Itoa(i)
		}
		tp, meta := tm.ColumnType[i], tm.ColumnMeta[i]
		length := 0
		if tp == change.TypeString {
			tp, length = stringRealType(meta)
		}
		col.Type, col.Meta = tp, meta
		col.Unsigned = unsigned[i]
		if ok, null := tm.Nullable(i); ok {
			col.Nullable = null
		}
		switch tp {
		case change.TypeEnum, change.TypeSet:
			if id, ok := esCollations[i]; ok {
				col.Charset = charsetOf(id)
			}
		case change.TypeGeometry:
			col.Charset = "binary"
		case change.TypeString, change.TypeVarchar, change.TypeVarString, change.TypeBlob:
			if id, ok := collations[i]; ok {
				col.Charset = charsetOf(id)
			}
		}
		switch tp {
		case change.TypeEnum:
			col.Elements = enums[i]
		case change.TypeSet:
			col.Elements = sets[i]
		case change.TypeNewDecimal:
			col.Precision, col.Scale = int(meta>>8), int(meta&0xff)
		case change.TypeTime2, change.TypeDateTime2, change.TypeTimestamp2:
			col.Scale = int(meta)
		}
		col.ColumnType = columnType(col, length, geoms[i])
	}
	for _, k := range tm.PrimaryKey {
		t.PrimaryKey = append(t.PrimaryKey, int(k))
	}
	return t, fixesFor(t, tm), full
}

// fixesFor lists the value fixes rows of t need; t has the TABLE_MAP's type
// codes and metadata.
func fixesFor(t *change.Table, tm *replication.TableMapEvent) []colFix {
	var fixes []colFix
	signed := len(tm.SignednessBitmap) > 0
	for i := range t.Columns {
		col := &t.Columns[i]
		switch col.Type {
		case change.TypeEnum:
			if col.Elements != nil {
				f := colFix{col: i, kind: fixEnum, names: make([]any, len(col.Elements))}
				for j, s := range col.Elements {
					f.names[j] = s
				}
				fixes = append(fixes, f)
			}
		case change.TypeSet:
			if col.Elements != nil {
				fixes = append(fixes, colFix{col: i, kind: fixSet, elems: col.Elements})
			}
		case change.TypeJSON:
			fixes = append(fixes, colFix{col: i, kind: fixJSON})
		case change.TypeTime2:
			if col.Meta > 0 {
				fixes = append(fixes, colFix{col: i, kind: fixTimeFrac, n: int(col.Meta)})
			}
		case change.TypeDateTime, change.TypeTimestamp:
			fixes = append(fixes, colFix{col: i, kind: fixTemporal})
		case change.TypeDateTime2, change.TypeTimestamp2:
			fixes = append(fixes, colFix{col: i, kind: fixTemporal, n: min(int(col.Meta), 6)})
		case change.TypeString:
			if k, ok := textTypes[col.ColumnType]; ok {
				fixes = append(fixes, colFix{col: i, kind: k})
			} else if _, length := stringRealType(col.Meta); col.Charset == "binary" && length > 0 {
				fixes = append(fixes, colFix{col: i, kind: fixBinaryPad, n: length})
			}
		case change.TypeTiny, change.TypeShort, change.TypeInt24, change.TypeLong, change.TypeLongLong:
			if col.Unsigned && !signed {
				fixes = append(fixes, colFix{col: i, kind: fixUnsigned, n: int(col.Type)})
			}
		}
	}
	return fixes
}

// stringRealType decodes the metadata of a column logged as MYSQL_TYPE_STRING:
// the real type (CHAR/BINARY, ENUM or SET) and, for CHAR, its length in bytes.
func stringRealType(meta uint16) (byte, int) {
	if meta < 256 {
		return change.TypeString, int(meta)
	}
	b0, b1 := byte(meta>>8), byte(meta)
	if b0&0x30 != 0x30 { // CHAR longer than 255 bytes: 2 length bits hide in b0
		return b0 | 0x30, int(uint16(b1) | uint16((b0&0x30)^0x30)<<4)
	}
	return b0, int(b1)
}

var geometryNames = [...]string{"geometry", "point", "linestring", "polygon",
	"multipoint", "multilinestring", "multipolygon", "geometrycollection"}

// columnType renders the column's type as information_schema's COLUMN_TYPE
// would. Integer display widths are not in the binlog: the server defaults
// are shown (a TINYINT(1) shows as tinyint(4)).
func columnType(c *change.Column, charLen int, geom uint64) string {
	uns := ""
	if c.Unsigned {
		uns = " unsigned"
	}
	intType := func(name string, signedWidth, unsignedWidth int) string {
		if c.Unsigned {
			return name + "(" + strconv.Itoa(unsignedWidth) + ") unsigned"
		}
		return name + "(" + strconv.Itoa(signedWidth) + ")"
	}
	withFsp := func(name string) string {
		if c.Meta == 0 {
			return name
		}
		return name + "(" + strconv.Itoa(int(c.Meta)) + ")"
	}
	binary := c.Charset == "binary"
	chars := func(bytes int) string {
		if binary {
			return strconv.Itoa(bytes)
		}
		return strconv.Itoa(bytes / maxBytesPerChar(c.Charset))
	}
	switch c.Type {
	case change.TypeTiny:
		return intType("tinyint", 4, 3)
	case change.TypeShort:
		return intType("smallint", 6, 5)
	case change.TypeInt24:
		return intType("mediumint", 9, 8)
	case change.TypeLong:
		return intType("int", 11, 10)
	case change.TypeLongLong:
		return intType("bigint", 20, 20)
	case change.TypeFloat:
		return "float" + uns
	case change.TypeDouble:
		return "double" + uns
	case change.TypeNewDecimal:
		return "decimal(" + strconv.Itoa(c.Precision) + "," + strconv.Itoa(c.Scale) + ")" + uns
	case change.TypeDecimal:
		return "decimal" + uns
	case change.TypeYear:
		return "year(4)"
	case change.TypeDate, change.TypeNewDate:
		return "date"
	case change.TypeTime:
		return "time"
	case change.TypeTime2:
		return withFsp("time")
	case change.TypeDateTime:
		return "datetime"
	case change.TypeDateTime2:
		return withFsp("datetime")
	case change.TypeTimestamp:
		return "timestamp"
	case change.TypeTimestamp2:
		return withFsp("timestamp")
	case change.TypeBit:
		return "bit(" + strconv.Itoa(int(c.Meta>>8)*8+int(c.Meta&0xff)) + ")"
	case change.TypeVarchar, change.TypeVarString:
		if binary {
			return "varbinary(" + chars(int(c.Meta)) + ")"
		}
		return "varchar(" + chars(int(c.Meta)) + ")"
	case change.TypeString:
		if binary {
			return "binary(" + chars(charLen) + ")"
		}
		return "char(" + chars(charLen) + ")"
	case change.TypeBlob:
		prefix := [...]string{"tiny", "", "medium", "long"}
		p := ""
		if c.Meta >= 1 && c.Meta <= 4 {
			p = prefix[c.Meta-1]
		}
		if binary {
			return p + "blob"
		}
		return p + "text"
	case change.TypeEnum:
		return change.EnumSetType(change.TypeEnum, c.Elements)
	case change.TypeSet:
		return change.EnumSetType(change.TypeSet, c.Elements)
	case change.TypeJSON:
		return "json"
	case change.TypeGeometry:
		if geom < uint64(len(geometryNames)) {
			return geometryNames[geom]
		}
		return "geometry"
	case typeVector:
		return "vector"
	}
	return "type-" + strconv.Itoa(int(c.Type))
}
