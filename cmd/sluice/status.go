package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/status"
)

func init() {
	register("status", &command{
		Summary: "show a running task's phase, positions, lag and snapshot progress",
		Run:     runStatus,
	})
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` of the running task (its engine.http_addr is used)")
	addr := fs.String("addr", "", "status endpoint `host:port` (instead of -f)")
	token := fs.String("token", os.Getenv("SLUICE_HTTP_TOKEN"), "bearer `token` when the endpoint requires one (default $SLUICE_HTTP_TOKEN)")
	asJSON := fs.Bool("json", false, "print the raw JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice status (-f FILE | --addr HOST:PORT) [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *addr == "" {
		if *file == "" {
			fmt.Fprintln(stderr, "sluice status: use -f FILE or --addr HOST:PORT")
			return 2
		}
		g, _ := loadValid("status", *file, stderr)
		if g == nil {
			return 1
		}
		*addr = g.Engine.HTTPAddr
		if *token == "" {
			*token = g.Engine.HTTPToken.Value()
		}
	}
	req, err := taskRequest(ctx, http.MethodGet, *addr, *token, "/status")
	if err != nil {
		fmt.Fprintf(stderr, "sluice status: %v\n", err)
		return 2
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "sluice status: no task answers at %s: %v (is `sluice run` running with this engine.http_addr?)\n", *addr, err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sluice status: %s: %s", resp.Status, body)
		return 1
	}
	if *asJSON {
		_, _ = stdout.Write(body)
		return 0
	}
	var v status.TaskView
	if err := json.Unmarshal(body, &v); err != nil {
		fmt.Fprintf(stderr, "sluice status: unreadable answer from %s: %v\n", *addr, err)
		return 1
	}
	printStatus(stdout, &v)
	return 0
}

func printStatus(w io.Writer, v *status.TaskView) {
	fmt.Fprintf(w, "task up %s\n", v.Uptime)
	for _, s := range v.Sources {
		fmt.Fprintf(w, "\nsource %s  phase %s  rows %d  lag %.1fs  in flight %s / %s  restarts %d\n",
			s.Name, s.Phase, s.Rows, s.LagSeconds, mib(s.InflightBytes), mib(s.BudgetBytes), s.Restarts)
		if s.Position != "" {
			fmt.Fprintf(w, "  read to     %s %s\n", s.Position, s.GTIDSet)
		}
		if s.TruncatesIgnored > 0 {
			fmt.Fprintf(w, "  TRUNCATE TABLE ignored %d times (ignore_ddl): the topics keep rows the tables no longer have\n", s.TruncatesIgnored)
		}
		for _, sk := range s.Skips {
			who := sk.Who
			if who == "" {
				who = "-"
			}
			fmt.Fprintf(w, "  skipped     %s  %.120q  digest %s  by %s at %s: %s\n",
				sk.Position, sk.Statement, sk.Digest, who, sk.At.Format(time.RFC3339), sk.Reason)
		}
		if s.Checkpoint != "" {
			fmt.Fprintf(w, "  checkpoint  %s\n", s.Checkpoint)
		}
		for _, t := range s.Tables {
			frac := 0.0
			if t.Chunks > 0 {
				frac = float64(t.ChunksDone) / float64(t.Chunks)
			}
			eta := "-"
			if t.ETASeconds > 0 {
				eta = (time.Duration(t.ETASeconds) * time.Second).String()
			}
			fmt.Fprintf(w, "  %-32s %s %3.0f%%  %d/%d chunks  %d/~%d rows  %.0f rows/s  ETA %s\n",
				t.Name, bar(frac, 20), 100*frac, t.ChunksDone, t.Chunks, t.Rows, t.EstimatedRows, t.RowsPerSecond, eta)
		}
	}
	for _, s := range v.Sinks {
		fmt.Fprintf(w, "\nsink %s  records %d  bytes %s  skipped %d  retries %d\n", s.Name, s.Records, mib(int64(s.Bytes)), s.Skipped, s.Retries)
	}
	if v.LastError != "" {
		fmt.Fprintf(w, "\nlast error: %s\n", v.LastError)
	}
}

func bar(frac float64, width int) string {
	n := int(frac*float64(width) + 0.5)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
