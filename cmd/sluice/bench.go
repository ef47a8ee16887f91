package main

import (
	"context"
	"io"
	"os"

	"github.com/sluicecdc/sluice/bench"
)

func init() {
	register("bench", &command{
		Summary: "measure this binary (and Debezium beside it) on the local test bed; see docs/benchmarks.md",
		Run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
			self, err := os.Executable()
			if err != nil {
				self = "bin/sluice"
			}
			return bench.Main(ctx, args, self, stdout, stderr)
		},
	})
}
