package verify

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/linkedin/goavro/v2"
	"github.com/segmentio/kafka-go"
	"golang.org/x/text/encoding/charmap"

	"github.com/sluicecdc/sluice/codecs/dtsavro"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/internal/charset"
	"github.com/sluicecdc/sluice/topology"
)

// Decoder turns one Kafka record into its row records, every value reduced
// to the text form of its column's Kind. DDL records and tombstones decode
// to no rows.
type Decoder func(m kafka.Message) ([]Record, error)

// NewDecoder returns the decoder of sink s's format for the tables given
// (keyed by "db.table"). Records of other tables are returned with their
// values as written.
func NewDecoder(s *topology.Sink, tables map[string]*Table) (Decoder, error) {
	switch s.Format {
	case topology.FormatCanalJSON:
		enumIndex := s.CanalFlavor == topology.CanalFlavorCanal && !s.CanalEnumNames
		return func(m kafka.Message) ([]Record, error) { return decodeCanalAs(m, tables, enumIndex) }, nil
	case topology.FormatDebeziumJSON:
		d := &debezium{tables: tables, opts: s.Debezium}
		return d.decode, nil
	case topology.FormatDTSAvro:
		c, err := goavro.NewCodec(dtsavro.RecordSchema())
		if err != nil {
			return nil, fmt.Errorf("the DTS Avro schema: %w", err)
		}
		d := &dtsAvro{codec: c, tables: tables, wire: s.Registry != nil && s.Registry.URL != ""}
		return d.decode, nil
	}
	return nil, fmt.Errorf("sink %s: verify does not read format %s (it reads canal-json, debezium-json and dts-avro)", s.Name, s.Format)
}

// decodeCanalAs decodes a Canal JSON record and reduces its values.
// enumIndex says ENUM and SET are written as index and bit mask (the canal
// flavour without canal_enum_names).
func decodeCanalAs(m kafka.Message, tables map[string]*Table, enumIndex bool) ([]Record, error) {
	recs, err := DecodeCanal(m)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		t := tables[recs[i].Table]
		if t == nil {
			continue
		}
		for _, row := range []Row{recs[i].Row, recs[i].Old} {
			for name, v := range row {
				c := t.Column(name)
				if c == nil || v == nil {
					continue
				}
				s, err := canalValue(c, *v, enumIndex)
				if err != nil {
					return nil, fmt.Errorf("partition %d offset %d: %s.%s: %w", m.Partition, m.Offset, t.ID(), name, err)
				}
				row[name] = &s
			}
		}
	}
	return recs, nil
}

// canalValue reduces one Canal JSON value: binary columns are ISO-8859-1
// text (one character per byte), ENUM and SET may be index and mask.
func canalValue(c *Column, v string, enumIndex bool) (string, error) {
	switch c.Kind {
	case KindBinary, KindGeometry:
		b := make([]byte, 0, len(v))
		for _, r := range v {
			if r > 0xff {
				return "", fmt.Errorf("binary value holds %q, not ISO-8859-1 text", r)
			}
			b = append(b, byte(r))
		}
		return hexUpper(b), nil
	case KindEnum:
		if !enumIndex {
			return v, nil
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			return "", fmt.Errorf("ENUM index %q: %w", v, err)
		}
		if i == 0 {
			return "", nil
		}
		if i > len(c.Elements) {
			return v, nil
		}
		return c.Elements[i-1], nil
	case KindSet:
		if !enumIndex {
			return v, nil
		}
		mask, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return "", fmt.Errorf("SET mask %q: %w", v, err)
		}
		return setNames(c, mask), nil
	}
	return v, nil
}

func setNames(c *Column, mask uint64) string {
	var names []string
	for i, e := range c.Elements {
		if i < 64 && mask&(1<<i) != 0 {
			names = append(names, e)
		}
	}
	return strings.Join(names, ",")
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// debezium decodes Debezium JSON envelopes (with or without schemas).
type debezium struct {
	tables map[string]*Table
	opts   topology.DebeziumOptions
}

type debeziumValue struct {
	Payload *debeziumValue             `json:"payload"`
	Before  map[string]json.RawMessage `json:"before"`
	After   map[string]json.RawMessage `json:"after"`
	Op      string                     `json:"op"`
	Source  struct {
		DB    string `json:"db"`
		Table string `json:"table"`
	} `json:"source"`
}

func (d *debezium) decode(m kafka.Message) ([]Record, error) {
	if m.Value == nil {
		return nil, nil // a tombstone: the delete before it removed the row
	}
	var v debeziumValue
	if err := json.Unmarshal(m.Value, &v); err != nil {
		return nil, fmt.Errorf("partition %d offset %d: not Debezium JSON: %w", m.Partition, m.Offset, err)
	}
	if v.Payload != nil {
		v = *v.Payload
	}
	var typ string
	img := v.After
	switch v.Op {
	case "c":
		typ = "INSERT"
	case "u":
		typ = "UPDATE"
	case "r":
		typ = "INIT"
	case "d":
		typ, img = "DELETE", v.Before
	default:
		return nil, nil // a schema-change event
	}
	seq, err := header(m, "sluice.seq")
	if err != nil {
		return nil, err
	}
	r := Record{Partition: m.Partition, Seq: seq, Table: v.Source.DB + "." + v.Source.Table, Type: typ}
	t := d.tables[r.Table]
	if r.Row, err = d.row(t, img); err == nil && typ == "UPDATE" {
		r.Old, err = d.row(t, v.Before)
	}
	if err != nil {
		return nil, fmt.Errorf("partition %d offset %d: %s: %w", m.Partition, m.Offset, r.Table, err)
	}
	return []Record{r}, nil
}

func (d *debezium) row(t *Table, img map[string]json.RawMessage) (Row, error) {
	row := make(Row, len(img))
	for name, raw := range img {
		if string(raw) == "null" {
			row[name] = nil
			continue
		}
		var c *Column
		if t != nil {
			c = t.Column(name)
		}
		s, err := d.value(c, raw)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		row[name] = &s
	}
	return row, nil
}

// value reduces one Debezium JSON value, following docs/types.md.
func (d *debezium) value(c *Column, raw json.RawMessage) (string, error) {
	var str string
	isStr := len(raw) > 0 && raw[0] == '"'
	if isStr {
		if err := json.Unmarshal(raw, &str); err != nil {
			return "", err
		}
	}
	if c == nil {
		if isStr {
			return str, nil
		}
		return string(raw), nil
	}
	num := func() (int64, error) { return strconv.ParseInt(string(raw), 10, 64) }
	switch c.Kind {
	case KindInt:
		if isStr { // bigint.unsigned.handling.mode precise: Connect Decimal
			return decimalText(str, 0)
		}
		if c.Unsigned && strings.HasPrefix(string(raw), "-") { // long mode wraps past 2^63-1
			n, err := num()
			return strconv.FormatUint(uint64(n), 10), err
		}
		return string(raw), nil
	case KindDecimal:
		switch {
		case !isStr: // double mode
			f, err := strconv.ParseFloat(string(raw), 64)
			return strconv.FormatFloat(f, 'f', c.Scale, 64), err
		case d.opts.DecimalHandling == "string":
			return str, nil
		}
		return decimalText(str, c.Scale)
	case KindDate:
		n, err := num()
		return time.Unix(n*86400, 0).UTC().Format("2006-01-02"), err
	case KindDateTime:
		n, err := num()
		if c.Scale <= 3 || d.opts.TimePrecision == "connect" {
			return clock(time.UnixMilli(n).UTC(), c.Scale, true), err
		}
		return clock(time.UnixMicro(n).UTC(), c.Scale, true), err
	case KindTimestamp:
		ts, err := time.Parse(time.RFC3339Nano, str)
		return clock(ts.UTC(), c.Scale, true), err
	case KindTime:
		n, err := num()
		if d.opts.TimePrecision == "connect" {
			n *= 1000
		}
		return duration(n, c.Scale), err
	case KindYear:
		n, err := num()
		return fmt.Sprintf("%04d", n), err
	case KindBit:
		switch string(raw) {
		case "true":
			return "1", nil
		case "false":
			return "0", nil
		}
		b, err := base64.StdEncoding.DecodeString(str)
		var u uint64
		for i := len(b) - 1; i >= 0; i-- { // little-endian
			u = u<<8 | uint64(b[i])
		}
		return strconv.FormatUint(u, 10), err
	case KindBinary:
		b, err := base64.StdEncoding.DecodeString(str)
		return hexUpper(b), err
	case KindGeometry:
		var g struct {
			WKB  []byte `json:"wkb"`
			SRID *int32 `json:"srid"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return "", err
		}
		b := make([]byte, 4, 4+len(g.WKB))
		if g.SRID != nil {
			binary.LittleEndian.PutUint32(b, uint32(*g.SRID))
		}
		return hexUpper(append(b, g.WKB...)), nil
	}
	if isStr {
		return str, nil
	}
	return string(raw), nil
}

// decimalText renders a Connect Decimal (base64 of the unscaled value's
// big-endian two's complement) with scale digits.
func decimalText(b64 string, scale int) (string, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("decimal %q: %w", b64, err)
	}
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	s := n.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s, nil
}

// clock renders a date and time as MySQL prints DATETIME/TIMESTAMP with fsp
// fraction digits.
func clock(t time.Time, fsp int, date bool) string {
	layout := "2006-01-02 15:04:05"
	if !date {
		layout = "15:04:05"
	}
	s := t.Format(layout)
	if fsp > 0 {
		s += "." + fmt.Sprintf("%06d", t.Nanosecond()/1000)[:fsp]
	}
	return s
}

// duration renders microseconds as MySQL prints TIME with fsp digits.
func duration(us int64, fsp int) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	s := fmt.Sprintf("%s%02d:%02d:%02d", sign, us/3_600_000_000, us/60_000_000%60, us/1_000_000%60)
	if fsp > 0 {
		s += "." + fmt.Sprintf("%06d", us%1_000_000)[:fsp]
	}
	return s
}

// dtsAvro decodes DTS Avro records with linkedin/goavro.
type dtsAvro struct {
	codec  *goavro.Codec
	tables map[string]*Table
	byObj  map[string]*Table
	wire   bool // the Confluent wire format (a schema registry)
}

const dtsNS = "com.alibaba.dts.formats.avro."

func (d *dtsAvro) decode(m kafka.Message) ([]Record, error) {
	body := m.Value
	if d.wire {
		_, b, err := registry.ParseHeader(body)
		if err != nil {
			return nil, fmt.Errorf("partition %d offset %d: %w", m.Partition, m.Offset, err)
		}
		body = b
	}
	native, _, err := d.codec.NativeFromBinary(body)
	if err != nil {
		return nil, fmt.Errorf("partition %d offset %d: not DTS Avro: %w", m.Partition, m.Offset, err)
	}
	rec := native.(map[string]any)
	op, _ := rec["operation"].(string)
	typ := op
	switch op {
	case "INSERT", "UPDATE", "DELETE", "INIT":
	default:
		return nil, nil // DDL and the rest carry no rows
	}
	if d.byObj == nil {
		d.byObj = map[string]*Table{}
		for _, t := range d.tables {
			d.byObj[dtsavro.ObjectName(t.DB, t.Name)] = t
		}
	}
	_, o := union(rec["objectName"])
	obj, _ := o.(string)
	t := d.byObj[obj]
	r := Record{Partition: m.Partition, Table: strings.ReplaceAll(obj, `\u002E`, "."), Type: typ}
	if t != nil {
		r.Table = t.ID()
	}
	if r.Seq, err = header(m, "sluice.seq"); err != nil {
		return nil, err
	}
	_, f := union(rec["fields"])
	fields, _ := f.([]any)
	names := make([]string, len(fields))
	for i, fd := range fields {
		names[i], _ = fd.(map[string]any)["name"].(string)
	}
	image := func(which string) (Row, error) {
		_, img := union(rec[which])
		items, _ := img.([]any)
		if items == nil {
			return nil, nil
		}
		row := make(Row, len(items))
		for i, it := range items {
			if i >= len(names) {
				return nil, fmt.Errorf("%s has %d values for %d fields", which, len(items), len(names))
			}
			var c *Column
			if t != nil {
				c = t.Column(names[i])
			}
			v, err := dtsValue(c, it)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", names[i], err)
			}
			row[names[i]] = v
		}
		return row, nil
	}
	after, err := image("afterImages")
	var before Row
	if err == nil {
		before, err = image("beforeImages")
	}
	if err != nil {
		return nil, fmt.Errorf("partition %d offset %d: %s: %w", m.Partition, m.Offset, r.Table, err)
	}
	r.Row, r.Old = after, before
	if typ == "DELETE" {
		r.Row, r.Old = before, nil
	}
	return []Record{r}, nil
}

// union unwraps goavro's {"type name": value} form of a union.
func union(v any) (string, any) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", v
	}
	for k, x := range m {
		return strings.TrimPrefix(k, dtsNS), x
	}
	return "", nil
}

// dtsValue reduces one DTS Avro image item, as DTS's reference consumer
// reads it.
func dtsValue(c *Column, item any) (*string, error) {
	name, v := union(item)
	if v == nil || name == "EmptyObject" {
		return nil, nil
	}
	m, _ := v.(map[string]any)
	var s string
	switch name {
	case "Integer", "Decimal", "TextObject":
		s, _ = m["value"].(string)
	case "Float":
		f, _ := m["value"].(float64)
		s = strconv.FormatFloat(f, 'g', -1, 64)
	case "Character", "BinaryObject":
		b, _ := m["value"].([]byte)
		switch {
		case c == nil:
			s = string(b)
		case c.Kind == KindBinary || c.Kind == KindGeometry:
			s = hexUpper(b)
		case charset.Native(c.Charset) || c.Charset == "":
			s = latinOr(c.Charset, b)
		default:
			dec := charset.Lookup(c.Charset)
			if dec == nil {
				return nil, fmt.Errorf("no decoder for charset %s", c.Charset)
			}
			s = string(charset.AppendUTF8(dec, nil, b))
		}
	case "BinaryGeometry":
		b, _ := m["value"].([]byte)
		s = hexUpper(b)
	case "Timestamp":
		sec, _ := m["timestamp"].(int64)
		us, _ := m["millis"].(int32)
		fsp := 0
		if c != nil {
			fsp = c.Scale
		}
		s = clock(time.Unix(sec, int64(us)*1000).UTC(), fsp, true)
	case "DateTime":
		part := func(k string) int64 {
			_, x := union(m[k])
			n, _ := x.(int32)
			return int64(n)
		}
		y, mo, dd, h, mi, se, us := part("year"), part("month"), part("day"), part("hour"), part("minute"), part("second"), part("millis")
		kind, fsp := KindDateTime, 0
		if c != nil {
			kind, fsp = c.Kind, c.Scale
		}
		frac := func() string {
			if fsp == 0 {
				return ""
			}
			return "." + fmt.Sprintf("%06d", us)[:fsp]
		}
		switch kind {
		case KindDate:
			s = fmt.Sprintf("%04d-%02d-%02d", y, mo, dd)
		case KindYear:
			s = fmt.Sprintf("%04d", y)
		case KindTime:
			sign := ""
			if h < 0 || mi < 0 || se < 0 || us < 0 {
				sign, h, mi, se, us = "-", -h, -mi, -se, -us
			}
			s = fmt.Sprintf("%s%02d:%02d:%02d", sign, h, mi, se) + frac()
		default:
			s = fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", y, mo, dd, h, mi, se) + frac()
		}
	default:
		return nil, fmt.Errorf("unexpected DTS Avro value type %q", name)
	}
	return &s, nil
}

// latinOr returns b as text: latin1 as Windows-1252 (MySQL's latin1, as
// the codecs read it), any other native charset as its bytes (UTF-8).
func latinOr(cs string, b []byte) string {
	if cs != "latin1" {
		return string(b)
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}
