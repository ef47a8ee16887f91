package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sluicecdc/sluice/verify"
)

func init() {
	register("verify", &command{
		Summary: "compare a task's topics, replayed by key, with its source tables",
		Run:     runVerify,
	})
}

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` of the task")
	table := fs.String("table", "", "compare only this `db.table`")
	sample := fs.Int("sample", 0, "compare the values of only `N` random chunks per table (0: all); every key is still checked")
	chunk := fs.Int("chunk-size", 1000, "keys per checksummed `chunk`")
	keys := fs.Int("keys", 20, "list at most `N` keys of each kind per table")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice verify -f FILE [--table db.t] [--sample N] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 || *sample < 0 || *chunk < 1 || *keys < 1 {
		fs.Usage()
		return 2
	}
	g, _ := loadValid("verify", *file, stderr)
	if g == nil {
		return 1
	}
	rep, err := verify.Task(ctx, g, verify.TaskOptions{Table: *table,
		Options: verify.Options{ChunkSize: *chunk, Sample: *sample, MaxKeys: *keys}})
	if err != nil {
		fmt.Fprintf(stderr, "sluice verify: %v\n", err)
		return 1
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprint(stdout, rep.String())
	}
	if !rep.Clean() {
		if !*asJSON {
			fmt.Fprintln(stderr, "sluice verify: the topics differ from the source (see above)")
		}
		return 3
	}
	return 0
}
