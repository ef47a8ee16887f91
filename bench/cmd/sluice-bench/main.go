// Command sluice-bench measures Sluice on the local test bed (and Debezium
// beside it) and writes a report: `make bench`, `sluice bench`, or
//
//	go run ./bench/cmd/sluice-bench [flags]
//
// It needs the test bed (make testbed-up) and a built bin/sluice, and runs
// from the repository root.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluicecdc/sluice/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], "bin/sluice", os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
