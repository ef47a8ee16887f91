package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/engine"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/etcdstore"
	"github.com/sluicecdc/sluice/topology"
)

func init() {
	register("skip", &command{
		Summary: "record the decision to skip one DDL statement the schema history cannot apply",
		Run:     runSkip,
	})
}

func runSkip(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice skip", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` of the (stopped) task")
	source := fs.String("source", "", "`name` of the source whose binlog holds the statement (default: the only one)")
	at := fs.String("at", "", "`position` file:offset where the statement's event ends, as the stop message names it")
	reason := fs.String("reason", "", "why the statement may be skipped (`text`, required; recorded and shown by sluice status)")
	task := fs.String("task", "", "with -c, the cluster task's `name` (as sluice tasks lists it)")
	cf := addClusterFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: sluice skip -f FILE [--source NAME] --at FILE:POS --reason "TEXT"`)
		fmt.Fprintln(stderr, `       sluice skip -c NODE_FILE --task TASK [--source NAME] --at FILE:POS --reason "TEXT"`)
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Records in the task's checkpoint store that the schema history passes over the DDL statement")
		fmt.Fprintln(stderr, "ending at POS, which it cannot parse or apply. The statement is read from the source's binlog and")
		fmt.Fprintln(stderr, "recorded with its digest, the reason, the time and $USER; at the next start the binlog reader skips")
		fmt.Fprintln(stderr, "that statement at that position, and no other. Run it while the task is stopped.")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "With -c, for a cluster task: the decision goes into the task's state in etcd, and the task's")
		fmt.Fprintln(stderr, "owner adopts it at its next start (a task stopped by the statement is retried by its node).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	inCluster := *cf.nodeFile != ""
	switch {
	case inCluster && (*file != "" || *task == ""):
		fmt.Fprintln(stderr, "sluice skip: with -c (a cluster task) give --task NAME, as sluice tasks lists it, and no -f")
		return 2
	case !inCluster && *task != "":
		fmt.Fprintln(stderr, "sluice skip: --task names a cluster task: give -c NODE_FILE too (any node's file of the cluster)")
		return 2
	case !inCluster && !fileArg("skip", fs, file, stderr):
		return 2
	}
	pos, err := parseBinlogPos(*at)
	if err != nil {
		fmt.Fprintf(stderr, "sluice skip: --at: %v\n", err)
		return 2
	}
	why := strings.TrimSpace(*reason)
	if why == "" {
		fmt.Fprintln(stderr, `sluice skip: --reason is required: say why the statement may be skipped (--reason "index only, rows unchanged")`)
		return 2
	}
	var g *topology.DAG
	var cli *clientv3.Client
	var cfg *cluster.NodeConfig
	if inCluster {
		var ok bool
		if cli, cfg, ok = cf.connect(ctx, "skip", stderr); !ok {
			return 1
		}
		defer cli.Close()
		if g, err = cluster.TaskDAG(ctx, cli, cfg.Prefix, *task); err != nil {
			fmt.Fprintf(stderr, "sluice skip: %v\n", err)
			return 1
		}
	} else if g, _ = loadValid("skip", *file, stderr); g == nil {
		return 1
	}
	src, err := skipSource(g, *source)
	if err != nil {
		fmt.Fprintf(stderr, "sluice skip: %v\n", err)
		return 2
	}
	sql, err := binlogreader.StatementAt(ctx, src, pos)
	if err != nil {
		fmt.Fprintf(stderr, "sluice skip: %v\n", err)
		return 1
	}
	if sourcedb.Classify([]byte(sql)) != sourcedb.KindDDL {
		fmt.Fprintf(stderr, "sluice skip: the statement ending at %s is not DDL (%.200q); only DDL the schema history cannot apply is skipped\n", pos, sql)
		return 1
	}
	log, _ := newLogger(stderr, "info", "text")
	sk := store.Skip{Pos: pos, Digest: schema.Digest(sql), Statement: sql, Reason: why, Who: os.Getenv("USER"), At: time.Now().UTC()}
	name, next := g.Name, "at its next start; sluice status lists it"
	if inCluster {
		name, next = *task, "once the task's owner starts it again (sluice tasks lists it)"
		err = etcdstore.RequestSkip(ctx, cli, etcdstore.TaskPrefix(cfg.Prefix, *task), src.Name, sk)
	} else {
		err = engine.RecordSkip(g, g.Name, src.Name, sk, log)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sluice skip: %v\n", err)
		return 1
	}
	log.Warn("skip decision recorded", "task", name, "source", src.Name, "pos", pos.String(), "digest", sk.Digest,
		"statement", fmt.Sprintf("%.300s", sql), "reason", why, "who", sk.Who)
	fmt.Fprintf(stdout, "recorded: source %s skips %.200q at %s (digest %s) %s\n",
		src.Name, sql, pos, sk.Digest, next)
	return 0
}

// parseBinlogPos reads "file:offset".
func parseBinlogPos(s string) (change.Position, error) {
	f, off, ok := strings.Cut(s, ":")
	n, err := strconv.ParseUint(off, 10, 32)
	if !ok || f == "" || err != nil || n == 0 {
		return change.Position{}, fmt.Errorf("%q is not a binlog position; give file:offset as the stop message names it (mysql-bin.000012:4711)", s)
	}
	return change.Position{File: f, Pos: uint32(n)}, nil
}

// skipSource is the source named, or the task's only one.
func skipSource(g *topology.DAG, name string) (*topology.Source, error) {
	var names []string
	for _, s := range g.Sources {
		if s.Name == name || name == "" && len(g.Sources) == 1 {
			return s, nil
		}
		names = append(names, s.Name)
	}
	if name == "" {
		return nil, fmt.Errorf("the task has %d sources (%s); name one with --source", len(names), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("no source %q in the topology; its sources: %s", name, strings.Join(names, ", "))
}
