package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

func TestVerify_BadUsage(t *testing.T) {
	for _, args := range [][]string{{"verify"}, {"verify", "-f", "x.yaml", "extra"}, {"verify", "-f", "x.yaml", "--sample", "-1"}} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%q: exit code %d, want 2; stderr:\n%s", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"verify", "-f", filepath.Join(t.TempDir(), "none.yaml")}, &out, &errb); code != 1 {
		t.Errorf("missing file: exit code %d, want 1; stderr:\n%s", code, errb.String())
	}
}

// `sluice verify` as a user runs it: 0 on a task's topic that holds its
// table, 3 and the keys (also as JSON) once the table changed behind the
// task's back.
func TestVerify_Bed_ExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db, topic := testbed.NewDatabase(t), testbed.NewTopic(t, 2)
	testbed.AdminExec(t, "CREATE TABLE "+db+".t (id INT PRIMARY KEY, v VARCHAR(16))",
		"INSERT INTO "+db+".t VALUES (1,'a'), (2,'b'), (3,'c'), (4,'d')")
	cfg := testbed.MySQL(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "verify.yaml")
	topo := fmt.Sprintf(`version: 1
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
    start: initial
    objects:
      tables: [%s.t]
routers:
  - {name: r, from: bed, policy: pk_hash}
sinks:
  - {name: k, from: r, brokers: [%s], topic: %s, linger: 2ms}
`, dir, addr, cfg.Host(), cfg.Port(), cfg.User, cfg.Password, testbed.ServerID(), db, testbed.Kafka(t)[0], topic)
	if err := os.WriteFile(file, []byte(topo), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var runErr bytes.Buffer
	go func() { done <- dispatch(ctx, []string{"run", "-f", file}, &bytes.Buffer{}, &runErr) }()
	testbed.AdminExec(t, "UPDATE "+db+".t SET v = 'bb' WHERE id = 2", "DELETE FROM "+db+".t WHERE id = 3")
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), []string{"verify", "-f", file}, &out, &errb)
		if code == 0 && strings.Contains(out.String(), "ok      "+db+".t (topic "+topic+"): 3 source rows") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sluice verify never exited 0 (last %d):\n%s%s", code, out.String(), errb.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("sluice run: exit code %d\n%s", code, runErr.String())
	}
	testbed.AdminExec(t, "SET SESSION sql_log_bin = 0", "UPDATE "+db+".t SET v = 'x' WHERE id = 4",
		"INSERT INTO "+db+".t VALUES (9, 'new')")
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"verify", "-f", file, "--json"}, &out, &errb); code != 3 {
		t.Fatalf("exit code %d, want 3:\n%s%s", code, out.String(), errb.String())
	}
	var rep verify.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	if len(rep.Tables) != 1 || fmt.Sprint(rep.Tables[0].MissingKeys) != "[9]" || rep.Tables[0].Changed != 1 ||
		!strings.HasPrefix(rep.Tables[0].ChangedKeys[0], `4: v = "d", want "x"`) {
		t.Errorf("report: %s", out.String())
	}
}
