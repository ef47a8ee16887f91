package errkind

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestTerminal_SurvivesWrapping(t *testing.T) {
	base := Terminal(io.ErrUnexpectedEOF)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", io.EOF, false},
		{"marked", base, true},
		{"wrapped", fmt.Errorf("reading binlog at f:4: %w", base), true},
		{"joined", errors.Join(io.EOF, base), true},
		{"wrapped with %v", fmt.Errorf("x: %v", base), false},
	} {
		if got := IsTerminal(tc.err); got != tc.want {
			t.Errorf("%s: IsTerminal = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !errors.Is(base, io.ErrUnexpectedEOF) {
		t.Error("Terminal hides the wrapped error from errors.Is")
	}
	if base.Error() != io.ErrUnexpectedEOF.Error() {
		t.Errorf("message changed: %q", base.Error())
	}
	if Terminal(nil) != nil {
		t.Error("Terminal(nil) != nil")
	}
	if Terminal(base) != base {
		t.Error("marking twice wraps twice")
	}
}
