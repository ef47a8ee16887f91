package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/verify"
)

// The whole skip as a user does it, on the real MariaDB and Kafka: a task
// stops at a statement the parser rejects, `sluice run` prints the skip
// command with the file and position, that command (copied, with a reason)
// records the decision, the next `sluice run` goes on with the later rows,
// and `sluice status` lists the decision.
func TestSkip_Bed_CopiedCommandLetsTheTaskGoOn(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db, topic := testbed.NewDatabase(t), testbed.NewTopic(t, 1)
	testbed.AdminExec(t, "CREATE TABLE "+db+".keep (id INT PRIMARY KEY, v VARCHAR(16))")
	pos := testbed.BinlogPosition(t)
	cfg := testbed.MySQL(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "skip.yaml")
	topo := fmt.Sprintf(`version: 1
name: livechange-skip
engine:
  checkpoint_dir: %s/ck
  checkpoint_interval: 100ms
  http_addr: %s
sources:
  - name: bed
    flavor: mariadb
    host: %s
    port: %d
    user: %s
    password: %s
    server_id: %d
    start: {file: %s, pos: %d}
    objects:
      tables:
        - %s.keep
routers:
  - name: r
    from: bed
    policy: pk_hash
sinks:
  - name: k
    from: r
    brokers: [%s]
    topic: %s
    linger: 2ms
`, dir, addr, cfg.Host(), cfg.Port(), cfg.User, cfg.Password, testbed.ServerID(), pos.Name, pos.Pos, db, testbed.Kafka(t)[0], topic)
	if err := os.WriteFile(file, []byte(topo), 0o600); err != nil {
		t.Fatal(err)
	}
	sql := func(stmts ...string) {
		for i := range stmts {
			stmts[i] = strings.ReplaceAll(stmts[i], "$db", db)
		}
		testbed.AdminExec(t, stmts...)
	}
	// run starts `sluice run`; its end returns the exit code and stderr,
	// after SIGINT (cancel) when stop is set, else once the task stops by
	// itself (at most 60 s).
	run := func() (end func(stop bool) (int, string)) {
		ctx, cancel := context.WithCancel(context.Background())
		var stderr bytes.Buffer
		done := make(chan int, 1)
		go func() { done <- dispatch(ctx, []string{"run", "-f", file}, &bytes.Buffer{}, &stderr) }()
		return func(stop bool) (int, string) {
			defer cancel()
			if stop {
				cancel()
			}
			select {
			case code := <-done:
				return code, stderr.String()
			case <-time.After(60 * time.Second):
				cancel()
				<-done
				t.Fatalf("sluice run did not end within 60 s\n%s", stderr.String())
				return 0, ""
			}
		}
	}
	waitFor := func(id string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			msgs, err := verify.ReadAll(context.Background(), testbed.Kafka(t)[0], topic)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if bytes.Contains(m.Value, []byte(`"id":"`+id+`"`)) {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("row id=%s never reached the topic", id)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}

	end := run()
	sql("INSERT INTO $db.keep VALUES (1,'a')")
	waitFor("1")
	if code, stderr := end(true); code != 0 {
		t.Fatalf("graceful stop: code %d\n%s", code, stderr)
	}
	sql("INSERT INTO $db.keep VALUES (2,'b')", "ALTER TABLE $db.keep ADD INDEX iv (v) IGNORED",
		"INSERT INTO $db.keep VALUES (3,'c')", "ALTER TABLE $db.keep ADD COLUMN w INT", "INSERT INTO $db.keep VALUES (4,'d',44)")

	// The task stops by itself and prints the command.
	code, stderr := run()(false)
	m := regexp.MustCompile(`to skip that statement, run: (sluice skip -f (\S+) --source bed --at (\S+) --reason "WHY")`).FindStringSubmatch(stderr)
	if code != 1 || m == nil || m[2] != file {
		t.Fatalf("sluice run: code %d, want 1 and the skip command for %s; stderr:\n%s", code, file, stderr)
	}
	args := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(m[1], "sluice "), `"WHY"`))
	t.Setenv("USER", "ops-test")
	code, stdout, errOut := runCmd(t, append(args, "ignored index only; rows unchanged")...)
	if code != 0 || !strings.Contains(stdout, "ADD INDEX iv (v) IGNORED") || !strings.Contains(errOut, "skip decision recorded") {
		t.Fatalf("the copied command: code %d\nstdout: %s\nstderr: %s", code, stdout, errOut)
	}

	end = run()
	sql("INSERT INTO $db.keep VALUES (5,'e',55)")
	waitFor("5")
	waitFor("4")
	var out bytes.Buffer
	if c := dispatch(context.Background(), []string{"status", "-f", file, "--json"}, &out, &bytes.Buffer{}); c != 0 {
		t.Fatalf("sluice status: code %d", c)
	}
	var v status.TaskView
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	code, stderr = end(true)
	if code != 0 {
		t.Fatalf("graceful stop: code %d\n%s", code, stderr)
	}
	if sk := v.Sources[0].Skips; len(sk) != 1 || sk[0].Position != m[3] || sk[0].Who != "ops-test" || sk[0].Reason != "ignored index only; rows unchanged" {
		t.Errorf("sluice status lists %+v, want the decision at %s", sk, m[3])
	}
	if !strings.Contains(stderr, "DDL statement skipped by a recorded decision") {
		t.Errorf("the restart did not log the applied decision:\n%s", stderr)
	}
	t.Logf("RESULT skip via the CLI: stopped at %s, `%s` recorded the decision, rows 4 and 5 arrived after it", m[3], m[1])
}
