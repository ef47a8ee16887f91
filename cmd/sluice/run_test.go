package main

import (
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

func topologyWith(t *testing.T, engine string, sources int) *topology.DAG {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1\n" + engine + "sources:\n")
	for i := range sources {
		fmt.Fprintf(&b, "  - {name: db%d, flavor: mariadb, host: 127.0.0.1, user: u, password: p, server_id: %d, start: latest, objects: {tables: [{pattern: shop.orders}]}}\n", i, i+1)
	}
	b.WriteString("sinks:\n")
	for i := range sources {
		fmt.Fprintf(&b, "  - {name: k%d, from: db%d, brokers: [127.0.0.1:9092], topic: t}\n", i, i)
	}
	g, diags := topology.Parse("mem.yaml", []byte(b.String()))
	if g == nil {
		t.Fatalf("topology: %s", diags.String())
	}
	return g
}

func TestMemoryLimit_TwiceTheBudgetsPlusSlack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		engine  string
		sources int
		want    int64
	}{
		{"default budget", "", 1, 2*64<<20 + memoryLimitSlack},
		{"two sources of 32 MiB", "engine: {inflight_bytes: 32MiB}\n", 2, 4*32<<20 + memoryLimitSlack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := memoryLimit(topologyWith(t, tc.engine, tc.sources)); got != tc.want {
				t.Errorf("memoryLimit = %d MiB, want %d MiB", got>>20, tc.want>>20)
			}
		})
	}
}

func TestMemoryLimiter_GOMEMLIMITWins(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	g := topologyWith(t, "", 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	debug.SetMemoryLimit(1 << 40)
	newMemoryLimiter("off", log).add(g)()
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("with GOMEMLIMIT set the limit changed to %d", got)
	}
	newMemoryLimiter("", log).add(g)
	if got := debug.SetMemoryLimit(-1); got != memoryLimit(g) {
		t.Fatalf("without GOMEMLIMIT the limit is %d, want %d", got, memoryLimit(g))
	}
}

// A node's limit follows the set of tasks it runs: the sum over them,
// recomputed as tasks start and stop, a restarted task counted once.
func TestMemoryLimiter_NodeSumsItsTasks(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	a := topologyWith(t, "", 1)                                  // 64 MiB budget
	b := topologyWith(t, "engine: {inflight_bytes: 32MiB}\n", 2) // 2 × 32 MiB
	m := newMemoryLimiter("", slog.New(slog.NewTextHandler(io.Discard, nil)))
	limit := func() int64 { return debug.SetMemoryLimit(-1) >> 20 }
	const slack = memoryLimitSlack >> 20

	removeA := m.add(a)
	if got := limit(); got != 128+slack {
		t.Fatalf("one task: %d MiB, want %d", got, 128+slack)
	}
	removeB := m.add(b)
	if got := limit(); got != 128+128+slack {
		t.Fatalf("two tasks: %d MiB, want %d", got, 256+slack)
	}
	restartedA := m.add(a) // the new run starts before the old one has returned
	removeA()
	if got := limit(); got != 256+slack {
		t.Fatalf("task restarted: %d MiB, want %d", got, 256+slack)
	}
	restartedA()
	if got := limit(); got != 128+slack {
		t.Fatalf("task a stopped: %d MiB, want %d", got, 128+slack)
	}
	removeB()
	if got := limit(); got != slack {
		t.Fatalf("no tasks: %d MiB, want %d", got, slack)
	}
}
