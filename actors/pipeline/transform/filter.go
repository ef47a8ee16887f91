package transform

import (
	"math"
	"strconv"
	"strings"
	"unsafe"

	"github.com/sluicecdc/sluice/topology"
)

// cond is a compiled row filter: column names resolved to row indexes and
// literals pre-parsed, so evaluation does no lookups and no allocation.
type cond struct {
	op          topology.ExprOp
	left, right *cond
	col         int // index into the source row
	lits        []lit
}

// lit is a literal with its numeric forms.
type lit struct {
	text    string
	isNum   bool // written as a number
	numeric bool // text parses as a number (always true when isNum)
	d       dec
	f       float64
	// i and u are the literal as an integer, when it is one that fits:
	// the fast path for integer columns.
	i        int64
	u        uint64
	isI, isU bool
}

func compileLit(l topology.Literal) lit {
	out := lit{text: l.Text, isNum: l.IsNumber}
	if d, ok := parseDec(l.Text); ok {
		out.numeric, out.d = true, d
		out.f, _ = strconv.ParseFloat(l.Text, 64)
		var err error
		out.i, err = strconv.ParseInt(l.Text, 10, 64)
		out.isI = err == nil
		out.u, err = strconv.ParseUint(strings.TrimPrefix(l.Text, "+"), 10, 64)
		out.isU = err == nil
	}
	return out
}

// eval reports whether row satisfies c. SQL semantics without NOT: a
// comparison with NULL is false (unknown), IS NULL is true; AND and OR
// combine as in a WHERE clause.
func (c *cond) eval(row []any) bool {
	switch c.op {
	case topology.OpAnd:
		return c.left.eval(row) && c.right.eval(row)
	case topology.OpOr:
		return c.left.eval(row) || c.right.eval(row)
	}
	var v any
	if c.col < len(row) {
		v = row[c.col]
	}
	switch c.op {
	case topology.OpIsNull:
		return v == nil
	case topology.OpIsNotNull:
		return v != nil
	}
	if v == nil {
		return false
	}
	if c.op == topology.OpIn {
		for i := range c.lits {
			if r, ok := compare(v, &c.lits[i]); ok && r == 0 {
				return true
			}
		}
		return false
	}
	r, ok := compare(v, &c.lits[0])
	if !ok {
		return false
	}
	switch c.op {
	case topology.OpEq:
		return r == 0
	case topology.OpNe:
		return r != 0
	case topology.OpLt:
		return r < 0
	case topology.OpLe:
		return r <= 0
	case topology.OpGt:
		return r > 0
	case topology.OpGe:
		return r >= 0
	}
	return false
}

// compare compares a non-NULL value with a literal: -1, 0, +1; ok is false
// when they cannot be compared (a NaN).
//
// Numbers compare numerically, exactly (no float rounding for integers and
// DECIMAL text), when the value is numeric and the literal is a number or
// numeric text, or when the literal is a number and the value is text that
// parses as a number (DECIMAL values are text). Everything else compares
// byte-wise: the value's text (integers in decimal) with the literal's text.
func compare(v any, l *lit) (int, bool) {
	var buf [24]byte
	switch x := v.(type) {
	case string:
		return compareText(x, l), true
	case []byte:
		return compareText(unsafe.String(unsafe.SliceData(x), len(x)), l), true
	case float64:
		return compareFloat(x, l)
	case float32:
		return compareFloat(float64(x), l)
	case uint64:
		if l.isU {
			return cmpOrdered(x, l.u), true
		}
		return compareInt(strconv.AppendUint(buf[:0], x, 10), l), true
	case uint32:
		return compareInt(strconv.AppendUint(buf[:0], uint64(x), 10), l), true
	case uint16:
		return compareInt(strconv.AppendUint(buf[:0], uint64(x), 10), l), true
	case uint8:
		return compareInt(strconv.AppendUint(buf[:0], uint64(x), 10), l), true
	case int64:
		if l.isI {
			return cmpOrdered(x, l.i), true
		}
		return compareInt(strconv.AppendInt(buf[:0], x, 10), l), true
	case int32:
		if l.isI {
			return cmpOrdered(int64(x), l.i), true
		}
		return compareInt(strconv.AppendInt(buf[:0], int64(x), 10), l), true
	case int16:
		return compareInt(strconv.AppendInt(buf[:0], int64(x), 10), l), true
	case int8:
		return compareInt(strconv.AppendInt(buf[:0], int64(x), 10), l), true
	case int:
		return compareInt(strconv.AppendInt(buf[:0], int64(x), 10), l), true
	}
	return 0, false
}

// compareInt compares an integer rendered in decimal.
func compareInt(b []byte, l *lit) int {
	s := unsafe.String(unsafe.SliceData(b), len(b))
	if l.numeric {
		d, _ := parseDec(s)
		return cmpDec(&d, &l.d)
	}
	return cmpStr(s, l.text)
}

func compareFloat(f float64, l *lit) (int, bool) {
	if math.IsNaN(f) {
		return 0, false
	}
	if l.numeric {
		switch {
		case f < l.f:
			return -1, true
		case f > l.f:
			return 1, true
		}
		return 0, true
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	return cmpStr(unsafe.String(unsafe.SliceData(b), len(b)), l.text), true
}

func compareText(s string, l *lit) int {
	if l.isNum {
		if d, ok := parseDec(s); ok {
			return cmpDec(&d, &l.d)
		}
	}
	return cmpStr(s, l.text)
}

// cmpStr compares byte-wise. (strings.Compare would make its arguments
// escape, moving the stack buffers of compare to the heap.)
func cmpStr(a, b string) int {
	switch {
	case a == b:
		return 0
	case a < b:
		return -1
	}
	return 1
}

func cmpOrdered[T int64 | uint64](a, b T) int {
	switch {
	case a == b:
		return 0
	case a < b:
		return -1
	}
	return 1
}
