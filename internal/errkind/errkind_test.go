package errkind

import (
	"errors"
	"fmt"
	"testing"
)

func TestTerminal_SurvivesWrapping(t *testing.T) {
	base := errors.New("binlog purged")
	err := fmt.Errorf("source orders: %w", Terminal(base))
	if !IsTerminal(err) {
		t.Fatal("wrapped terminal error not recognised")
	}
	if !errors.Is(err, base) {
		t.Fatal("terminal error does not unwrap to its cause")
	}
	if err.Error() != "source orders: binlog purged" {
		t.Fatalf("message changed: %q", err.Error())
	}
}

func TestTerminal_PlainErrorIsRetryable(t *testing.T) {
	if IsTerminal(errors.New("connection reset")) || IsTerminal(nil) {
		t.Fatal("plain error or nil reported terminal")
	}
	if Terminal(nil) != nil {
		t.Fatal("Terminal(nil) must be nil")
	}
}
