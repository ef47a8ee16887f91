package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/precheck"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/topology"
)

// The cluster's tools (submit, tasks, remove) talk to etcd, the cluster's
// one authority, so any node's file reaches the whole cluster.

func init() {
	register("submit", &command{Summary: "submit a topology file to a cluster as a task (validated first)", Run: runSubmit})
	register("tasks", &command{Summary: "list a cluster's tasks: owner node, epoch, phase", Run: runTasks})
	register("remove", &command{Summary: "drain and stop a cluster task (--purge also deletes its checkpoints)", Run: runRemove})
}

// clusterFlags are the flags every cluster tool shares.
type clusterFlags struct {
	nodeFile *string
}

func addClusterFlags(fs *flag.FlagSet) clusterFlags {
	return clusterFlags{nodeFile: fs.String("c", "", "a node `file` of the cluster (its etcd endpoints and prefix are used)")}
}

// connect reads the node file and connects to its etcd; it prints why not.
func (f clusterFlags) connect(ctx context.Context, cmd string, stderr io.Writer) (*clientv3.Client, *cluster.NodeConfig, bool) {
	if *f.nodeFile == "" {
		fmt.Fprintf(stderr, "sluice %s: no node file; use -c node.yaml (any node's file of the cluster)\n", cmd)
		return nil, nil, false
	}
	cfg, err := cluster.LoadNodeConfig(*f.nodeFile)
	if err != nil {
		fmt.Fprintf(stderr, "sluice %s: %v\n", cmd, err)
		return nil, nil, false
	}
	cli, err := dialEtcd(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "sluice %s: %v\n", cmd, err)
		return nil, nil, false
	}
	return cli, cfg, true
}

// dialEtcd connects to cfg's etcd and checks that a member answers.
func dialEtcd(ctx context.Context, cfg *cluster.NodeConfig) (*clientv3.Client, error) {
	// gRPC's reconnect backoff grows to 2 minutes by default: after an etcd
	// outage of 30 s a node would wait about 10 s more before it saw etcd
	// back. Retry at least every half lease TTL instead.
	backoff := grpcbackoff.DefaultConfig
	backoff.BaseDelay, backoff.MaxDelay = 100*time.Millisecond, cfg.LeaseTTL/2
	cli, err := clientv3.New(clientv3.Config{Endpoints: cfg.Etcd, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff, MinConnectTimeout: cfg.LeaseTTL})}})
	if err != nil {
		return nil, fmt.Errorf("etcd %s: %w", strings.Join(cfg.Etcd, ","), err)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Status(sctx, cfg.Etcd[0]); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("no etcd answers at %s (%v): start etcd, or fix etcd: in the node file", strings.Join(cfg.Etcd, ","), err)
	}
	return cli, nil
}

func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` to submit")
	name := fs.String("name", "", "task `name` (default: the topology's name key, else the file's name without extension)")
	var ignore listFlag
	fs.Var(&ignore, "ignore", "precheck item `NAME` whose failure does not stop the submission (repeatable; * wildcards)")
	noPrecheck := fs.Bool("no-precheck", false, "submit without the precheck (it ran already: sluice precheck -f TOPOLOGY --cluster-task TASK)")
	cf := addClusterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice submit -c NODE_FILE -f TOPOLOGY [--name TASK] [--ignore NAME]... [--no-precheck]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Validates the topology (as sluice validate does) and runs its precheck as a cluster node would")
		fmt.Fprintln(stderr, "run it (the items of sluice precheck, and sink.NAME.transactional_id; no checkpoint directory), from")
		fmt.Fprintln(stderr, "this machine; a failed item refuses the submission unless --ignore names it.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || !fileArg("submit", fs, file, stderr) {
		return 2
	}
	dag, diags := loadValid("submit", *file, stderr)
	if dag == nil {
		return 1
	}
	fmt.Fprint(stderr, diags.String()) // warnings
	spec, err := os.ReadFile(*file)
	if err != nil {
		fmt.Fprintf(stderr, "sluice submit: %v\n", err)
		return 1
	}
	if *name == "" {
		*name = dag.Name
	}
	cli, cfg, ok := cf.connect(ctx, "submit", stderr)
	if !ok {
		return 1
	}
	defer cli.Close()
	// The precheck runs here, on the submitting machine, which must reach
	// the sources and sinks as the nodes do. The nodes do not run it again:
	// what fails there later stops the task, and its node retries it.
	if !*noPrecheck && !submitPrecheck(ctx, dag, *name, *file, ignore, stderr) {
		return 1
	}
	if err := cluster.Submit(ctx, cli, cfg.Prefix, *name, spec); err != nil {

		fmt.Fprintf(stderr, "sluice submit: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "task %s submitted; sluice tasks -c %s shows where it runs\n", *name, *cf.nodeFile)
	return 0
}

// submitPrecheck runs the precheck of a task to submit, as a cluster node
// runs the task; it prints the warnings and why not, and reports whether
// the task may be submitted.
func submitPrecheck(ctx context.Context, dag *topology.DAG, task, file string, ignore []string, stderr io.Writer) bool {
	rep := precheck.Run(ctx, dag, precheck.Options{Cluster: &precheck.Cluster{Task: task}})
	for _, u := range rep.Ignore(ignore) {
		fmt.Fprintf(stderr, "sluice submit: --ignore %s names no precheck item (sluice precheck -f %s --cluster-task %s lists them)\n", u, file, task)
	}
	for _, it := range rep.Items {
		if it.Status == precheck.Warn {
			fmt.Fprintf(stderr, "sluice submit: precheck warning: %s: %s", it.Name, it.Detail)
			if it.Fix != "" {
				fmt.Fprintf(stderr, " → fix: %s", it.Fix)
			}
			fmt.Fprintln(stderr)
		}
	}
	if err := rep.Error(ignore); err != nil {
		fmt.Fprintf(stderr, "sluice submit: task %s not submitted: %v\n", task, err)
		return false
	}
	return true
}

// taskRow is one line of sluice tasks.
type taskRow struct {
	Task    string `json:"task"`
	Node    string `json:"node,omitempty"`
	Epoch   int64  `json:"epoch,omitempty"`
	Planned string `json:"planned,omitempty"`
	Removed bool   `json:"removed,omitempty"`
	// Progress is the last report of an owner, maybe of an earlier one
	// (its epoch says which).
	Progress *cluster.Progress `json:"progress,omitempty"`
	// Live is the owner's own view of the task (--live), asked over remote.
	Live      *status.TaskView `json:"live,omitempty"`
	LiveError string           `json:"live_error,omitempty"`
	// Skips are the task's skip decisions (sluice skip -c), recorded or
	// waiting for the owner's next start.
	Skips []etcdstore.SourceSkips `json:"skips,omitempty"`
}

func runTasks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice tasks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	live := fs.Bool("live", false, "ask each task's owner node for its live state (over the nodes' remote), instead of its last report in etcd")
	listen := fs.String("listen", "", "with --live, the `host:port` the nodes send their answers to (default: the node file's advertise host, any port)")
	cf := addClusterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cli, cfg, ok := cf.connect(ctx, "tasks", stderr)
	if !ok {
		return 1
	}
	defer cli.Close()
	v, err := cluster.Read(ctx, cli, cfg.Prefix)
	if err != nil {
		fmt.Fprintf(stderr, "sluice tasks: %v\n", err)
		return 1
	}
	progress, err := cluster.ReadProgress(ctx, cli, cfg.Prefix)
	if err != nil {
		fmt.Fprintf(stderr, "sluice tasks: %v\n", err)
		return 1
	}
	plan := v.Plan()
	var rows []taskRow
	for name, t := range v.Tasks {
		r := taskRow{Task: name, Node: t.Owner, Epoch: t.Epoch, Planned: plan[name], Removed: t.Removed}
		if p, ok := progress[name]; ok {
			r.Progress = &p
		}
		if r.Skips, err = etcdstore.ListSkips(ctx, cli, etcdstore.TaskPrefix(cfg.Prefix, name)); err != nil {
			fmt.Fprintf(stderr, "sluice tasks: task %s: %v\n", name, err)
			return 1
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b taskRow) int { return strings.Compare(a.Task, b.Task) })
	if *live {
		if *listen == "" {
			host, _, _ := net.SplitHostPort(cfg.Advertise)
			*listen = net.JoinHostPort(host, "0")
		}
		if err := askOwners(ctx, *listen, cfg.RemoteTLS, v.Members, rows); err != nil {
			fmt.Fprintf(stderr, "sluice tasks: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		out := struct {
			Members map[string]string `json:"members"`
			Tasks   []taskRow         `json:"tasks"`
		}{v.Members, rows}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return 0
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	now := time.Now()
	last := "AGE"
	if *live {
		last = "ROWS"
	}
	fmt.Fprintln(w, "TASK\tNODE\tEPOCH\tSTATE\tSOURCE\tPHASE\tLAG\tCHECKPOINT\t"+last)
	for _, r := range rows {
		state := "running"
		switch {
		case r.Removed && r.Node != "":
			state = "draining (removed)"
		case r.Removed:
			state = "removed (sluice remove --purge deletes it)"
		case r.Node == "":
			state = "waiting for " + r.Planned
		}
		node := r.Node
		if node == "" {
			node = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s", r.Task, node, r.Epoch, state)
		if *live {
			writeLive(w, r)
			continue
		}
		if r.Progress == nil || len(r.Progress.Sources) == 0 {
			fmt.Fprint(w, "\t-\t-\t-\t-\t-\n")
			continue
		}
		for i, src := range r.Progress.Sources {
			if i > 0 {
				fmt.Fprint(w, "\t\t\t")
			}
			fmt.Fprintf(w, "\t%s\t%s\t%gs\t%s\t%s\n", src.Name, src.Phase, src.LagSeconds, orDash(src.Checkpoint), checkpointAge(src.At, now))
		}
	}
	_ = w.Flush()
	writeSkips(stdout, rows)
	fmt.Fprintf(stdout, "%d nodes: %s\n", len(v.Members), strings.Join(v.MemberNames(), ", "))
	return 0
}

// askOwners asks the owner of every owned task in rows for its live state,
// each owner once, all at once, from an actor system listening at listen.
func askOwners(ctx context.Context, listen string, tlsCfg *cluster.RemoteTLS, members map[string]string, rows []taskRow) error {
	peers, err := cluster.DialPeers(listen, tlsCfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer peers.Close()
	owners := map[string]string{}
	for _, r := range rows {
		if addr, ok := members[r.Node]; ok {
			owners[r.Node] = addr
		}
	}
	byNode := map[string]cluster.NodeStatus{}
	for _, ns := range peers.ClusterStatus(ctx, owners) {
		byNode[ns.Node] = ns
	}
	for i := range rows {
		r := &rows[i]
		if r.Node == "" {
			continue
		}
		ns, ok := byNode[r.Node]
		switch {
		case !ok:
			r.LiveError = "owner " + r.Node + " is not a live member"
		case ns.Error != "":
			r.LiveError = "owner " + r.Node + ": " + ns.Error
		default:
			r.LiveError = "owner " + r.Node + " does not run it (yet)"
			for _, ts := range ns.Tasks {
				if ts.Task == r.Task && ts.Epoch == r.Epoch {
					r.Live, r.LiveError = &ts.View, ""
				}
			}
		}
	}
	return nil
}

// writeLive writes the source columns of r from its owner's live view.
func writeLive(w io.Writer, r taskRow) {
	if r.Live == nil || len(r.Live.Sources) == 0 {
		fmt.Fprintf(w, "\t-\t-\t-\t-\t-\t%s\n", r.LiveError)
		return
	}
	for i, src := range r.Live.Sources {
		if i > 0 {
			fmt.Fprint(w, "\t\t\t")
		}
		fmt.Fprintf(w, "\t%s\t%s\t%.1fs\t%s\t%d\n", src.Name, src.Phase, src.LagSeconds, orDash(src.Checkpoint), src.Rows)
	}
}

// writeSkips lists the tasks' skip decisions, one a line.
func writeSkips(w io.Writer, rows []taskRow) {
	for _, r := range rows {
		for _, src := range r.Skips {
			for i, list := range [][]store.Skip{src.Recorded, src.Requested} {
				state := "recorded"
				if i == 1 {
					state = "requested, taken at the owner's next start"
				}
				for _, sk := range list {
					fmt.Fprintf(w, "skip: task %s source %s at %s (%s): %.120q, because %q, by %s at %s\n", r.Task, src.Source, sk.Pos, state,
						sk.Statement, sk.Reason, orDash(sk.Who), sk.At.Format(time.RFC3339))
				}
			}
		}
	}
}

// checkpointAge is how long ago a checkpoint was first reported ("-" for
// none), by this machine's clock against the reporting node's.
func checkpointAge(at, now time.Time) string {
	if at.IsZero() {
		return "-"
	}
	return now.Sub(at).Round(100 * time.Millisecond).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runRemove(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice remove", flag.ContinueOnError)
	fs.SetOutput(stderr)
	purge := fs.Bool("purge", false, "once drained, delete the task and its checkpoints")
	cf := addClusterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice remove -c NODE_FILE [--purge] TASK")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	task := fs.Arg(0)
	cli, cfg, ok := cf.connect(ctx, "remove", stderr)
	if !ok {
		return 1
	}
	defer cli.Close()
	if err := cluster.Remove(ctx, cli, cfg.Prefix, task); err != nil {
		fmt.Fprintf(stderr, "sluice remove: %v\n", err)
		return 1
	}
	if !*purge {
		fmt.Fprintf(stdout, "task %s removed: its node drains it; its checkpoints stay until sluice remove --purge %s\n", task, task)
		return 0
	}
	// Wait for the owner to finish its drain (it deletes its owner key).
	deadline := time.Now().Add(time.Minute)
	for {
		err := cluster.Purge(ctx, cli, cfg.Prefix, task)
		if err == nil {
			fmt.Fprintf(stdout, "task %s drained and purged\n", task)
			return 0
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintf(stderr, "sluice remove: %v\n", err)
			return 1
		}
		time.Sleep(200 * time.Millisecond)
	}
}
