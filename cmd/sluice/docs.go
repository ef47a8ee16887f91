package main

import (
	"context"
	"fmt"
	"io"

	"github.com/sluicecdc/sluice/topology"
)

func init() {
	register("docs", &command{
		Summary: "print the topology file reference (docs/topology.md)",
		Run: func(_ context.Context, args []string, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				fmt.Fprintln(stderr, "Usage: sluice docs > docs/topology.md")
				return 2
			}
			if err := topology.WriteReference(stdout); err != nil {
				fmt.Fprintf(stderr, "sluice docs: %v\n", err)
				return 1
			}
			return 0
		},
	})
}
