package errkind

import "errors"

// terminalError marks its wrapped error as terminal.
type terminalError struct{ err error }

func (e *terminalError) Error() string { return e.err.Error() }
func (e *terminalError) Unwrap() error { return e.err }

// Terminal marks err as terminal: retrying cannot fix it and the task should
// stop with err's message. Terminal(nil) is nil; marking twice is harmless.
func Terminal(err error) error {
	if err == nil || IsTerminal(err) {
		return err
	}
	return &terminalError{err: err}
}

// IsTerminal reports whether err, or any error it wraps, was marked by
// Terminal.
func IsTerminal(err error) bool {
	var t *terminalError
	return errors.As(err, &t)
}
