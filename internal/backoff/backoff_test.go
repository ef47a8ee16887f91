package backoff

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

func TestRun_Next_BacksOffExponentially(t *testing.T) {
	r := Run{First: 200 * time.Millisecond, Max: 10 * time.Second}
	now := time.Unix(1000, 0)
	var got []time.Duration
	for i := 0; i < 4; i++ {
		d, err := r.Next(errors.New("connection refused"), time.Hour, now)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		got = append(got, d)
	}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays = %v, want %v", got, want)
		}
	}
	for i := 0; i < 40; i++ {
		_, _ = r.Next(errors.New("x"), time.Hour, now)
	}
	if r.Delay() != 10*time.Second {
		t.Fatalf("delay not capped: %v", r.Delay())
	}
}

func TestRun_Next_WindowExceededIsTerminal(t *testing.T) {
	r := Run{First: time.Millisecond, Max: time.Second}
	start := time.Unix(1000, 0)
	if _, err := r.Next(errors.New("kafka down"), time.Minute, start); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next(errors.New("kafka down"), time.Minute, start.Add(61*time.Second))
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "retry window of 1m0s") {
		t.Fatalf("err = %v, want a terminal window-exceeded error", err)
	}
}

func TestRun_Reset_StartsANewWindow(t *testing.T) {
	r := Run{First: time.Millisecond, Max: time.Second}
	start := time.Unix(1000, 0)
	_, _ = r.Next(errors.New("down"), time.Minute, start)
	_, _ = r.Next(errors.New("down"), time.Minute, start.Add(time.Second))
	r.Reset()
	d, err := r.Next(errors.New("down"), time.Minute, start.Add(2*time.Minute))
	if err != nil || d != time.Millisecond {
		t.Fatalf("after reset: delay %v, err %v; want the first delay and no error", d, err)
	}
}

func TestRun_Next_TerminalEndsAtOnce(t *testing.T) {
	var r Run
	if _, err := r.Next(errkind.Terminal(errors.New("binlog purged")), time.Hour, time.Now()); err == nil {
		t.Fatal("terminal error retried")
	}
}

func TestRun_Next_AStableTryEndsTheRun(t *testing.T) {
	r := Run{First: time.Millisecond, Max: time.Second, Stable: 30 * time.Second}
	start := time.Unix(1000, 0)
	r.Started(start)
	_, _ = r.Next(errors.New("down"), time.Minute, start.Add(time.Second))
	r.Started(start.Add(2 * time.Second))
	_, _ = r.Next(errors.New("down"), time.Minute, start.Add(3*time.Second))
	if r.Count() != 2 {
		t.Fatalf("count = %d after two quick failures, want 2", r.Count())
	}
	r.Started(start.Add(4 * time.Second))
	d, err := r.Next(errors.New("down"), time.Minute, start.Add(2*time.Minute))
	if err != nil || r.Count() != 1 || d != time.Millisecond {
		t.Fatalf("after a try of 2 minutes: count %d, delay %v, err %v; want a new run", r.Count(), d, err)
	}
}
