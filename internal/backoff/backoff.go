package backoff

import (
	"fmt"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

// Run is one run of consecutive failures. The zero value has no failure.
type Run struct {
	First, Max time.Duration // first and largest delay
	// Stable ends the run: a try that lasted this long (Started to the next
	// failure) succeeded, and its failure starts a new run. Zero: only
	// Reset ends a run.
	Stable  time.Duration
	since   time.Time // first failure of the run
	started time.Time // the current try
	count   int
}

// Started records that a try began at now.
func (r *Run) Started(now time.Time) { r.started = now }

// Next records a failure at now and returns the delay before the next try,
// or the error that ends the run: cause itself when it is terminal, or a
// terminal error once the failures have lasted longer than window.
func (r *Run) Next(cause error, window time.Duration, now time.Time) (time.Duration, error) {
	if errkind.IsTerminal(cause) {
		return 0, cause
	}
	if r.Stable > 0 && !r.started.IsZero() && now.Sub(r.started) >= r.Stable {
		r.Reset()
	}
	if r.count == 0 {
		r.since = now
	}
	r.count++
	if now.Sub(r.since) > window {
		return 0, errkind.Terminal(fmt.Errorf("still failing after the retry window of %s (failing since %s): %w",
			window, r.since.UTC().Format(time.RFC3339), cause))
	}
	return r.Delay(), nil
}

// Delay is the delay before the current try: First, doubling per failure up
// to Max.
func (r *Run) Delay() time.Duration {
	d := r.First
	for i := 1; i < r.count && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Since is how long the run has lasted at now; zero when there is none.
func (r *Run) Since(now time.Time) time.Duration {
	if r.count == 0 {
		return 0
	}
	return now.Sub(r.since)
}

// Count is the number of failures in the run.
func (r *Run) Count() int { return r.count }

// Reset ends the run: the next failure starts a new window and the first
// delay again.
func (r *Run) Reset() { r.since, r.count = time.Time{}, 0 }
