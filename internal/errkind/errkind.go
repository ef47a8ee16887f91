// Package errkind marks errors as terminal. Every error in Sluice is
// retryable unless it is marked terminal: the supervisor restarts a failed
// stage with backoff for the source's retry window, but stops the task at once
// on a terminal error (a purged binlog, a missing privilege, a record that can
// never be written). It is a leaf package.
package errkind

import "errors"

type terminal struct{ err error }

func (t *terminal) Error() string { return t.err.Error() }
func (t *terminal) Unwrap() error { return t.err }

// Terminal marks err as terminal: retrying cannot help. Nil stays nil.
func Terminal(err error) error {
	if err == nil || IsTerminal(err) {
		return err
	}
	return &terminal{err: err}
}

// IsTerminal reports whether err, or any error it wraps, is marked terminal.
func IsTerminal(err error) bool {
	var t *terminal
	return errors.As(err, &t)
}
