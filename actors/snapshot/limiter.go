package snapshot

import (
	"context"
	"sync"
	"time"
)

// Limiter caps the snapshot's read rate in rows and bytes per second. It is a
// token bucket per dimension holding at most one second of budget; a limit of
// 0 is unlimited. One Limiter is shared by every shard of a source, so the
// caps hold for the source as a whole. A nil *Limiter never waits.
type Limiter struct {
	mu          sync.Mutex
	rows, bytes bucket
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
}

// bucket is a token bucket refilled at rate tokens per second, holding at
// most rate tokens. Tokens may go negative: a caller that takes more than is
// there waits for the debt to be refilled.
type bucket struct {
	rate   float64
	tokens float64
	last   time.Time
}

// NewLimiter returns a limiter of rowsPerSec rows and bytesPerSec bytes per
// second (0 = unlimited), or nil when both are unlimited.
func NewLimiter(rowsPerSec, bytesPerSec int) *Limiter {
	if rowsPerSec <= 0 && bytesPerSec <= 0 {
		return nil
	}
	l := &Limiter{now: time.Now, sleep: sleepCtx}
	start := l.now()
	l.rows = bucket{rate: float64(max(rowsPerSec, 0)), tokens: float64(max(rowsPerSec, 0)), last: start}
	l.bytes = bucket{rate: float64(max(bytesPerSec, 0)), tokens: float64(max(bytesPerSec, 0)), last: start}
	return l
}

// Wait takes rows and bytes from the budget and blocks until the budget is
// no longer in debt, or ctx is done (then it returns ctx's error).
func (l *Limiter) Wait(ctx context.Context, rows, bytes int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := l.now()
	d := max(l.rows.take(now, float64(rows)), l.bytes.take(now, float64(bytes)))
	l.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return l.sleep(ctx, d)
}

// take refills the bucket up to now, takes n tokens and returns how long
// until the bucket is out of debt.
func (b *bucket) take(now time.Time, n float64) time.Duration {
	if b.rate == 0 {
		return 0
	}
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
