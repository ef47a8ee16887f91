package main

import (
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/sluicecdc/sluice/topology"
)

// memoryLimitSlack is the memory besides the in-flight data: code, runtime,
// client and socket buffers, the checkpoint store (about 60 MiB measured).
const memoryLimitSlack = 64 << 20

// memoryLimit is the default soft memory limit of a process running the
// given tasks: twice the data their sources may hold in flight
// (engine.inflight_bytes each, decoded rows and encoded records together)
// plus memoryLimitSlack. The budgets bound the live heap, so the limit
// leaves a collection at least the budgets to free: the collector runs
// about as often as GOGC=100 would make it, yet the heap cannot grow past
// the limit when garbage piles up between collections. (A limit near the
// live heap makes the collector run nonstop: docs/benchmarks.md.)
func memoryLimit(tasks ...*topology.DAG) int64 {
	limit := int64(memoryLimitSlack)
	for _, g := range tasks {
		limit += 2 * int64(len(g.Sources)) * g.Engine.InflightBytes
	}
	return limit
}

// memoryLimiter keeps the soft memory limit at memoryLimit of the tasks the
// process runs now (one for sluice run, the node's current set for sluice
// node), unless GOMEMLIMIT (env) is set: the Go runtime has read that
// already, "off" included. GOGC is left to the runtime (100 unless set).
type memoryLimiter struct {
	env   string
	log   *slog.Logger
	mu    sync.Mutex
	next  int
	tasks map[int]*topology.DAG // by a token of each add: a restarted task may be added before its last run is removed
}

func newMemoryLimiter(env string, log *slog.Logger) *memoryLimiter {
	if env != "" {
		log.Info("memory limit from GOMEMLIMIT", "GOMEMLIMIT", env)
	}
	return &memoryLimiter{env: env, log: log, tasks: map[int]*topology.DAG{}}
}

// add counts task g in the limit until the returned remove is called.
func (m *memoryLimiter) add(g *topology.DAG) (remove func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	id := m.next
	m.tasks[id] = g
	m.apply()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.tasks, id)
		m.apply()
	}
}

// apply sets the limit for m.tasks; m.mu is held.
func (m *memoryLimiter) apply() {
	if m.env != "" {
		return
	}
	gs := make([]*topology.DAG, 0, len(m.tasks))
	for _, g := range m.tasks {
		gs = append(gs, g)
	}
	limit := memoryLimit(gs...)
	debug.SetMemoryLimit(limit)
	m.log.Info("memory limit", "bytes", limit, "tasks", len(gs), "change", "set GOMEMLIMIT (e.g. GOMEMLIMIT=512MiB, or off for none)")
}
