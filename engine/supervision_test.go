package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

func TestDecide_RetryableBacksOffExponentially(t *testing.T) {
	var f failures
	now := time.Unix(1000, 0)
	var delays []time.Duration
	for i := 0; i < 4; i++ {
		d, err := decide(&f, errors.New("connection refused"), time.Hour, now)
		if err != nil {
			t.Fatalf("attempt %d: unexpected task failure %v", i, err)
		}
		delays = append(delays, d)
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays = %v, want %v", delays, want)
		}
	}
	if restartDelay(40) != maxRestartDelay {
		t.Fatalf("delay not capped: %v", restartDelay(40))
	}
}

func TestDecide_WindowExceededFailsTask(t *testing.T) {
	var f failures
	start := time.Unix(1000, 0)
	if _, err := decide(&f, errors.New("kafka down"), time.Minute, start); err != nil {
		t.Fatal(err)
	}
	_, err := decide(&f, errors.New("kafka down"), time.Minute, start.Add(61*time.Second))
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "retry window of 1m0s") {
		t.Fatalf("err = %v, want terminal window-exceeded error", err)
	}
}

func TestDecide_TerminalAndNonErrorPanicsFailAtOnce(t *testing.T) {
	var f failures
	if _, err := decide(&f, errkind.Terminal(errors.New("binlog purged")), time.Hour, time.Now()); err == nil {
		t.Fatal("terminal error restarted")
	}
	if _, err := decide(&f, "index out of range", time.Hour, time.Now()); err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("non-error panic: %v", err)
	}
}
