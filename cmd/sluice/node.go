package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
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
	var peers *cluster.Peers
	run := func(ctx context.Context, t cluster.Owned) error {
		defer mem.add(t.DAG)()
		tlog := log.With("task", t.Name)
		cmds := &engine.Commands{}
		t.Snapshot.Set(func(ctx context.Context, table, source string) (string, int, error) {
			q, _, err := cmds.Snapshot(ctx, table, source)
			if err != nil {
				return "", 0, err
			}
			return q.Source, q.Chunks, nil
		})
		err := engine.Run(ctx, t.DAG, engine.Options{
			Task: t.Name, Logger: tlog, Status: t.Status, Fenced: true, Node: cfg.Name, Epoch: t.Epoch, System: peers.System(), Commands: cmds,
			OpenStore: func(id store.Identity) (store.Store, error) {
				return etcdstore.Open(cli, t.StatePrefix, etcdstore.Owner{Key: t.OwnerKey, Epoch: t.Epoch}, id, etcdstore.Options{Logger: tlog})
			},
		})
		if stop := (*binlogreader.StatementStop)(nil); errors.As(err, &stop) {
			tlog.Error("task stopped at a statement the schema history cannot apply", "source", stop.Source, "pos", stop.Pos.String(),
				"skip", stop.ClusterSkipCommand(*cf.nodeFile, t.Name))
		}
		return err
	}
	node := cluster.NewNode(*cfg, cli, run, log)
	// The node's actor system: its tasks' actors, and the node actor that
	// answers the other nodes at the advertised address.
	peers, err := cluster.StartPeers(*cfg, node, log)
	if err != nil {
		fmt.Fprintf(stderr, "sluice node: %v\n", err)
		return 1
	}
	defer peers.Close()
	if cfg.StatusAddr != "" {
		stop, err := status.Listen(cfg.StatusAddr, "", nodeStatusMux(cli, cfg, node, peers, log), func(err error) { log.Error("node status endpoint", "err", err) })
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

// nodeStatusMux serves a node's status_addr. /status is every node's tasks
// (?scope=node: this node's alone); /metrics is this node's tasks
// (?scope=cluster: every node's, asked over remote). The members and their
// addresses come from etcd.
func nodeStatusMux(cli *clientv3.Client, cfg *cluster.NodeConfig, node *cluster.Node, peers *cluster.Peers, log *slog.Logger) *http.ServeMux {
	members := func(r *http.Request) (map[string]string, error) {
		ctx, cancel := context.WithTimeout(r.Context(), cfg.LeaseTTL)
		defer cancel()
		v, err := cluster.Read(ctx, cli, cfg.Prefix)
		if err != nil {
			return nil, err
		}
		return v.Members, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("scope") == "node" {
			status.WriteJSON(w, []cluster.NodeStatus{{Node: cfg.Name, Address: peers.Address(), Tasks: node.Statuses()}})
			return
		}
		m, err := members(r)
		if err != nil {
			http.Error(w, fmt.Sprintf("the cluster's members: %v (this node's own tasks: /status?scope=node)", err), http.StatusServiceUnavailable)
			return
		}
		status.WriteJSON(w, peers.ClusterStatus(r.Context(), m))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		if r.URL.Query().Get("scope") != "cluster" {
			if err := node.WriteMetrics(w); err != nil {
				log.Warn("writing the node's metrics", "err", err)
			}
			return
		}
		m, err := members(r)
		if err != nil {
			http.Error(w, fmt.Sprintf("the cluster's members: %v (this node's own metrics: /metrics)", err), http.StatusServiceUnavailable)
			return
		}
		if err := peers.WriteClusterMetrics(r.Context(), w, m); err != nil {
			log.Warn("writing the cluster's metrics", "err", err)
		}
	})
	return mux
}
