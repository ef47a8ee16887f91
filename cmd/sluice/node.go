package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
)

func init() {
	register("node", &command{Summary: "run a cluster node: it runs the submitted tasks the cluster gives it", Run: runNode})
}

func runNode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cf := addClusterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice node -c NODE_FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cli, cfg, ok := cf.connect(ctx, "node", stderr)
	if !ok {
		return 1
	}
	defer cli.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	mem := newMemoryLimiter(os.Getenv("GOMEMLIMIT"), log)
	run := func(ctx context.Context, t cluster.Owned) error {
		defer mem.add(t.DAG)()
		tlog := log.With("task", t.Name)
		return engine.Run(ctx, t.DAG, engine.Options{
			Task: t.Name, Logger: tlog, Status: t.Status, Fenced: true, Node: cfg.Name, Epoch: t.Epoch,
			OpenStore: func(id store.Identity) (store.Store, error) {
				return etcdstore.Open(cli, t.StatePrefix, etcdstore.Owner{Key: t.OwnerKey, Epoch: t.Epoch}, id, etcdstore.Options{Logger: tlog})
			},
		})
	}
	node := cluster.NewNode(*cfg, cli, run, log)
	if cfg.StatusAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) { status.WriteJSON(w, node.Statuses()) })
		mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			if err := node.WriteMetrics(w); err != nil {
				log.Warn("writing the node's metrics", "err", err)
			}
		})
		stop, err := status.Listen(cfg.StatusAddr, "", mux, func(err error) { log.Error("node status endpoint", "err", err) })
		if err != nil {
			fmt.Fprintf(stderr, "sluice node: %v\n", err)
			return 1
		}
		defer stop()
	}
	if err := node.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "sluice node: %v\n", err)
		return 1
	}
	return 0
}
