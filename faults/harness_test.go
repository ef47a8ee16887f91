package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	bolt "go.etcd.io/bbolt"

	"github.com/segmentio/kafka-go"
	"github.com/sluicecdc/sluice/internal/testbed"
)

var chaosFlag = flag.Bool("chaos", false, "run the long form of the fault suite (make chaos); also SLUICE_CHAOS=1")

// sluiceBin is the sluice binary TestMain builds.
var sluiceBin string

// chaos reports whether the long form runs.
func chaos() bool { return *chaosFlag || os.Getenv("SLUICE_CHAOS") != "" }

// pick returns short in the short form and long in the long form.
func pick[T any](short, long T) T {
	if chaos() {
		return long
	}
	return short
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(func() int {
		if !testing.Short() {
			dir, err := os.MkdirTemp("", "sluice-faults-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			sluiceBin = filepath.Join(dir, "sluice")
			goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
			if p, err := exec.LookPath("go"); err == nil {
				goBin = p
			}
			out, err := exec.Command(goBin, "build", "-o", sluiceBin, "github.com/sluicecdc/sluice/cmd/sluice").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "faults: building sluice: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}())
}

func needBed(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
}

// --- the sluice process ------------------------------------------------------

// proc is one run of `sluice run` as a subprocess.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	logPath string
	started time.Time
	done    chan struct{}
	exit    int // valid once done is closed; -1 when killed by a signal

	peakRSS atomic.Int64 // bytes, the highest VmHWM seen
	lastRSS atomic.Int64 // bytes, the last VmRSS seen
}

// startSluice runs `sluice run -f file` with args, appending its output to
// logPath. The process is killed in Cleanup if it still runs.
func startSluice(t *testing.T, file, logPath string, args ...string) *proc {
	t.Helper()
	return startCommand(t, logPath, append([]string{"run", "-f", file, "--log-level", "info"}, args...)...)
}

// startCommand runs sluice with args (a subcommand and its flags),
// appending its output to logPath. The process is killed in Cleanup if it
// still runs.
func startCommand(t *testing.T, logPath string, args ...string) *proc {
	t.Helper()
	return startCommandIn(t, logPath, nil, args...)
}

// startCommandIn is startCommand with the sluice command run by wrap (e.g.
// ip netns exec NAME), nil for none.
func startCommandIn(t *testing.T, logPath string, wrap []string, args ...string) *proc {
	t.Helper()
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "=== sluice %s at %s\n", strings.Join(args, " "), time.Now().Format(time.RFC3339Nano))
	p := &proc{t: t, logPath: logPath, done: make(chan struct{})}
	p.cmd = exec.Command(sluiceBin, args...)
	if len(wrap) > 0 {
		p.cmd = exec.Command(wrap[0], append(append(wrap[1:len(wrap):len(wrap)], sluiceBin), args...)...)
	}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatalf("start sluice: %v", err)
	}
	go func() {
		err := p.cmd.Wait()
		_ = f.Close()
		p.exit = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.exit = ee.ExitCode()
		} else if err != nil {
			p.exit = -2
		}
		close(p.done)
	}()
	go p.sample()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if _, dumped := dumpedLogs.LoadOrStore(logPath, true); t.Failed() && !dumped {
			t.Logf("sluice log %s (last 60 lines):\n%s", logPath, tail(p.log(), 60))
		}
	})
	return p
}

// dumpedLogs holds the log paths already shown for a failed test.
var dumpedLogs sync.Map

// sample reads the process's memory from /proc every 100 ms.
func (p *proc) sample() {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if hwm, rss, ok := memOf(p.cmd.Process.Pid); ok {
			if hwm > p.peakRSS.Load() {
				p.peakRSS.Store(hwm)
			}
			p.lastRSS.Store(rss)
		}
		select {
		case <-p.done:
			return
		case <-tick.C:
		}
	}
}

// memOf reads VmHWM and VmRSS (bytes) of pid.
func memOf(pid int) (hwm, rss int64, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		f := strings.Fields(v)
		if len(f) < 1 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmHWM":
			hwm = n << 10
		case "VmRSS":
			rss = n << 10
		}
	}
	return hwm, rss, hwm > 0
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill9 kills the process with SIGKILL and waits for it.
func (p *proc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// term sends SIGTERM and waits up to timeout for the exit code.
func (p *proc) term(timeout time.Duration) int {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(timeout)
}

// wait waits up to timeout for the process to exit and returns its code;
// it fails the test when the process is still running.
func (p *proc) wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.exit
	case <-time.After(timeout):
		p.t.Fatalf("sluice still running %s after it should have exited; log %s:\n%s", timeout, p.logPath, tail(p.log(), 40))
		return 0
	}
}

// log is everything the process's runs wrote to the log file so far.
func (p *proc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// --- topology files -----------------------------------------------------------

// topo is the topology file a test runs.
type topo struct {
	Dir        string // holds the file (named Task.yaml) and the checkpoint dir
	Task       string
	Host       string
	Port       int
	User       string
	Password   string
	ServerID   int
	Tables     []string // patterns
	Start      string   // YAML of the source's start
	ChunkSize  int      // snapshot chunk size; 0: default
	RowsPerSec int      // snapshot max_rows_per_second (with ChunkSize); 0: no limit
	Retry      string   // retry_window; "": default
	Brokers    string
	Topic      string
	// Partitions of the topics sluice creates; 0: the topic exists.
	Partitions      int
	Policy          string
	Inflight        string
	MaxMessageBytes string
	Oversize        string
	Interval        string // checkpoint_interval
	HTTPPort        int    // of the status endpoint
}

var topoTemplate = template.Must(template.New("topo").Parse(`version: 1
engine:
  checkpoint_dir: {{.Dir}}/checkpoints
  checkpoint_interval: {{or .Interval "200ms"}}
  http_addr: 127.0.0.1:{{.HTTPPort}}
{{- if .Inflight}}
  inflight_bytes: {{.Inflight}}
{{- end}}
sources:
  - name: src
    flavor: mariadb
    host: {{.Host}}
    port: {{.Port}}
    user: {{.User}}
    password: {{.Password}}
    server_id: {{.ServerID}}
    start: {{or .Start "latest"}}
{{- if .Retry}}
    retry_window: {{.Retry}}
{{- end}}
{{- if .ChunkSize}}
    snapshot: {chunk_size: {{.ChunkSize}}, parallelism: 2{{if .RowsPerSec}}, max_rows_per_second: {{.RowsPerSec}}{{end}}}
{{- end}}
    objects:
      tables: [{{range $i, $p := .Tables}}{{if $i}}, {{end}}"{{$p}}"{{end}}]
routers:
  - name: by-key
    from: src
    policy: {{or .Policy "pk_hash"}}
sinks:
  - name: kafka
    from: by-key
    brokers: [{{.Brokers}}]
    topic: {{.Topic}}
    linger: 2ms
{{- if .Partitions}}
    partitions: {{.Partitions}}
{{- else}}
    create_topics: never
{{- end}}
{{- if .MaxMessageBytes}}
    max_message_bytes: {{.MaxMessageBytes}}
{{- end}}
{{- if .Oversize}}
    oversize: {{.Oversize}}
{{- end}}
`))

// newTopo fills a topo for the shared bed: the sluice account, a fresh
// server_id, the bed's Kafka, and a start at the current binlog position
// (so that writes made before sluice runs are captured too).
func newTopo(t *testing.T, task, db, topic string) *topo {
	t.Helper()
	cfg := testbed.MySQL(t)
	pos := testbed.BinlogPosition(t)
	return &topo{
		HTTPPort: freePort(t),
		Start:    fmt.Sprintf("{file: %s, pos: %d}", pos.Name, pos.Pos),
		Dir:      t.TempDir(), Task: task,
		Host: cfg.Host(), Port: int(cfg.Port()), User: cfg.User, Password: cfg.Password,
		ServerID: int(testbed.ServerID()),
		Tables:   []string{db + ".*"}, Brokers: testbed.Kafka(t)[0], Topic: topic,
	}
}

// write writes the file and returns its path.
func (tp *topo) write(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	if err := topoTemplate.Execute(&b, tp); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(tp.Dir, tp.Task+".yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkpointFile is the task's bbolt file.
func (tp *topo) checkpointFile() string {
	return filepath.Join(tp.Dir, "checkpoints", "checkpoints.db")
}

// start writes the file and starts sluice on it with args, logging to
// Dir/sluice.log.
func (tp *topo) start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startSluice(t, tp.write(t), filepath.Join(tp.Dir, "sluice.log"), args...)
}

// pointAt makes the topology's source the server at addr.
func (tp *topo) pointAt(t *testing.T, addr string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	tp.Host = host
	if tp.Port, err = strconv.Atoi(port); err != nil {
		t.Fatal(err)
	}
}

// --- checkpoints ----------------------------------------------------------------

// checkpoint is the part of a stored checkpoint the tests look at.
type checkpoint struct {
	Pos struct {
		File string `json:"file"`
		Pos  uint32 `json:"pos"`
	} `json:"pos"`
	GTIDSet    string `json:"gtid_set"`
	Seq        uint64 `json:"seq"`
	ServerUUID string `json:"server_uuid"`
	// Partitions: sink → topic → the partition count records were routed by.
	Partitions map[string]map[string]int `json:"partitions"`
}

// readCheckpoint reads source's checkpoint from a stopped task's file,
// read-only; ok is false when none was committed.
func readCheckpoint(t *testing.T, path, source string) (cp checkpoint, ok bool) {
	t.Helper()
	cp, ok, _ = readState(t, path, source)
	return cp, ok
}

// readState reads source's checkpoint and whether its snapshot finished.
func readState(t *testing.T, path, source string) (cp checkpoint, ok, snapshotDone bool) {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return cp, false, false
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		srcs := tx.Bucket([]byte("SOURCES"))
		if srcs == nil {
			return nil
		}
		b := srcs.Bucket([]byte(source))
		if b == nil {
			return nil
		}
		if v := b.Get([]byte("snapshot")); v != nil {
			var snap struct {
				Finished bool `json:"finished"`
			}
			if err := json.Unmarshal(v, &snap); err != nil {
				return err
			}
			snapshotDone = snap.Finished
		}
		v := b.Get([]byte("checkpoint"))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &cp)
	})
	if err != nil {
		t.Fatalf("read checkpoint of %s in %s: %v", source, path, err)
	}
	return cp, ok, snapshotDone
}

// --- Kafka ------------------------------------------------------------------------

// endOffsets returns the end offset of every partition of topic.
func endOffsets(ctx context.Context, broker, topic string) (map[int]int64, error) {
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, err
	}
	parts, err := conn.ReadPartitions(topic)
	_ = conn.Close()
	if err != nil {
		return nil, err
	}
	out := map[int]int64{}
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", broker, topic, p.ID)
		if err != nil {
			return nil, err
		}
		off, err := lc.ReadLastOffset()
		_ = lc.Close()
		if err != nil {
			return nil, err
		}
		out[p.ID] = off
	}
	return out, nil
}

func sum(m map[int]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// waitForWrites polls until the topic holds more than n records, and
// returns when it did; it fails the test after timeout.
func waitForWrites(t *testing.T, broker, topic string, n int64, timeout time.Duration, p *proc) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err == nil && sum(offs) > n {
			return time.Now()
		}
		if p != nil && !p.running() {
			t.Fatalf("sluice exited (code %d) before writing; log:\n%s", p.exit, tail(p.log(), 40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("no record beyond %d in %s after %s (last error %v)", n, topic, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitForQuiet polls until the topic's end offsets stop moving for quiet,
// and returns them.
func waitForQuiet(t *testing.T, broker, topic string, quiet, timeout time.Duration) map[int]int64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last map[int]int64
	lastChange := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		offs, err := endOffsets(ctx, broker, topic)
		cancel()
		if err == nil {
			if last == nil || sum(offs) != sum(last) {
				last, lastChange = offs, time.Now()
			} else if time.Since(lastChange) >= quiet {
				return offs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("topic %s kept changing for %s (last error %v)", topic, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// --- private services ----------------------------------------------------------------

// privateBed is a MariaDB or a Kafka of its own, started with the bed's
// scripts (SLUICE_BED_ONLY) on free ports in a temporary bed dir, so that a
// test can stop or purge it without disturbing the shared bed.
type privateBed struct {
	only string // "kafka" or "mariadb"
	dir  string
	env  []string
	addr string
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// repoRoot is the module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func startPrivate(t *testing.T, only string, env ...string) *privateBed {
	t.Helper()
	b := newPrivate(t, only, env...)
	t.Cleanup(func() { b.script(t, "down.sh") })
	b.script(t, "up.sh")
	return b
}

// newPrivate prepares a private instance (its directory, ports and the
// environment of the testbed scripts) without starting it.
func newPrivate(t *testing.T, only string, env ...string) *privateBed {
	t.Helper()
	dir, err := os.MkdirTemp("", "sluice-bed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	b := &privateBed{only: only, dir: dir}
	b.env = append(append(os.Environ(), "SLUICE_BED_DIR="+dir, "SLUICE_BED_ONLY="+only), env...)
	switch only {
	case "kafka":
		// Reuse the shared bed's jars instead of resolving them again.
		if err := os.MkdirAll(filepath.Join(dir, "kafka"), 0o755); err != nil {
			t.Fatal(err)
		}
		libs := filepath.Join(testbed.BedDir(), "kafka", "libs")
		if _, err := os.Stat(filepath.Join(libs, ".version")); err == nil {
			if err := os.Symlink(libs, filepath.Join(dir, "kafka", "libs")); err != nil {
				t.Fatal(err)
			}
		}
		port := freePort(t)
		b.env = append(b.env, "SLUICE_BED_KAFKA_PORT="+strconv.Itoa(port),
			"SLUICE_BED_KAFKA_CONTROLLER_PORT="+strconv.Itoa(freePort(t)))
		b.addr = "127.0.0.1:" + strconv.Itoa(port)
	case "mariadb":
		port := freePort(t)
		b.env = append(b.env, "SLUICE_BED_MYSQL_PORT="+strconv.Itoa(port))
		b.addr = "127.0.0.1:" + strconv.Itoa(port)
	default:
		t.Fatalf("startPrivate(%q)", only)
	}
	return b
}

func (b *privateBed) script(t *testing.T, name string) {
	t.Helper()
	run := func() ([]byte, error) {
		cmd := exec.Command("bash", filepath.Join(repoRoot(t), "testbed", name))
		cmd.Env = b.env
		return cmd.CombinedOutput()
	}
	out, err := run()
	if err != nil && name == "up.sh" {
		// A start can fail on a loaded machine (a port taken between
		// freePort and the bind, a slow first start): say why, try once more.
		t.Logf("private %s: testbed/up.sh failed, retrying once: %v\n%s\nservice log:\n%s", b.only, err, out, tail(b.serviceLog(), 30))
		out, err = run()
	}
	if err != nil {
		t.Fatalf("private %s: testbed/%s: %v\n%s\nservice log:\n%s", b.only, name, err, out, tail(b.serviceLog(), 30))
	}
}

// serviceLog is the service's log, or a note that there is none.
func (b *privateBed) serviceLog() string {
	f := filepath.Join(b.dir, "mariadb", "mariadb.log")
	if b.only == "kafka" {
		f = filepath.Join(b.dir, "kafka", "kafka.log")
	}
	raw, err := os.ReadFile(f)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(raw)
}

// pidFile is the service's pid file.
func (b *privateBed) pidFile() string {
	if b.only == "kafka" {
		return filepath.Join(b.dir, "kafka", "kafka.pid")
	}
	return filepath.Join(b.dir, "mariadb", "mariadb.pid")
}

// kill stops the service's process with sig and waits until it is gone.
func (b *privateBed) kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	raw, err := os.ReadFile(b.pidFile())
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("pid file %s: %q", b.pidFile(), raw)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill %d: %v", pid, err)
	}
	for i := 0; i < 600; i++ {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("private %s (pid %d) still running 60s after signal %v", b.only, pid, sig)
}

// admin connects to a private MariaDB as its admin, closed in Cleanup.
func (b *privateBed) admin(t *testing.T) *client.Conn {
	t.Helper()
	c, err := client.ConnectWithTimeout(b.addr, "sluice_admin", "admin", "", 5*time.Second)
	if err != nil {
		t.Fatalf("connect to the private MariaDB at %s: %v", b.addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// mustExec runs each statement on c; a failing one fails the test.
// currentStart is the start YAML of a source at the current binlog position
// of the server c is connected to.
func currentStart(t *testing.T, c *client.Conn) string {
	t.Helper()
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		t.Fatal(err)
	}
	file, _ := r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	return fmt.Sprintf("{file: %s, pos: %d}", file, pos)
}

func mustExec(t *testing.T, c *client.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		if _, err := c.Execute(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// start (re)starts the service.
func (b *privateBed) start(t *testing.T) { t.Helper(); b.script(t, "up.sh") }
