package errkind

import (
	"context"
	"errors"
	"net"
)

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

// IsTimeout reports whether err is a deadline that passed or a network
// operation that timed out, the errors whose fix is "is it reachable?".
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
