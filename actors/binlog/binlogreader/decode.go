package binlogreader

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"
	"unsafe"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/valuebox"
)

// The row decoder: rows events of selected tables are decoded here, from
// the event's bytes straight into the values of change/value.go, instead of
// by go-mysql (which boxes every value into a fresh interface, formats
// temporal values with fmt, allocates a slice per row and its skipped
// columns) followed by normalize. The syncer hands rows events over with
// only their header decoded (rawRows); values are boxed into the stream's
// valuebox.Box and rendered text is copied once out of one scratch buffer.
// A table with a column type it does not decode (MySQL's binary JSON, and
// types no server logs) is decoded by go-mysql and normalised, as before;
// the values are the same either way (decode_test.go compares them).

// rawRows is the syncer's RowsEventDecodeFunc: the header only, so that
// rows of tables nobody selected are never decoded and the others are
// decoded by the Stream.
func rawRows(e *replication.RowsEvent, data []byte) error {
	_, err := e.DecodeHeader(data)
	return err
}

// rowImages returns the row images of a rows event whose header alone was
// decoded: the event body after its column bitmaps. raw is the event as
// read (ev.RawData), with a checksum trailer when checksum is true.
func rowImages(e *replication.RowsEvent, raw []byte, checksum bool) ([]byte, bool) {
	end := len(raw)
	if checksum {
		end -= replication.BinlogChecksumLength
	}
	if end < replication.EventHeaderSize {
		return nil, false
	}
	body := raw[replication.EventHeaderSize:end]
	bm := e.ColumnBitmap1
	if e.ColumnBitmap2 != nil {
		bm = e.ColumnBitmap2
	}
	// The bitmaps are sub-slices of the body: their capacity says where.
	at := cap(body) - cap(bm) + len(bm)
	if len(bm) == 0 || at < len(bm) || at > len(body) || &body[at-len(bm)] != &bm[0] {
		return nil, false
	}
	return body[at:], true
}

// colOp is how one column's binlog value is decoded.
type colOp uint8

const (
	opUnsupported colOp = iota
	opNull
	opInt8
	opUint8
	opInt16
	opUint16
	opInt24
	opUint24
	opInt32
	opUint32
	opInt64
	opUint64
	opFloat
	opDouble
	opDecimal
	opBit
	opTimestamp
	opTimestamp2
	opDatetime
	opDatetime2
	opTime
	opTime2
	opDate
	opYear
	opEnum
	opSet
	opBlob
	opString // VARCHAR, VAR_STRING, CHAR, BINARY
)

// colPlan is the decoding of one column: its op, the TABLE_MAP metadata and
// what normalize would do to go-mysql's value (fix, nil when nothing).
type colPlan struct {
	op     colOp
	meta   uint16
	length int // CHAR/BINARY: the declared length in bytes, for the length prefix
	fix    *colFix
}

// rowPlan is the decoding of a table's rows; native is false when a column
// needs go-mysql's decoder.
type rowPlan struct {
	cols   []colPlan
	native bool
}

// planFor builds the plan of a TABLE_MAP's rows with the value fixes of e.
func planFor(tm *replication.TableMapEvent, e *tableEntry) *rowPlan {
	n := int(tm.ColumnCount)
	p := &rowPlan{cols: make([]colPlan, n), native: true}
	unsigned := tm.UnsignedMap()
	for i := range e.fixes {
		if f := &e.fixes[i]; f.col < n {
			p.cols[f.col].fix = f
		}
	}
	for i := 0; i < n && i < len(tm.ColumnType); i++ {
		c := &p.cols[i]
		tp, meta := tm.ColumnType[i], tm.ColumnMeta[i]
		c.meta = meta
		if tp == change.TypeString {
			tp, c.length = stringRealType(meta)
		}
		uns := unsigned[i] || (c.fix != nil && c.fix.kind == fixUnsigned)
		pick := func(s, u colOp) colOp {
			if uns {
				return u
			}
			return s
		}
		switch tp {
		case change.TypeNull:
			c.op = opNull
		case change.TypeTiny:
			c.op = pick(opInt8, opUint8)
		case change.TypeShort:
			c.op = pick(opInt16, opUint16)
		case change.TypeInt24:
			c.op = pick(opInt24, opUint24)
		case change.TypeLong:
			c.op = pick(opInt32, opUint32)
		case change.TypeLongLong:
			c.op = pick(opInt64, opUint64)
		case change.TypeFloat:
			c.op = opFloat
		case change.TypeDouble:
			c.op = opDouble
		case change.TypeNewDecimal:
			c.op = opDecimal
		case change.TypeBit:
			c.op = opBit
		case change.TypeTimestamp:
			c.op = opTimestamp
		case change.TypeTimestamp2:
			c.op = opTimestamp2
		case change.TypeDateTime:
			c.op = opDatetime
		case change.TypeDateTime2:
			c.op = opDatetime2
		case change.TypeTime:
			c.op = opTime
		case change.TypeTime2:
			c.op = opTime2
		case change.TypeDate:
			c.op = opDate
		case change.TypeYear:
			c.op = opYear
		case change.TypeEnum:
			c.op = opEnum
		case change.TypeSet:
			c.op = opSet
		case change.TypeBlob, change.TypeGeometry, typeVector:
			c.op = opBlob
		case change.TypeVarchar, change.TypeVarString:
			c.op, c.length = opString, int(meta)
		case change.TypeString:
			c.op = opString
		default: // MySQL's binary JSON; types no server logs
			p.native = false
		}
	}
	if len(tm.ColumnType) < n {
		p.native = false
	}
	return p
}

// rowDecoder decodes row images; it owns the Box the values live in.
type rowDecoder struct {
	box     valuebox.Box
	cells   []any // a chunk rows are cut from
	scratch []byte
}

const cellChunk = 4096

var errShort = errors.New("row image shorter than its columns")

// decodeRows decodes all row images of a rows event into rows of values as
// normalize leaves them. update is true for UPDATE events (image pairs).
func (d *rowDecoder) decodeRows(p *rowPlan, data []byte, bm1, bm2 []byte) (rows [][]any, err error) {
	defer func() {
		if r := recover(); r != nil { // a malformed event: a clear error, not a crash
			err = fmt.Errorf("malformed row image: %v", r)
		}
	}()
	pos, first := 0, 0
	for pos < len(data) {
		row, n, err := d.decodeImage(p, data[pos:], bm1)
		if err != nil {
			return nil, err
		}
		pos += n
		if rows == nil { // size the slice from the first row
			first = n
			rows = make([][]any, 0, len(data)/max(first, 1)+1)
		}
		rows = append(rows, row)
		if bm2 != nil {
			if row, n, err = d.decodeImage(p, data[pos:], bm2); err != nil {
				return nil, err
			}
			pos += n
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func (d *rowDecoder) row(n int) []any {
	if len(d.cells)+n > cap(d.cells) {
		d.cells = make([]any, 0, max(cellChunk, n))
	}
	at := len(d.cells)
	d.cells = d.cells[:at+n]
	return d.cells[at : at+n : at+n]
}

// decodeImage decodes one row image; it returns the row and its length.
func (d *rowDecoder) decodeImage(p *rowPlan, data, bm []byte) ([]any, int, error) {
	ncol := len(p.cols)
	present := 0
	for i := range ncol {
		if bm[i>>3]&(1<<(uint(i)&7)) != 0 {
			present++
		}
	}
	nb := (present + 7) / 8
	if len(data) < nb {
		return nil, 0, errShort
	}
	nulls, pos := data[:nb], nb
	row := d.row(ncol)
	k := 0
	for i := range ncol {
		if bm[i>>3]&(1<<(uint(i)&7)) == 0 {
			continue // rowsEvent has refused images that lack columns
		}
		isNull := nulls[k>>3]&(1<<(uint(k)&7)) != 0
		k++
		if isNull {
			continue
		}
		v, n, err := d.value(&p.cols[i], data[pos:])
		if err != nil {
			return nil, 0, err
		}
		row[i] = v
		pos += n
	}
	return row, pos, nil
}

// value decodes one column value; it returns the value and its length.
func (d *rowDecoder) value(c *colPlan, data []byte) (any, int, error) {
	b := &d.box
	switch c.op {
	case opNull:
		return nil, 0, nil
	case opInt8:
		return int8(data[0]), 1, nil
	case opUint8:
		return data[0], 1, nil
	case opInt16:
		return b.Int16(int16(binary.LittleEndian.Uint16(data))), 2, nil
	case opUint16:
		return b.Uint16(binary.LittleEndian.Uint16(data)), 2, nil
	case opInt24:
		u := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
		if u&0x00800000 != 0 {
			u |= 0xFF000000
		}
		return b.Int32(int32(u)), 3, nil
	case opUint24:
		return b.Uint32(uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16), 3, nil
	case opInt32:
		return b.Int32(int32(binary.LittleEndian.Uint32(data))), 4, nil
	case opUint32:
		return b.Uint32(binary.LittleEndian.Uint32(data)), 4, nil
	case opInt64:
		return b.Int64(int64(binary.LittleEndian.Uint64(data))), 8, nil
	case opUint64:
		return b.Uint64(binary.LittleEndian.Uint64(data)), 8, nil
	case opFloat:
		return b.Float32(math.Float32frombits(binary.LittleEndian.Uint32(data))), 4, nil
	case opDouble:
		return b.Float64(math.Float64frombits(binary.LittleEndian.Uint64(data))), 8, nil
	case opDecimal:
		s, n, err := appendDecimal(d.scratch[:0], data, int(c.meta>>8), int(c.meta&0xff))
		d.scratch = s
		if err != nil {
			return nil, 0, err
		}
		return b.Text(s), n, nil
	case opBit:
		nbits := int((c.meta>>8)*8 + (c.meta & 0xFF))
		n := (nbits + 7) / 8
		v, err := bitValue(data, nbits, n, true)
		if err != nil {
			return nil, 0, err
		}
		return b.Int64(v), n, nil
	case opTimestamp:
		t := binary.LittleEndian.Uint32(data)
		if t == 0 {
			return zeroDatetime, 4, nil
		}
		return d.text(appendTime(d.scratch[:0], time.Unix(int64(t), 0), 0)), 4, nil
	case opTimestamp2:
		return d.timestamp2(c, data)
	case opDatetime:
		return d.datetime(data)
	case opDatetime2:
		return d.datetime2(c, data)
	case opTime:
		i := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
		if i == 0 {
			return zeroTime, 3, nil
		}
		s := appendPadded(d.scratch[:0], int64(i/10000), 2)
		s = append(s, ':')
		s = appendPadded(s, int64((i%10000)/100), 2)
		s = append(s, ':')
		s = appendPadded(s, int64(i%100), 2)
		return d.text(s), 3, nil
	case opTime2:
		return d.time2(c, data)
	case opDate:
		i := uint32(data[0]) | uint32(data[1])<<8 | uint32(data[2])<<16
		if i == 0 {
			return zeroDate, 3, nil
		}
		s := appendPadded(d.scratch[:0], int64(i/(16*32)), 4)
		s = append(s, '-')
		s = appendPadded(s, int64(i/32%16), 2)
		s = append(s, '-')
		s = appendPadded(s, int64(i%32), 2)
		return d.text(s), 3, nil
	case opYear:
		y := int(data[0])
		if y == 0 {
			return b.Int(0), 1, nil
		}
		return b.Int(y + 1900), 1, nil
	case opEnum:
		var idx int64
		n := int(c.meta & 0xFF)
		switch n {
		case 1:
			idx = int64(data[0])
		case 2:
			idx = int64(binary.LittleEndian.Uint16(data))
		default:
			return nil, 0, fmt.Errorf("unknown ENUM packlen=%d", n)
		}
		f := c.fix
		if f == nil || f.kind != fixEnum {
			return b.Int64(idx), n, nil
		}
		switch {
		case idx == 0: // the "" error value of an ENUM
			return emptyString, n, nil
		case int(idx) <= len(f.names):
			return f.names[idx-1], n, nil
		}
		return b.String(strconv.FormatInt(idx, 10)), n, nil
	case opSet:
		n := int(c.meta & 0xFF)
		mask, err := bitValue(data, n*8, n, false)
		if err != nil {
			return nil, 0, err
		}
		f := c.fix
		if f == nil || f.kind != fixSet {
			return b.Int64(mask), n, nil
		}
		return d.setNames(uint64(mask), f.elems), n, nil
	case opBlob:
		var length, n int
		switch c.meta {
		case 1:
			length, n = int(data[0]), 1
		case 2:
			length, n = int(binary.LittleEndian.Uint16(data)), 2
		case 3:
			length, n = int(data[0])|int(data[1])<<8|int(data[2])<<16, 3
		case 4:
			length, n = int(binary.LittleEndian.Uint32(data)), 4
		default:
			return nil, 0, fmt.Errorf("invalid blob packlen = %d", c.meta)
		}
		return b.Bytes(data[n : n+length : n+length]), n + length, nil
	case opString:
		var length, n int
		if c.length < 256 {
			length, n = int(data[0]), 1
		} else {
			length, n = int(binary.LittleEndian.Uint16(data)), 2
		}
		v := data[n : n+length]
		if f := c.fix; f != nil {
			switch f.kind {
			case fixInet4:
				return d.text(appendInet4(d.scratch[:0], aliasString(v))), n + length, nil
			case fixInet6:
				return d.text(appendInet6(d.scratch[:0], aliasString(v))), n + length, nil
			case fixUUID:
				return d.text(appendUUID(d.scratch[:0], aliasString(v))), n + length, nil
			case fixBinaryPad:
				if len(v) < f.n {
					s := append(d.scratch[:0], v...)
					for len(s) < f.n {
						s = append(s, 0)
					}
					return d.text(s), n + length, nil
				}
			}
		}
		return b.String(aliasString(v)), n + length, nil
	}
	return nil, 0, fmt.Errorf("unsupported column type (op %d)", c.op)
}

var (
	zeroDatetime any = "0000-00-00 00:00:00"
	zeroTime     any = "00:00:00"
	zeroDate     any = "0000-00-00"
)

// text boxes rendered text (s is d.scratch, reused by the next value).
func (d *rowDecoder) text(s []byte) any {
	d.scratch = s
	return d.box.Text(s)
}

func (d *rowDecoder) setNames(mask uint64, elems []string) any {
	if mask == 0 {
		return emptyString
	}
	if bits.OnesCount64(mask) == 1 {
		if i := bits.TrailingZeros64(mask); i < len(elems) {
			return d.box.String(elems[i])
		}
		return emptyString
	}
	return d.text(appendSetNames(d.scratch[:0], mask, elems))
}

// timestamp2 decodes TIMESTAMP(n): seconds since the epoch, big-endian,
// and the fraction; rendered in UTC.
func (d *rowDecoder) timestamp2(c *colPlan, data []byte) (any, int, error) {
	dec := int(c.meta)
	n := 4 + (dec+1)/2
	sec := int64(binary.BigEndian.Uint32(data[0:4]))
	usec := int64(0)
	switch dec {
	case 1, 2:
		usec = int64(data[4]) * 10000
	case 3, 4:
		usec = int64(binary.BigEndian.Uint16(data[4:])) * 100
	case 5, 6:
		usec = int64(data[4])<<16 | int64(data[5])<<8 | int64(data[6])
	}
	if sec == 0 {
		return d.text(appendZeroTime(d.scratch[:0], usec, dec)), n, nil
	}
	return d.text(appendTime(d.scratch[:0], time.Unix(sec, usec*1000), min(dec, 6))), n, nil
}

// datetime decodes the old DATETIME: YYYYMMDDhhmmss as an integer.
func (d *rowDecoder) datetime(data []byte) (any, int, error) {
	i64 := binary.LittleEndian.Uint64(data)
	if i64 == 0 {
		return zeroDatetime, 8, nil
	}
	dd, t := i64/1000000, i64%1000000
	years, months, days := int(dd/10000), int(dd%10000)/100, int(dd%100)
	hours, minutes, seconds := int(t/10000), int(t%10000)/100, int(t%100)
	if months == 0 || days == 0 {
		return d.text(appendDatetime(d.scratch[:0], years, months, days, hours, minutes, seconds, 0, 0)), 8, nil
	}
	return d.text(appendCivil(d.scratch[:0], years, months, days, hours, minutes, seconds, 0, 0)), 8, nil
}

// datetimeIntOfs is DATETIMEF_INT_OFS; datetime1970 the packed value of
// 1970-01-01 00:00:00, below which go-mysql keeps its own text.
const (
	datetimeIntOfs = 0x8000000000
	datetime1970   = 107420450816
)

// datetime2 decodes DATETIME(n) (MySQL 5.6.4's packed form).
func (d *rowDecoder) datetime2(c *colPlan, data []byte) (any, int, error) {
	dec := int(c.meta)
	n := 5 + (dec+1)/2
	intPart := int64(data[0])<<32 | int64(data[1])<<24 | int64(data[2])<<16 | int64(data[3])<<8 | int64(data[4])
	intPart -= datetimeIntOfs
	var frac int64
	switch dec {
	case 1, 2:
		frac = int64(data[5]) * 10000
	case 3, 4:
		frac = int64(binary.BigEndian.Uint16(data[5:7])) * 100
	case 5, 6:
		frac = int64(data[5])<<16 | int64(data[6])<<8 | int64(data[7])
	}
	if intPart == 0 {
		return d.text(appendZeroTime(d.scratch[:0], frac, dec)), n, nil
	}
	tmp := intPart<<24 + frac
	if tmp < 0 {
		tmp = -tmp
	}
	ymdhms := tmp >> 24
	ymd, hms := ymdhms>>17, ymdhms%(1<<17)
	ym := ymd >> 5
	day, month, year := int(ymd%(1<<5)), int(ym%13), int(ym/13)
	second, minute, hour := int(hms%(1<<6)), int((hms>>6)%(1<<6)), int(hms>>12)
	if intPart < datetime1970 || month == 0 || day == 0 {
		return d.text(appendDatetime(d.scratch[:0], year, month, day, hour, minute, second, frac, dec)), n, nil
	}
	return d.text(appendCivil(d.scratch[:0], year, month, day, hour, minute, second, frac, min(dec, 6))), n, nil
}

// time2 decodes TIME(n) as go-mysql renders it, with the fraction's zeros
// it drops put back (fixTimeFrac).
func (d *rowDecoder) time2(c *colPlan, data []byte) (any, int, error) {
	dec := int(c.meta)
	n := 3 + (dec+1)/2
	var tmp, intPart, frac int64
	be3 := func(b []byte) int64 { return int64(b[0])<<16 | int64(b[1])<<8 | int64(b[2]) }
	switch dec {
	case 1, 2:
		intPart = be3(data) - 0x800000
		frac = int64(data[3])
		if intPart < 0 && frac != 0 {
			intPart++
			frac -= 0x100
		}
		tmp = intPart<<24 + frac*10000
	case 3, 4:
		intPart = be3(data) - 0x800000
		frac = int64(binary.BigEndian.Uint16(data[3:5]))
		if intPart < 0 && frac != 0 {
			intPart++
			frac -= 0x10000
		}
		tmp = intPart<<24 + frac*100
	case 5, 6:
		tmp = (be3(data)<<24 | be3(data[3:])) - 0x800000000000
	default:
		intPart = be3(data) - 0x800000
		tmp = intPart << 24
	}
	s := d.scratch[:0]
	if tmp < 0 {
		tmp = -tmp
		s = append(s, '-')
	}
	hms := tmp >> 24
	s = appendPadded(s, (hms>>12)%(1<<10), 2)
	s = append(s, ':')
	s = appendPadded(s, (hms>>6)%(1<<6), 2)
	s = append(s, ':')
	s = appendPadded(s, hms%(1<<6), 2)
	if secPart := tmp % (1 << 24); secPart != 0 {
		s = append(s, '.')
		s = appendPadded(s, secPart, 6)
		s = s[:len(s)-(6-dec)]
	} else if f := c.fix; f != nil && f.kind == fixTimeFrac {
		s = append(s, '.')
		s = append(s, zeros[:f.n]...)
	}
	return d.text(s), n, nil
}

// appendCivil renders a valid date and time as temporalText renders the
// time.Time go-mysql makes of it; a date time.Date would normalise (a
// 30 February under ALLOW_INVALID_DATES) goes through time.Date as before.
func appendCivil(dst []byte, year, month, day, hour, minute, second int, usec int64, dec int) []byte {
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || second > 59 || usec >= 1000000 {
		return appendTime(dst, time.Date(year, time.Month(month), day, hour, minute, second, int(usec*1000), time.UTC), dec)
	}
	return appendTemporal(dst, year, month, day, hour, minute, second, int(usec), dec)
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendZeroTime is go-mysql's formatZeroTime.
func appendZeroTime(dst []byte, frac int64, dec int) []byte {
	dst = append(dst, "0000-00-00 00:00:00"...)
	if dec == 0 {
		return dst
	}
	dst = append(dst, '.')
	dst = appendPadded(dst, frac, 6)
	return dst[:len(dst)-(6-dec)]
}

// appendDatetime is go-mysql's formatDatetime (fmt's %04d and %02d).
func appendDatetime(dst []byte, year, month, day, hour, minute, second int, frac int64, dec int) []byte {
	dst = appendPadded(dst, int64(year), 4)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(month), 2)
	dst = append(dst, '-')
	dst = appendPadded(dst, int64(day), 2)
	dst = append(dst, ' ')
	dst = appendPadded(dst, int64(hour), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(minute), 2)
	dst = append(dst, ':')
	dst = appendPadded(dst, int64(second), 2)
	if dec == 0 {
		return dst
	}
	dst = append(dst, '.')
	dst = appendPadded(dst, frac, 6)
	return dst[:len(dst)-(6-dec)]
}

// appendPadded appends v (≥ 0) in decimal with at least width digits, as
// fmt's %0*d does.
func appendPadded(dst []byte, v int64, width int) []byte {
	var b [20]byte
	i := len(b)
	for v >= 10 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	b[i] = byte('0' + v)
	for len(b)-i < width {
		i--
		b[i] = '0'
	}
	return append(dst, b[i:]...)
}

// bitValue reads a BIT (big-endian) or SET (little-endian) value of n bytes
// as go-mysql's decodeBit and littleDecodeBit do.
func bitValue(data []byte, nbits, n int, bigEndian bool) (int64, error) {
	if nbits <= 1 {
		if n != 1 {
			return 0, fmt.Errorf("invalid bit length %d", n)
		}
		return int64(data[0]), nil
	}
	if n < 1 || n > 8 {
		return 0, fmt.Errorf("invalid bit length %d", n)
	}
	var v uint64
	for i := range n {
		if bigEndian {
			v = v<<8 | uint64(data[i])
		} else {
			v |= uint64(data[i]) << (8 * uint(i))
		}
	}
	return int64(v), nil
}

// appendDecimal renders a NEWDECIMAL value in plain notation exactly as
// go-mysql's decodeDecimal (without UseDecimal) does; it returns the text
// and the value's length in bytes.
func appendDecimal(dst, data []byte, precision, decimals int) ([]byte, int, error) {
	const digitsPerInteger = 9
	compressed := [...]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}
	integral := precision - decimals
	uncompIntegral, uncompFractional := integral/digitsPerInteger, decimals/digitsPerInteger
	compIntegral := integral - uncompIntegral*digitsPerInteger
	compFractional := decimals - uncompFractional*digitsPerInteger
	if integral < 0 || decimals < 0 {
		return dst, 0, fmt.Errorf("invalid DECIMAL(%d,%d)", precision, decimals)
	}
	binSize := uncompIntegral*4 + compressed[compIntegral] + uncompFractional*4 + compressed[compFractional]
	var buf [64]byte
	if binSize > len(buf) || binSize > len(data) {
		return dst, 0, fmt.Errorf("DECIMAL(%d,%d) value of %d bytes, %d left in the row", precision, decimals, binSize, len(data))
	}
	b := buf[:binSize]
	copy(b, data)
	var mask uint32
	if b[0]&0x80 == 0 {
		mask = math.MaxUint32
		dst = append(dst, '-')
	}
	b[0] ^= 0x80
	part := func(size int, at int) uint32 {
		var v uint32
		for i := range size {
			v = v<<8 | uint32(b[at+i]^uint8(mask))
		}
		return v
	}
	zeroLeading := true
	pos := compressed[compIntegral]
	if v := part(pos, 0); v != 0 {
		zeroLeading = false
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	for range uncompIntegral {
		v := binary.BigEndian.Uint32(b[pos:]) ^ mask
		pos += 4
		if zeroLeading {
			if v != 0 {
				zeroLeading = false
				dst = strconv.AppendUint(dst, uint64(v), 10)
			}
		} else {
			dst = appendPadded(dst, int64(v), digitsPerInteger)
		}
	}
	if zeroLeading {
		dst = append(dst, '0')
	}
	if pos < len(b) {
		dst = append(dst, '.')
		for range uncompFractional {
			v := binary.BigEndian.Uint32(b[pos:]) ^ mask
			pos += 4
			dst = appendPadded(dst, int64(v), digitsPerInteger)
		}
		if size := compressed[compFractional]; size > 0 {
			dst = appendPadded(dst, int64(part(size, pos)), compFractional)
			pos += size
		}
	}
	return dst, pos, nil
}

// decompressRows inflates the row images of a MariaDB compressed rows event.
func decompressRows(data []byte) ([]byte, error) { return mysql.DecompressMariadbData(data) }

// aliasString is the string of b without a copy: b is an event's buffer,
// which is never written after it is read (doc.go, value lifetime).
func aliasString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
