package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/sluicecdc/sluice/engine"
	"io"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/precheck"
)

func init() {
	register("precheck", &command{
		Summary: "check sources, sinks and host against what a task needs, with the fix for each problem",
		Run:     runPrecheck,
	})
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// precheckReport is the --json output.
type precheckReport struct {
	File    string           `json:"file"`
	OK      bool             `json:"ok"`
	Summary precheck.Summary `json:"summary"`
	Items   []precheck.Item  `json:"items"`
	// UnusedIgnores are --ignore patterns that named no item.
	UnusedIgnores []string `json:"unused_ignores,omitempty"`
}

func runPrecheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice precheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` to check")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var ignore listFlag
	fs.Var(&ignore, "ignore", "item `NAME` whose failure does not count (repeatable; comma-separated; * wildcards, e.g. source.db.key.*)")
	timeout := fs.Duration("timeout", precheck.DefaultTimeout, "time allowed for the checks of each source and sink")
	clusterTask := fs.String("cluster-task", "", "check the topology as a cluster node runs it, as the task of this `name` (sluice submit does): "+
		"its sinks' transactional ids, no checkpoint directory")
	rate := fs.Int("snapshot-rate", precheck.DefaultSnapshotRowsPerSecond, "snapshot speed in rows/s assumed by the binlog retention check")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice precheck -f FILE [--json] [--ignore NAME]...")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Connects to every source and sink of the topology and prints one line per requirement:")
		fmt.Fprintln(stderr, "PASS, WARN or FAIL, the item's name, what was found and how to fix it. Nothing is changed.")
		fmt.Fprintln(stderr, "Exit status: 0 no failure (warnings and ignored failures allowed), 1 failures, 2 bad usage.")
		fmt.Fprintln(stderr, "Every item is described in docs/precheck.md.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !fileArg("precheck", fs, file, stderr) {
		return 2
	}
	g, diags := loadValid("precheck", *file, stderr)
	if g == nil {
		return 1
	}
	if len(diags) > 0 && !*asJSON {
		fmt.Fprint(stderr, diags.String())
	}
	opts := precheck.Options{Timeout: *timeout, SnapshotRowsPerSecond: *rate}
	if *clusterTask != "" {
		// A cluster task's checkpoints are in etcd, not read here.
		opts.Cluster = &precheck.Cluster{Task: *clusterTask}
	} else {
		// A task that ran has checkpoints: the servers must be able to resume them.
		cps, err := engine.Checkpoints(g, g.Name)
		if err != nil {
			fmt.Fprintf(stderr, "sluice precheck: %v\n", err)
			return 1
		}
		opts.Checkpoints = cps
	}
	start := time.Now()
	rep := precheck.Run(ctx, g, opts)
	unused := rep.Ignore(ignore)
	sum := rep.Summary(nil)
	if *asJSON {
		out := precheckReport{File: *file, OK: sum.OK(), Summary: sum, Items: rep.Items, UnusedIgnores: unused}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "sluice precheck: %v\n", err)
			return 1
		}
	} else {
		if err := rep.WriteText(stdout, nil); err != nil {
			fmt.Fprintf(stderr, "sluice precheck: %v\n", err)
			return 1
		}
		for _, u := range unused {
			fmt.Fprintf(stderr, "sluice precheck: --ignore %s names no item (item names are in the second column)\n", u)
		}
		fmt.Fprintf(stdout, "checked %s in %s\n", *file, time.Since(start).Round(time.Millisecond))
	}
	if !sum.OK() {
		return 1
	}
	return 0
}
