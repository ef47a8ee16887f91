// Package backoff decides, for one run of consecutive failures, how long to
// wait before the next try and when to give up: exponential delays, a retry
// window counted from the first failure of the run, and terminal errors
// (internal/errkind) that end it at once.
package backoff
