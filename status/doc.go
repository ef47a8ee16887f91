// Package status holds a running task's live state — phase and position of
// every source, snapshot progress per table, throughput per sink, restarts
// and the last error — and serves it over HTTP: /status (JSON), /metrics
// (Prometheus text format) and /healthz.
//
// Stages update it per batch, never per row, through atomic counters and a
// mutex held only for structural changes; readers take a consistent-enough
// snapshot under the same mutex. It is not a metrics library: it renders the
// handful of series Sluice has by hand, with no reflection.
//
// The endpoint listens on loopback by default; binding elsewhere requires a
// bearer token (engine.http_token), which every request must then carry.
package status
