package store

import (
	"time"

	"github.com/sluicecdc/sluice/change"
)

// Skip is an operator's decision that the schema history pass over one DDL
// statement it cannot parse or apply (recorded by `sluice skip`). The
// binlog reader honours it only for that statement at that position.
type Skip struct {
	// Pos is the statement's position as the reader's stop message names
	// it (the end of its binlog event).
	Pos change.Position
	// Digest identifies the statement's text (schema.Digest).
	Digest string
	// Statement is the statement's text as far as the operator gave it;
	// empty when only the digest is known.
	Statement string
	// Reason is why the operator decided to skip it (required).
	Reason string
	// Who decided ($USER of the command; may be empty).
	Who string
	// At is when the decision was recorded.
	At time.Time
}

// SourceSkip is a skip decision of one source.
type SourceSkip struct {
	Source string
	Skip
}

// PutSkip records a skip decision (a later one at the same position wins).
func (u *Update) PutSkip(source string, s Skip) {
	u.Skips = append(u.Skips, SourceSkip{Source: source, Skip: s})
}
