package topology

import (
	"fmt"
	"strings"
)

// FilterError is a syntax error in a row filter. Offset is the 0-based byte
// offset of the offending token in the filter text.
type FilterError struct {
	Offset int
	Msg    string
}

func (e *FilterError) Error() string {
	return fmt.Sprintf("at column %d of the filter: %s", e.Offset+1, e.Msg)
}

// maxFilterDepth bounds parenthesis nesting so that a hostile filter cannot
// exhaust the stack.
const maxFilterDepth = 64

// ParseFilter parses a row filter (see Expr for the grammar). An empty or
// blank filter is an error: leave the field out to keep every row.
func ParseFilter(text string) (*Expr, error) {
	p := &filterParser{lx: lexer{src: text}}
	p.next()
	if p.tok.kind == tEOF && p.lx.err == nil {
		return nil, &FilterError{Offset: 0, Msg: "the filter is empty"}
	}
	e, err := p.or(0)
	if p.lx.err != nil {
		return nil, p.lx.err
	}
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf("unexpected %s after a complete condition; join conditions with AND or OR", p.tok.describe())
	}
	return e, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tKeyword // AND OR IN IS NOT NULL, upper-cased in text
	tString
	tNumber
	tOp // = != <> < > <= >=
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // identifier, keyword (upper case), literal value, operator
	off  int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return fmt.Sprintf("string '%s'", t.text)
	case tNumber:
		return fmt.Sprintf("number %s", t.text)
	case tIdent:
		return fmt.Sprintf("column %s", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

var filterKeywords = map[string]bool{"AND": true, "OR": true, "IN": true, "IS": true, "NOT": true, "NULL": true}

type lexer struct {
	src string
	pos int
	err *FilterError
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c == '$' || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (lx *lexer) next() token {
	s := lx.src
	for lx.pos < len(s) && (s[lx.pos] == ' ' || s[lx.pos] == '\t' || s[lx.pos] == '\n' || s[lx.pos] == '\r') {
		lx.pos++
	}
	start := lx.pos
	if lx.pos >= len(s) {
		return token{kind: tEOF, off: start}
	}
	c := s[lx.pos]
	switch {
	case c == '(':
		lx.pos++
		return token{kind: tLParen, text: "(", off: start}
	case c == ')':
		lx.pos++
		return token{kind: tRParen, text: ")", off: start}
	case c == ',':
		lx.pos++
		return token{kind: tComma, text: ",", off: start}
	case c == '=':
		lx.pos++
		return token{kind: tOp, text: "=", off: start}
	case c == '!':
		if strings.HasPrefix(s[lx.pos:], "!=") {
			lx.pos += 2
			return token{kind: tOp, text: "!=", off: start}
		}
	case c == '<':
		for _, op := range []string{"<=", "<>", "<"} {
			if strings.HasPrefix(s[lx.pos:], op) {
				lx.pos += len(op)
				if op == "<>" {
					op = "!="
				}
				return token{kind: tOp, text: op, off: start}
			}
		}
	case c == '>':
		if strings.HasPrefix(s[lx.pos:], ">=") {
			lx.pos += 2
			return token{kind: tOp, text: ">=", off: start}
		}
		lx.pos++
		return token{kind: tOp, text: ">", off: start}
	case c == '\'':
		var b strings.Builder
		i := lx.pos + 1
		for {
			if i >= len(s) {
				lx.err = &FilterError{Offset: start, Msg: "string not closed; end it with '"}
				return token{kind: tEOF, off: start}
			}
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i += 2
					continue
				}
				lx.pos = i + 1
				return token{kind: tString, text: b.String(), off: start}
			}
			b.WriteByte(s[i])
			i++
		}
	case c == '"':
		lx.err = &FilterError{Offset: start, Msg: `strings take single quotes ('text'), not double quotes`}
		return token{kind: tEOF, off: start}
	case c == '`':
		var b strings.Builder
		i := lx.pos + 1
		for {
			if i >= len(s) {
				lx.err = &FilterError{Offset: start, Msg: "quoted column not closed; end it with `"}
				return token{kind: tEOF, off: start}
			}
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i += 2
					continue
				}
				lx.pos = i + 1
				if b.Len() == 0 {
					lx.err = &FilterError{Offset: start, Msg: "empty column name"}
					return token{kind: tEOF, off: start}
				}
				return token{kind: tIdent, text: b.String(), off: start}
			}
			b.WriteByte(s[i])
			i++
		}
	case isDigit(c) || (c == '-' || c == '+' || c == '.') && lx.pos+1 < len(s) && (isDigit(s[lx.pos+1]) || s[lx.pos+1] == '.'):
		return lx.number(start)
	case isIdentStart(c):
		i := lx.pos
		for i < len(s) && isIdentChar(s[i]) {
			i++
		}
		word := s[lx.pos:i]
		lx.pos = i
		if up := strings.ToUpper(word); filterKeywords[up] {
			return token{kind: tKeyword, text: up, off: start}
		}
		return token{kind: tIdent, text: word, off: start}
	}
	lx.err = &FilterError{Offset: start, Msg: fmt.Sprintf("unexpected character %q", rune(c))}
	return token{kind: tEOF, off: start}
}

// number scans -?digits[.digits][e[+-]digits].
func (lx *lexer) number(start int) token {
	s := lx.src
	i := lx.pos
	if s[i] == '-' || s[i] == '+' {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		lx.err = &FilterError{Offset: start, Msg: "malformed number"}
		return token{kind: tEOF, off: start}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || !isDigit(s[j]) {
			lx.err = &FilterError{Offset: start, Msg: "malformed number: exponent has no digits"}
			return token{kind: tEOF, off: start}
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		i = j
	}
	if i < len(s) && isIdentChar(s[i]) {
		lx.err = &FilterError{Offset: start, Msg: fmt.Sprintf("malformed number %q", s[start:i+1])}
		return token{kind: tEOF, off: start}
	}
	lx.pos = i
	return token{kind: tNumber, text: s[start:i], off: start}
}

type filterParser struct {
	lx  lexer
	tok token
}

func (p *filterParser) next() { p.tok = p.lx.next() }

func (p *filterParser) errf(format string, args ...any) error {
	if p.lx.err != nil {
		return p.lx.err
	}
	return &FilterError{Offset: p.tok.off, Msg: fmt.Sprintf(format, args...)}
}

func (p *filterParser) keyword(k string) bool { return p.tok.kind == tKeyword && p.tok.text == k }

func (p *filterParser) or(depth int) (*Expr, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("OR") {
		p.next()
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: OpOr, Left: left, Right: right}
	}
	return left, nil
}

func (p *filterParser) and(depth int) (*Expr, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("AND") {
		p.next()
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &Expr{Op: OpAnd, Left: left, Right: right}
	}
	return left, nil
}

func (p *filterParser) unary(depth int) (*Expr, error) {
	switch p.tok.kind {
	case tLParen:
		if depth >= maxFilterDepth {
			return nil, p.errf("parentheses nested deeper than %d", maxFilterDepth)
		}
		open := p.tok.off
		p.next()
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			if p.tok.kind == tEOF && p.lx.err == nil {
				return nil, &FilterError{Offset: open, Msg: "parenthesis not closed; add )"}
			}
			return nil, p.errf("expected ) but found %s", p.tok.describe())
		}
		p.next()
		return e, nil
	case tIdent:
	default:
		return nil, p.errf("expected a column name but found %s", p.tok.describe())
	}
	col := p.tok.text
	p.next()
	switch {
	case p.tok.kind == tOp:
		op := ExprOp(p.tok.text)
		p.next()
		if p.keyword("NULL") {
			return nil, p.errf("NULL never compares equal; write %s IS NULL or IS NOT NULL", quoteColumn(col))
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		return &Expr{Op: op, Column: col, Values: []Literal{v}}, nil
	case p.keyword("IN"):
		p.next()
		if p.tok.kind != tLParen {
			return nil, p.errf("expected ( after IN but found %s", p.tok.describe())
		}
		p.next()
		var vals []Literal
		for {
			v, err := p.literal()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			if p.tok.kind == tComma {
				p.next()
				continue
			}
			if p.tok.kind == tRParen {
				p.next()
				return &Expr{Op: OpIn, Column: col, Values: vals}, nil
			}
			return nil, p.errf("expected , or ) in the IN list but found %s", p.tok.describe())
		}
	case p.keyword("IS"):
		p.next()
		op := OpIsNull
		if p.keyword("NOT") {
			op = OpIsNotNull
			p.next()
		}
		if !p.keyword("NULL") {
			return nil, p.errf("expected NULL after IS%s but found %s", map[bool]string{true: " NOT"}[op == OpIsNotNull], p.tok.describe())
		}
		p.next()
		return &Expr{Op: op, Column: col}, nil
	}
	return nil, p.errf("expected an operator (=, !=, <>, <, >, <=, >=, IN, IS NULL) after column %s but found %s", col, p.tok.describe())
}

func (p *filterParser) literal() (Literal, error) {
	switch p.tok.kind {
	case tNumber:
		l := Literal{IsNumber: true, Text: p.tok.text}
		p.next()
		return l, nil
	case tString:
		l := Literal{Text: p.tok.text}
		p.next()
		return l, nil
	case tIdent:
		return Literal{}, p.errf("expected a number or a 'quoted string' but found column %s; filters compare columns with constants only", p.tok.text)
	}
	return Literal{}, p.errf("expected a number or a 'quoted string' but found %s", p.tok.describe())
}

// String renders the expression in the filter syntax, so that ParseFilter
// of the result yields an equal expression. <> renders as !=.
func (e *Expr) String() string {
	var b strings.Builder
	e.write(&b)
	return b.String()
}

// MarshalText renders the expression as String does.
func (e *Expr) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

func (e *Expr) write(b *strings.Builder) {
	switch e.Op {
	case OpAnd, OpOr:
		e.Left.writeChild(b, e.Op, false)
		b.WriteString(" " + string(e.Op) + " ")
		e.Right.writeChild(b, e.Op, true)
	case OpIn:
		b.WriteString(quoteColumn(e.Column))
		b.WriteString(" IN (")
		for i, v := range e.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			v.write(b)
		}
		b.WriteByte(')')
	case OpIsNull, OpIsNotNull:
		b.WriteString(quoteColumn(e.Column))
		b.WriteString(" " + string(e.Op))
	default:
		b.WriteString(quoteColumn(e.Column))
		b.WriteString(" " + string(e.Op) + " ")
		if len(e.Values) > 0 {
			e.Values[0].write(b)
		}
	}
}

// writeChild parenthesises a child that would otherwise re-parse
// differently: OR under AND, and a right operand of the same operator.
func (e *Expr) writeChild(b *strings.Builder, parent ExprOp, right bool) {
	paren := (parent == OpAnd && e.Op == OpOr) || (right && e.Op == parent)
	if paren {
		b.WriteByte('(')
	}
	e.write(b)
	if paren {
		b.WriteByte(')')
	}
}

func (l Literal) write(b *strings.Builder) {
	if l.IsNumber {
		b.WriteString(l.Text)
		return
	}
	b.WriteByte('\'')
	b.WriteString(strings.ReplaceAll(l.Text, "'", "''"))
	b.WriteByte('\'')
}

// Columns returns the columns the expression reads, each once, in order of
// first appearance.
func (e *Expr) Columns() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(*Expr)
	walk = func(x *Expr) {
		if x == nil {
			return
		}
		if x.Op == OpAnd || x.Op == OpOr {
			walk(x.Left)
			walk(x.Right)
			return
		}
		if !seen[x.Column] {
			seen[x.Column] = true
			out = append(out, x.Column)
		}
	}
	walk(e)
	return out
}

func quoteColumn(c string) string {
	plain := c != "" && isIdentStart(c[0]) && !filterKeywords[strings.ToUpper(c)]
	for i := 0; plain && i < len(c); i++ {
		plain = isIdentChar(c[i])
	}
	if plain {
		return c
	}
	return "`" + strings.ReplaceAll(c, "`", "``") + "`"
}
