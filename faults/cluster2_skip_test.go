package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/verify"
)

// TestCluster_SkipLetsAStoppedTaskGoOn runs a cluster task into a DDL
// statement the schema history rejects: the task stops, its node logs the
// sluice skip command for the cluster (-c, --task), that command records
// the decision in the task's state in etcd (as a request beside the
// owner's state, never over it), the node's next try adopts it and goes on
// with the later rows, sluice tasks lists the decision, the owner's status
// shows it, and etcd's history has no state write of anyone but the owner.
func TestCluster_SkipLetsAStoppedTaskGoOn(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	cli := testbed.EtcdClient(t)
	ctx := context.Background()
	from, err := cli.Get(ctx, prefix+"/")
	if err != nil {
		t.Fatal(err)
	}
	db, topic := testbed.NewDatabase(t), testbed.NewTopic(t, 1)
	sql := func(stmts ...string) {
		for i := range stmts {
			stmts[i] = strings.ReplaceAll(stmts[i], "$db", db)
		}
		testbed.AdminExec(t, stmts...)
	}
	sql("CREATE TABLE $db.keep (id INT PRIMARY KEY, v VARCHAR(16))")
	tp := newTopo(t, "skipped", db, topic)
	tp.Tables = []string{db + ".keep"}
	nd := startNodes(t, prefix, 1, nil)[0]
	sluiceCLI(t, "submit", "-c", nd.file, "-f", tp.write(t))
	waitRow := func(id string, timeout time.Duration) time.Time {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for {
			msgs, err := verify.ReadAll(ctx, testbed.Kafka(t)[0], topic)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				if bytes.Contains(m.Value, []byte(`"id":"`+id+`"`)) || bytes.Contains(m.Value, []byte(`"id":`+id+`,`)) {
					return time.Now()
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("row id=%s never reached the topic within %s; node log:\n%s", id, timeout, tail(nd.p.log(), 30))
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	sql("INSERT INTO $db.keep VALUES (1,'a')")
	waitRow("1", 60*time.Second)
	// The statements are written while no node runs the task: a reader that
	// met the rejected DDL at the head of the binlog would re-read the
	// table's definition and go on, as the schema history does by design.
	if code := nd.p.term(30 * time.Second); code != 0 {
		t.Fatalf("graceful stop of %s: code %d\n%s", nd.name, code, tail(nd.p.log(), 30))
	}
	sql("INSERT INTO $db.keep VALUES (2,'b')", "ALTER TABLE $db.keep ADD INDEX iv (v) IGNORED",
		"INSERT INTO $db.keep VALUES (3,'c')", "ALTER TABLE $db.keep ADD COLUMN w INT", "INSERT INTO $db.keep VALUES (4,'d',44)")
	nd = startNode(t, prefix, nd.name, testbed.Etcd(t))

	// The node logs the command that records the decision.
	cmdRe := regexp.MustCompile(`sluice skip -c (\S+) --task (\S+) --source (\S+) --at ([^\s"\\]+)`)
	var m []string
	deadline := time.Now().Add(60 * time.Second)
	for m == nil {
		if m = cmdRe.FindStringSubmatch(nd.p.log()); m == nil {
			if time.Now().After(deadline) {
				t.Fatalf("the node logged no skip command within 60 s:\n%s", tail(nd.p.log(), 30))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if m[1] != nd.file || m[2] != "skipped" || m[3] != "src" {
		t.Fatalf("the logged command %q names another node file, task or source", m[0])
	}
	skipAt := m[4]
	cmd := exec.Command(sluiceBin, "skip", "-c", m[1], "--task", m[2], "--source", m[3], "--at", skipAt, "--reason", "ignored index only; rows unchanged")
	cmd.Env = append(cmd.Environ(), "USER=ops-cluster")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ADD INDEX iv (v) IGNORED") || !strings.Contains(string(out), "once the task's owner starts it again") {
		t.Fatalf("sluice skip -c: %v\n%s", err, out)
	}
	recorded := time.Now()
	// The task's next try goes on past the statement.
	waitRow("3", 60*time.Second)
	at := waitRow("4", 30*time.Second)
	sql("INSERT INTO $db.keep VALUES (5,'e',55)")
	waitRow("5", 30*time.Second)
	t.Logf("decision recorded; rows after the statement arrived %.1f s later (the node retries a stopped task every 10 s)", at.Sub(recorded).Seconds())
	if !strings.Contains(nd.p.log(), "skip decision adopted") || !strings.Contains(nd.p.log(), "DDL statement skipped by a recorded decision") {
		t.Errorf("the owner did not log the adoption and the skip:\n%s", tail(nd.p.log(), 30))
	}

	// sluice tasks lists it; so does the owner's status.
	list := sluiceCLI(t, "tasks", "-c", nd.file)
	if !strings.Contains(list, "skip: task skipped source src at "+skipAt+" (recorded)") || !strings.Contains(list, "by ops-cluster") {
		t.Errorf("sluice tasks does not list the decision at %s:\n%s", skipAt, list)
	}
	var js struct {
		Tasks []taskRowJSON `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(sluiceCLI(t, "tasks", "-c", nd.file, "--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Tasks) != 1 || len(js.Tasks[0].Skips) != 1 || len(js.Tasks[0].Skips[0].Recorded) != 1 || len(js.Tasks[0].Skips[0].Requested) != 0 {
		t.Errorf("sluice tasks --json: %+v; want one recorded decision", js.Tasks)
	}
	v, err := cluster.Read(ctx, cli, prefix)
	if err != nil || v.Tasks["skipped"] == nil {
		t.Fatalf("reading the cluster: %+v, %v", v, err)
	}
	src, ok := nodeSource(t, nd, "skipped", v.Tasks["skipped"].Epoch)
	if !ok || len(src.Skips) != 1 || src.Skips[0].Position != skipAt || src.Skips[0].Who != "ops-cluster" {
		t.Errorf("the owner's /status shows %+v (running %v); want the decision at %s", src.Skips, ok, skipAt)
	}
	t.Logf("sluice tasks:\n%s", list)
	// Only owners wrote the task's state, the decision included.
	auditCheckpoints(t, prefix, nil, from.Header.Revision, []string{"skipped"})
}

// taskRowJSON is the part of a sluice tasks --json row this test reads.
type taskRowJSON struct {
	Task  string `json:"task"`
	Skips []struct {
		Source    string            `json:"source"`
		Recorded  []json.RawMessage `json:"recorded"`
		Requested []json.RawMessage `json:"requested"`
	} `json:"skips"`
}
