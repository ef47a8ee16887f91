package securitytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// task is a topology file for the sluice binary: the bed's MariaDB over TLS
// and the bed's Kafka over SASL_SSL, with secrets written as references.
type task struct {
	Dir        string
	DB         string // database whose tables are captured
	Topic      string // existing topic
	MySQLAddr  string // host
	MySQLPort  int
	MySQLUser  string
	MySQLPass  string // the YAML value: a ${env:...} or ${file:...} reference
	MySQLTLS   string // YAML flow mapping of sources[].tls
	ServerID   int
	Broker     string
	KafkaTLS   string // YAML flow mapping of sinks[].tls; "" for none
	Mechanism  string // "" for no SASL
	KafkaUser  string
	KafkaPass  string // the YAML value
	HTTPAddr   string
	HTTPToken  string // the YAML value; "" for none
	RetryShort bool   // a short retry_window, so a failing run ends soon
}

var taskTemplate = template.Must(template.New("task").Parse(`version: 1
engine:
  checkpoint_dir: {{.Dir}}/checkpoints
  checkpoint_interval: 200ms
  http_addr: {{.HTTPAddr}}
{{- if .HTTPToken}}
  http_token: "{{.HTTPToken}}"
{{- end}}
sources:
  - name: secure-db
    flavor: mariadb
    host: {{.MySQLAddr}}
    port: {{.MySQLPort}}
    user: {{.MySQLUser}}
    password: "{{.MySQLPass}}"
    tls: {{.MySQLTLS}}
    server_id: {{.ServerID}}
    start: initial
{{- if .RetryShort}}
    retry_window: 5s
{{- end}}
    objects:
      tables: ["{{.DB}}.*"]
sinks:
  - name: secure-kafka
    from: secure-db
    brokers: [{{.Broker}}]
    topic: {{.Topic}}
    create_topics: never
    linger: 2ms
{{- if .KafkaTLS}}
    tls: {{.KafkaTLS}}
{{- end}}
{{- if .Mechanism}}
    sasl:
      mechanism: {{.Mechanism}}
      user: {{.KafkaUser}}
      password: "{{.KafkaPass}}"
{{- end}}
`))

// write writes the file as name.yaml in Dir and returns its path.
func (tk *task) write(t *testing.T, name string) string {
	t.Helper()
	var b bytes.Buffer
	if err := taskTemplate.Execute(&b, tk); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(tk.Dir, name+".yaml")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// newTask is a working task on the bed: a fresh database with one table of
// rows rows, a fresh topic, MariaDB over verify-identity TLS as the given
// account, Kafka over SASL_SSL with SCRAM-SHA-512 as the given user.
func newTask(t *testing.T, rows int, mysqlUser, mysqlPass, kafkaUser, kafkaPass string) *task {
	t.Helper()
	cfg := testbed.MySQL(t)
	db := testbed.NewDatabase(t)
	stmts := []string{fmt.Sprintf("CREATE TABLE `%s`.items (id INT PRIMARY KEY, note VARCHAR(40))", db)}
	for i := 1; i <= rows; i++ {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO `%s`.items VALUES (%d, 'row %d')", db, i, i))
	}
	testbed.AdminExec(t, stmts...)
	return &task{
		Dir: t.TempDir(), DB: db, Topic: testbed.NewTopic(t, 1),
		MySQLAddr: cfg.Host(), MySQLPort: int(cfg.Port()), MySQLUser: mysqlUser, MySQLPass: mysqlPass,
		MySQLTLS: fmt.Sprintf("{mode: verify-identity, ca_file: %s}", tlsFile(t, "ca.pem")),
		ServerID: int(testbed.ServerID()),
		Broker:   saslBroker(t), KafkaTLS: fmt.Sprintf("{ca_file: %s}", tlsFile(t, "ca.pem")),
		Mechanism: "SCRAM-SHA-512", KafkaUser: kafkaUser, KafkaPass: kafkaPass,
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
}

// syncBuffer is a bytes.Buffer safe for a process's two output streams and
// a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a `sluice run` in the background.
type running struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	code int
}

// startRun starts `sluice run` with args and extra environment; it is killed
// in Cleanup if still running.
func startRun(t *testing.T, env []string, args ...string) *running {
	t.Helper()
	r := &running{out: &syncBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(sluiceBin, append([]string{"run"}, args...)...)
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start sluice run: %v", err)
	}
	go func() {
		_ = r.cmd.Wait()
		r.code = r.cmd.ProcessState.ExitCode()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// stop sends SIGTERM and waits for the exit, killing after timeout.
func (r *running) stop(t *testing.T, timeout time.Duration) int {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(timeout):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Errorf("sluice run did not stop within %v of SIGTERM", timeout)
	}
	return r.code
}

// exited waits up to timeout for the process to end by itself.
func (r *running) exited(timeout time.Duration) bool {
	select {
	case <-r.done:
		return true
	case <-time.After(timeout):
		return false
	}
}
