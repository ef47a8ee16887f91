package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SluiceConfig is one Sluice task of a benchmark run.
type SluiceConfig struct {
	// Bin is the sluice binary; Dir the run's directory (topology,
	// checkpoints, log).
	Bin, Dir string
	// Source: the CDC account (the DTS privileges only).
	MySQL    MySQL
	ServerID int
	// Tables is the pattern of the captured tables, e.g. "bench_cdc.*".
	Tables string
	// Start is "initial", "latest" or "FILE:POS".
	Start string
	// Incremental false ends the task after the snapshot.
	Incremental bool
	// Snapshot tuning (start initial only).
	Parallelism, ChunkSize int

	Brokers []string
	Topic   string
	Sink    SinkSettings
	// Inflight is engine.inflight_bytes ("" = the default).
	Inflight string
	// CPUProfile, when set, is where the process writes a CPU profile
	// (SLUICE_CPUPROFILE).
	CPUProfile string
	// MemProfile, when set, is where the process writes heap profiles
	// (SLUICE_MEMPROFILE, one per SIGUSR1); WatchPeak takes them.
	MemProfile string
	// HTTPAddr is engine.http_addr; StartSluice picks a free loopback port
	// when it is empty, so that runs do not collide with other tasks.
	HTTPAddr string
}

// SinkSettings are the tunable settings of the Kafka sink; "" or 0 keep
// Sluice's defaults.
type SinkSettings struct {
	Compression, BatchBytes, Linger string
	// Partitions of the topic; more than 1 routes by primary key hash.
	Partitions int
}

// Topology renders the task's topology file.
func (c SluiceConfig) Topology() string {
	var b strings.Builder
	host, port, _ := strings.Cut(c.MySQL.Addr, ":")
	fmt.Fprintf(&b, "version: 1\nengine:\n  checkpoint_dir: %s\n", filepath.Join(c.Dir, "checkpoints"))
	if c.HTTPAddr != "" {
		fmt.Fprintf(&b, "  http_addr: %s\n", c.HTTPAddr)
	}
	if c.Inflight != "" {
		fmt.Fprintf(&b, "  inflight_bytes: %s\n", c.Inflight)
	}
	fmt.Fprintf(&b, "sources:\n  - name: bench-db\n    flavor: mariadb\n    host: %s\n    port: %s\n    user: %s\n    password: %q\n    server_id: %d\n",
		host, port, c.MySQL.User, c.MySQL.Password, c.ServerID)
	switch {
	case c.Start == "initial" || c.Start == "latest":
		fmt.Fprintf(&b, "    start: %s\n", c.Start)
	default:
		file, pos, _ := strings.Cut(c.Start, ":")
		fmt.Fprintf(&b, "    start: {file: %s, pos: %s}\n", file, pos)
	}
	fmt.Fprintf(&b, "    phases: {schema_sync: false, incremental: %t}\n", c.Incremental)
	if c.Start == "initial" && (c.Parallelism > 0 || c.ChunkSize > 0) {
		b.WriteString("    snapshot: {")
		sep := ""
		if c.Parallelism > 0 {
			fmt.Fprintf(&b, "parallelism: %d", c.Parallelism)
			sep = ", "
		}
		if c.ChunkSize > 0 {
			fmt.Fprintf(&b, "%schunk_size: %d", sep, c.ChunkSize)
		}
		b.WriteString("}\n")
	}
	fmt.Fprintf(&b, "    objects:\n      tables: [%q]\n", c.Tables)
	from := "bench-db"
	if c.Sink.Partitions > 1 {
		b.WriteString("routers:\n  - name: by-key\n    from: bench-db\n    policy: pk_hash\n")
		from = "by-key"
	}
	fmt.Fprintf(&b, "sinks:\n  - name: kafka\n    from: %s\n    brokers: [%s]\n    topic: %s\n", from, strings.Join(c.Brokers, ", "), c.Topic)
	if c.Sink.Compression != "" {
		fmt.Fprintf(&b, "    compression: %s\n", c.Sink.Compression)
	}
	if c.Sink.BatchBytes != "" {
		fmt.Fprintf(&b, "    batch_bytes: %s\n", c.Sink.BatchBytes)
	}
	if c.Sink.Linger != "" {
		fmt.Fprintf(&b, "    linger: %s\n", c.Sink.Linger)
	}
	if c.Sink.Partitions > 1 {
		fmt.Fprintf(&b, "    partitions: %d\n", c.Sink.Partitions)
	}
	return b.String()
}

// Process is a benchmarked process (Sluice, or Java running Connect).
type Process struct {
	Name string
	Pid  int
	// Log is the file holding the process's stdout and stderr.
	Log     string
	Started time.Time
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
}

// StartSluice empties c.Dir (a run never resumes an older run's
// checkpoint), writes the topology into it and starts `sluice run`.
func StartSluice(c SluiceConfig) (*Process, error) {
	if err := os.RemoveAll(c.Dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	if c.HTTPAddr == "" {
		addr, err := freePort()
		if err != nil {
			return nil, err
		}
		c.HTTPAddr = addr
	}
	topo := filepath.Join(c.Dir, "topology.yaml")
	if err := os.WriteFile(topo, []byte(c.Topology()), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Bin, "run", "-f", topo, "--log-level", "warn")
	if c.CPUProfile != "" || c.MemProfile != "" {
		cmd.Env = os.Environ()
		if c.CPUProfile != "" {
			cmd.Env = append(cmd.Env, "SLUICE_CPUPROFILE="+c.CPUProfile)
		}
		if c.MemProfile != "" {
			cmd.Env = append(cmd.Env, "SLUICE_MEMPROFILE="+c.MemProfile)
		}
	}
	return startProcess("sluice", cmd, filepath.Join(c.Dir, "sluice.log"))
}

func startProcess(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Pid: cmd.Process.Pid, Log: logPath, Started: time.Now(), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		lf.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Usage is the OS's account of a finished process (wait4 rusage).
type Usage struct {
	CPU    time.Duration
	MaxRSS int64 // bytes
}

// Stop sends sig (SIGTERM when 0), waits up to timeout, then kills the
// process group. It returns the process's rusage.
func (p *Process) Stop(sig syscall.Signal, timeout time.Duration) (Usage, error) {
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if !p.Exited() {
		_ = p.cmd.Process.Signal(sig)
	}
	var err error
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		<-p.done
		err = fmt.Errorf("%s (pid %d) did not stop within %v after %v; killed", p.Name, p.Pid, timeout, sig)
	}
	var u Usage
	if ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		u.MaxRSS = ru.Maxrss * 1024
	}
	return u, err
}

// Wait waits until the process ends by itself, up to timeout.
func (p *Process) Wait(ctx context.Context, timeout time.Duration) error {
	select {
	case <-p.done:
		var ee *exec.ExitError
		if errors.As(p.err, &ee) {
			return fmt.Errorf("%s exited: %w (log: %s)", p.Name, p.err, p.Log)
		}
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.Name, timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Tail returns the last n bytes of the process's log.
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr, nil
}

// WatchPeak asks a process started with SLUICE_MEMPROFILE for a heap
// profile (SIGUSR1) each time its resident set grows past its last peak by
// 5%, so that the last profile written shows the heap near the peak. The
// returned function stops watching.
func (p *Process) WatchPeak() (stop func()) {
	done := make(chan struct{})
	go func() {
		var peak int64
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
			}
			ps, err := ReadProc(p.Pid)
			if err != nil {
				return
			}
			if ps.RSS > peak+peak/20 {
				peak = ps.RSS
				_ = p.cmd.Process.Signal(syscall.SIGUSR1)
			}
		}
	}()
	return func() { close(done) }
}
