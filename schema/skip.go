package schema

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/sluicecdc/sluice/store"
)

// Digest identifies a DDL statement's text in a skip decision (store.Skip):
// the first 16 hex digits of its SHA-256. The text is the statement as its
// binlog event holds it, without the "use `db`; " that SHOW BINLOG EVENTS
// shows before it.
func Digest(sql string) string {
	sum := sha256.Sum256([]byte(sql))
	return hex.EncodeToString(sum[:8])
}

// Skips returns the skip decisions recorded for the history's source, in
// binlog order.
func (h *History) Skips() ([]store.Skip, error) { return h.cfg.Store.Skips(h.Source()) }
