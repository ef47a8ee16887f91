package topology

// Expr is a parsed row filter: a WHERE-like condition over one row.
//
// Grammar: or := and ("OR" and)*; and := unary ("AND" unary)*;
// unary := "(" or ")" | column op literal | column "IN" "(" literal, ... ")"
// | column "IS" ["NOT"] "NULL". Keywords are case-insensitive; literals are
// numbers or single-quoted strings.
type Expr struct {
	Op ExprOp
	// Left and Right are the operands of AND and OR.
	Left, Right *Expr
	// Column is the compared column (source name, before renames).
	Column string
	// Values is the literal of a comparison, or the list of IN.
	Values []Literal
}

// ExprOp is an operator of a filter expression.
type ExprOp string

const (
	OpAnd       ExprOp = "AND"
	OpOr        ExprOp = "OR"
	OpEq        ExprOp = "="
	OpNe        ExprOp = "!="
	OpLt        ExprOp = "<"
	OpGt        ExprOp = ">"
	OpLe        ExprOp = "<="
	OpGe        ExprOp = ">="
	OpIn        ExprOp = "IN"
	OpIsNull    ExprOp = "IS NULL"
	OpIsNotNull ExprOp = "IS NOT NULL"
)

// Literal is a constant in a filter.
type Literal struct {
	// IsNumber says Text is a decimal number (compared numerically);
	// otherwise Text is a string (compared byte-wise).
	IsNumber bool
	Text     string
}
