package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/precheck"
)

func init() {
	register("run", &command{
		Summary: "run the task a topology file describes, until SIGINT or SIGTERM",
		Run:     runRun,
	})
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` to run")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn, error")
	format := fs.String("log-format", "text", "log `format`: text or json")
	var ignore listFlag
	fs.Var(&ignore, "ignore", "precheck item `NAME` whose failure does not stop the task (repeatable; * wildcards)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice run -f FILE [--ignore NAME]... [--log-level LEVEL] [--log-format text|json]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the task until SIGINT or SIGTERM, then drains in-flight batches and commits a final checkpoint.")
		fmt.Fprintln(stderr, "A restart resumes from the checkpoint in the topology's engine.checkpoint_dir.")
		fmt.Fprintln(stderr, "The precheck (sluice precheck) runs first; a failed item stops the start unless --ignore names it.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" {
		fmt.Fprintln(stderr, "sluice run: no file; use -f FILE")
		fs.Usage()
		return 2
	}
	log, err := newLogger(stderr, *level, *format)
	if err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 2
	}
	g, diags := loadValid("run", *file, stderr)
	if g == nil {
		return 1
	}
	for _, d := range diags {
		log.Warn(d.String())
	}
	task := g.Name
	cps, err := engine.Checkpoints(g, task)
	if err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 1
	}
	report := precheck.Run(ctx, g, precheck.Options{Checkpoints: cps, Logger: log})
	for _, it := range report.Items {
		if it.Status == precheck.Warn {
			log.Warn("precheck", "item", it.Name, "detail", it.Detail, "fix", it.Fix)
		}
	}
	if err := report.Error(ignore); err != nil {
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		return 1
	}
	newMemoryLimiter(os.Getenv("GOMEMLIMIT"), log).add(g)
	if err := engine.Run(ctx, g, engine.Options{Task: task, Logger: log}); err != nil {
		log.Error("task failed", "err", err)
		fmt.Fprintf(stderr, "sluice run: %v\n", err)
		var stop *binlogreader.StatementStop
		if errors.As(err, &stop) {
			fmt.Fprintf(stderr, "sluice run: to skip that statement, run: %s\n", stop.SkipCommand(*file))
		}
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("bad --log-format %q: use text or json", format)
}
