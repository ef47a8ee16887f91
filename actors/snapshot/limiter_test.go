package snapshot

import (
	"context"
	"testing"
	"time"
)

// fakeClock is a manual clock whose sleeps advance it.
type fakeClock struct {
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	c.slept += d
	return nil
}

func TestLimiter_Wait_HoldsRates(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rows, bytes       int
		perCallRows, perB int
		calls             int
		want              time.Duration
	}{
		// 1000 rows/s with one second of burst: 10 000 rows take 9 s.
		{"rows", 1000, 0, 100, 1, 100, 9 * time.Second},
		// 1 MiB/s: 100 batches of 50 KiB (5000 KiB) less the 1024 KiB burst
		// take 3976/1024 s.
		{"bytes", 0, 1 << 20, 50, 50 << 10, 100, 3976 * time.Second / 1024},
		// the tighter of the two wins
		{"both", 100, 1 << 30, 10, 10, 100, 9 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLimiter(tc.rows, tc.bytes)
			clk := &fakeClock{now: time.Unix(1000, 0)}
			l.now, l.sleep = func() time.Time { return clk.now }, clk.sleep
			l.rows.last, l.bytes.last = clk.now, clk.now
			for i := 0; i < tc.calls; i++ {
				if err := l.Wait(context.Background(), tc.perCallRows, tc.perB); err != nil {
					t.Fatal(err)
				}
			}
			if d := clk.slept - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("slept %v, want %v", clk.slept, tc.want)
			}
		})
	}
}

func TestLimiter_Unlimited(t *testing.T) {
	var l *Limiter = NewLimiter(0, 0)
	if l != nil {
		t.Fatal("NewLimiter(0, 0) is not nil")
	}
	if err := l.Wait(context.Background(), 1e9, 1e9); err != nil {
		t.Fatal(err)
	}
}

func TestLimiter_Wait_Cancelled(t *testing.T) {
	l := NewLimiter(1, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, 100, 0); err != context.Canceled {
		t.Fatalf("Wait = %v, want context.Canceled", err)
	}
}
