package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/engine"
)

func init() {
	register("snapshot", &command{
		Summary: "re-read one table of a running task in the background while its binlog streams",
		Run:     runSnapshot,
	})
}

func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` of the running task (its engine.http_addr and http_token are used)")
	table := fs.String("table", "", "the `db.table` to read again (required)")
	source := fs.String("source", "", "`name` of the source that selects the table, when several do")
	addr := fs.String("addr", "", "the task's endpoint `host:port` (default: engine.http_addr of -f)")
	token := fs.String("token", os.Getenv("SLUICE_HTTP_TOKEN"), "bearer `token` when the endpoint requires one (default: engine.http_token of -f, else $SLUICE_HTTP_TOKEN)")
	cf := addClusterFlags(fs)
	clusterTask := fs.String("task", "", "with -c, the cluster task's `name` (sluice tasks lists them)")
	listen := fs.String("listen", "", "with -c, the `host:port` the owner node sends its answer to (default: the node file's advertise host, any port)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice snapshot -f FILE --table DB.TABLE [--source NAME]")
		fmt.Fprintln(stderr, "       sluice snapshot -c NODE_FILE --task NAME --table DB.TABLE [--source NAME]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Asks the running task (POST /snapshot on its engine.http_addr; a cluster task: its owner node,")
		fmt.Fprintln(stderr, "over the nodes' remote) to read the table's rows again")
		fmt.Fprintln(stderr, "while the binlog keeps streaming: for a consumer that lost its copy, or after a purged binlog.")
		fmt.Fprintln(stderr, "The rows are sent as snapshot records; sluice status shows the progress.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *table == "" {
		fmt.Fprintln(stderr, "sluice snapshot: --table DB.TABLE is required")
		fs.Usage()
		return 2
	}
	if *cf.nodeFile != "" || *clusterTask != "" {
		return snapshotClusterTask(ctx, cf, *clusterTask, *table, *source, *listen, stdout, stderr)
	}
	task := "the task"
	if *addr == "" {
		if !fileArg("snapshot", fs, file, stderr) {
			return 2
		}
		g, _ := loadValid("snapshot", *file, stderr)
		if g == nil {
			return 1
		}
		if g.Engine.HTTPAddr == "" {
			fmt.Fprintf(stderr, "sluice snapshot: %s sets no engine.http_addr, so its running task cannot be asked: set engine.http_addr (e.g. 127.0.0.1:8765) and restart the task\n", *file)
			return 1
		}
		*addr = g.Engine.HTTPAddr
		if v := g.Engine.HTTPToken.Value(); v != "" {
			*token = v
		}
		task = fmt.Sprintf("the task of %s", *file)
	}
	q := url.Values{"table": {*table}}
	if *source != "" {
		q.Set("source", *source)
	}
	req, err := taskRequest(ctx, http.MethodPost, *addr, *token, "/snapshot?"+q.Encode())
	if err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: %v\n", err)
		return 2
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: %s is not running: nothing answers at %s (%v); start it with sluice run -f FILE, then ask again\n", task, *addr, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		fmt.Fprintf(stderr, "sluice snapshot: %s refused: %s\n", *table, strings.TrimSpace(string(body)))
		return 1
	}
	var v engine.SnapshotQueued
	if err := json.Unmarshal(body, &v); err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: unreadable answer from %s: %v\n", *addr, err)
		return 1
	}
	fmt.Fprintf(stdout, "snapshot of %s queued on source %s of task %s: %d chunks, read while the binlog streams (sluice status shows the progress)\n",
		v.Table, v.Source, v.Task, v.Chunks)
	return 0
}

// taskRequest is a request to a running task's endpoint at addr, with its
// bearer token when one is set.
func taskRequest(ctx context.Context, method, addr, token, path string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, nil
}

// snapshotClusterTask asks the owner of the cluster task for an online
// snapshot of table: etcd names the owner and its address, and the owner
// queues it on the task it runs.
func snapshotClusterTask(ctx context.Context, cf clusterFlags, task, table, source, listen string, stdout, stderr io.Writer) int {
	if task == "" || *cf.nodeFile == "" {
		fmt.Fprintln(stderr, "sluice snapshot: a cluster task needs both -c NODE_FILE and --task NAME (sluice tasks -c NODE_FILE lists the tasks)")
		return 2
	}
	cli, cfg, ok := cf.connect(ctx, "snapshot", stderr)
	if !ok {
		return 1
	}
	defer cli.Close()
	v, err := cluster.Read(ctx, cli, cfg.Prefix)
	if err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: %v\n", err)
		return 1
	}
	t := v.Tasks[task]
	addr, live := "", false
	if t != nil {
		addr, live = v.Members[t.Owner]
	}
	switch {
	case t == nil:
		fmt.Fprintf(stderr, "sluice snapshot: the cluster has no task %q (sluice tasks -c %s lists its tasks; sluice submit adds one)\n", task, *cf.nodeFile)
		return 1
	case t.Removed:
		fmt.Fprintf(stderr, "sluice snapshot: task %q is being removed; submit it again (sluice submit) to run it\n", task)
		return 1
	case t.Owner == "" || !live:
		fmt.Fprintf(stderr, "sluice snapshot: task %q is not running: no live node owns it yet; ask again when sluice tasks -c %s shows its node\n", task, *cf.nodeFile)
		return 1
	}
	if listen == "" {
		host, _, _ := net.SplitHostPort(cfg.Advertise)
		listen = net.JoinHostPort(host, "0")
	}
	peers, err := cluster.DialPeers(listen, cfg.RemoteTLS, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: %v\n", err)
		return 1
	}
	defer peers.Close()
	q, err := peers.Snapshot(ctx, addr, cluster.SnapshotRequest{Task: task, Epoch: t.Epoch, Table: table, Source: source})
	if err != nil {
		fmt.Fprintf(stderr, "sluice snapshot: %s refused by node %s: %v\n", table, t.Owner, err)
		return 1
	}
	fmt.Fprintf(stdout, "snapshot of %s queued on source %s of task %s (node %s): %d chunks, read while the binlog streams (sluice tasks --live shows the progress)\n",
		q.Table, q.Source, q.Task, q.Node, q.Chunks)
	return 0
}
