package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/precheck"
	"github.com/sluicecdc/sluice/topology"
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
		fmt.Fprintln(stderr, "SIGHUP reads the file again: a change the checkpoints survive (tables added or removed, sinks, formats)")
		fmt.Fprintln(stderr, "is applied by a drain and a start in the same process; any other is refused in the log, the task unchanged.")
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
	// From here a SIGHUP is a reload (read once the task runs), never the
	// end of the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
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
	if err := runReloading(ctx, hup, *file, g, task, log); err != nil {
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

// runReloading runs g until ctx ends or the task fails. On SIGHUP it reads
// file again and, when every change keeps the checkpoints valid (the
// engine's decision, as at a start), drains the task and starts it again
// with the new topology in this process: added tables are snapshotted
// while the binlog streams, removed ones are no longer sent. A change that
// does not, or a file that is not valid, is refused in the log and the task
// runs on unchanged.
func runReloading(ctx context.Context, hup <-chan os.Signal, file string, g *topology.DAG, task string, log *slog.Logger) error {
	mem := newMemoryLimiter(os.Getenv("GOMEMLIMIT"), log)
	for {
		release := mem.add(g)
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- engine.Run(rctx, g, engine.Options{Task: task, Logger: log}) }()
		var next *topology.DAG
		for next == nil {
			select {
			case err := <-done:
				cancel()
				release()
				return err
			case <-hup:
				next = reloadable(file, g, task, log)
			}
		}
		cancel()
		err := <-done
		release()
		if err != nil || ctx.Err() != nil {
			return err
		}
		g = next
		log.Info("reload: task drained; starting it with the new topology")
	}
}

// reloadable is file's topology when the running task (topology cur) may
// take it, else nil, with the refusal and its fix logged.
func reloadable(file string, cur *topology.DAG, task string, log *slog.Logger) *topology.DAG {
	keep := "the task runs on unchanged"
	g, diags, err := topology.Load(file)
	if g == nil {
		if err != nil && diags == nil {
			diags = append(diags, topology.Diagnostic{Message: err.Error()})
		}
		log.Error("reload refused: the file is not valid; "+keep, "file", file, "diagnostics", diags.String(),
			"fix", "correct the file (sluice validate -f "+file+"), then send SIGHUP again")
		return nil
	}
	if g.Name != task || g.Engine.CheckpointDir != cur.Engine.CheckpointDir {
		log.Error("reload refused: the task's name or engine.checkpoint_dir changed, which names other checkpoints; "+keep, "file", file,
			"fix", "set them back to name "+task+" and checkpoint_dir "+cur.Engine.CheckpointDir+", or stop the task (SIGTERM) and start it with sluice run -f "+file)
		return nil
	}
	applied, refused, err := engine.ClassifyChange(cur, g)
	switch {
	case err != nil:
		log.Error("reload refused: "+keep, "file", file, "err", err)
		return nil
	case len(refused) > 0:
		log.Error("reload refused: a change the checkpoints do not survive; "+keep, "file", file, "changes", strings.Join(refused, "; "),
			"fix", "undo that change and send SIGHUP again; to start over instead, stop the task (SIGTERM) and follow the change's fix")
		return nil
	case len(applied) == 0:
		log.Info("reload: no source, sink or pipeline changed; nothing to do (engine settings take effect at the next start)", "file", file)
		return nil
	}
	log.Info("reload: applying; draining the task to start it again in this process", "file", file, "changes", strings.Join(applied, "; "))
	return g
}
