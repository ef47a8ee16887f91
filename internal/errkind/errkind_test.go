package errkind

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
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

func TestIsTimeout_DeadlinesAndNetworkTimeoutsOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	_, readErr := conn.Read(make([]byte, 1))
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), true},
		{"read past its deadline", readErr, true},
		{"canceled", context.Canceled, false},
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false},
		{"nil", nil, false},
	} {
		if got := IsTimeout(tc.err); got != tc.want {
			t.Errorf("%s (%v): IsTimeout = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
