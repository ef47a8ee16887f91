package faults

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/internal/testbed"
)

// sluiceFails runs a short sluice command that must fail and returns its
// output and how long it took.
func sluiceFails(t *testing.T, args ...string) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	out, err := exec.Command(sluiceBin, args...).CombinedOutput()
	took := time.Since(start)
	if err == nil {
		t.Fatalf("sluice %s succeeded, want a refusal:\n%s", strings.Join(args, " "), out)
	}
	return string(out), took
}

// TestCluster_BadInputIsRefusedWithTheFix runs the cluster's tools and a
// node process on bad input, against the bed's etcd: an invalid topology
// is refused by sluice submit with sluice validate's file:line:col
// diagnostics and nothing is registered; a task name that exists is refused
// naming --name and sluice remove, and both fixes work; a node file
// pointing at no etcd fails within seconds naming the endpoints (node and
// tools alike); a second live node with a name in use is refused naming the
// first node's advertise address, and the first keeps running.
func TestCluster_BadInputIsRefusedWithTheFix(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	cli := testbed.EtcdClient(t)
	ctx := context.Background()
	dir := t.TempDir()
	nodeFile := filepath.Join(dir, "node.yaml")
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(nodeFile, fmt.Sprintf("name: tool\netcd: [%s]\nadvertise: 127.0.0.1:%d\ndata_dir: %s\nprefix: %s\n",
		strings.Join(testbed.Etcd(t), ", "), freePort(t), dir, prefix))

	// An invalid topology: a router policy that does not exist.
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE "+db+".t (id INT PRIMARY KEY)")
	tp := newTopo(t, "badin", db, testbed.NewTopic(t, 1))
	good := tp.write(t)
	spec, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	write(bad, strings.Replace(string(spec), "policy: pk_hash", "policy: by_moon", 1))
	out, _ := sluiceFails(t, "submit", "-c", nodeFile, "-f", bad)
	if !regexp.MustCompile(regexp.QuoteMeta(bad)+`:\d+:\d+: `).MatchString(out) || !strings.Contains(out, "sluice validate -f "+bad) {
		t.Errorf("invalid topology: want file:line:col diagnostics and the validate command:\n%s", out)
	}
	validate, _ := sluiceFails(t, "validate", "-f", bad)
	if first := strings.SplitN(validate, "\n", 2)[0]; !strings.Contains(out, first) {
		t.Errorf("submit's diagnostics differ from sluice validate's %q:\n%s", first, out)
	}
	if v, err := cluster.Read(ctx, cli, prefix); err != nil || len(v.Tasks) != 0 {
		t.Errorf("an invalid topology was registered: %+v, %v", v, err)
	}
	t.Logf("invalid topology: %s", strings.TrimSpace(strings.SplitN(out, "\n", 2)[0]))

	// A topology the precheck fails (the source's password is wrong): not
	// registered, and the failed item is named.
	wrong := filepath.Join(dir, "wrongpw.yaml")
	write(wrong, strings.Replace(string(spec), "password: "+tp.Password, "password: not-"+tp.Password, 1))
	start := time.Now()
	out, _ = sluiceFails(t, "submit", "-c", nodeFile, "-f", wrong)
	if !strings.Contains(out, "task wrongpw not submitted: precheck failed") || !strings.Contains(out, "source.src.connect") || !strings.Contains(out, "--ignore NAME") {
		t.Errorf("a topology the precheck fails: want the failed item named:\n%s", out)
	}
	if v, err := cluster.Read(ctx, cli, prefix); err != nil || len(v.Tasks) != 0 {
		t.Errorf("a topology the precheck fails was registered: %+v, %v", v, err)
	}
	t.Logf("precheck failure after %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	// The same items from sluice precheck, as a cluster runs the task: the
	// transactional id is checked (the bed's Kafka has no ACLs), the
	// checkpoint directory is not.
	out = sluiceCLI(t, "precheck", "-f", good, "--cluster-task", "badin")
	if !regexp.MustCompile(`PASS\s+sink\.kafka\.transactional_id`).MatchString(out) || strings.Contains(out, "engine.checkpoint_dir") {
		t.Errorf("sluice precheck --cluster-task: want sink.kafka.transactional_id passed and no checkpoint directory item:\n%s", out)
	}
	// --no-precheck submits it anyway; remove --purge takes it away again.
	sluiceCLI(t, "submit", "-c", nodeFile, "-f", wrong, "--no-precheck")
	sluiceCLI(t, "remove", "-c", nodeFile, "--purge", "wrongpw")

	// A task name that exists: refused, naming both fixes; both work.
	start = time.Now()
	out = sluiceCLI(t, "submit", "-c", nodeFile, "-f", good)
	t.Logf("a submission with its precheck took %s: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(out))
	out, _ = sluiceFails(t, "submit", "-c", nodeFile, "-f", good)
	if !strings.Contains(out, `task "badin" exists`) || !strings.Contains(out, "--name") || !strings.Contains(out, "sluice remove badin") {
		t.Errorf("a name that exists: want the fixes --name and sluice remove badin:\n%s", out)
	}
	t.Logf("name in use: %s", strings.TrimSpace(out))
	sluiceCLI(t, "submit", "-c", nodeFile, "-f", good, "--name", "badin2")
	sluiceCLI(t, "remove", "-c", nodeFile, "--purge", "badin")
	sluiceCLI(t, "submit", "-c", nodeFile, "-f", good)
	if v, err := cluster.Read(ctx, cli, prefix); err != nil || len(v.Tasks) != 2 || v.Tasks["badin"] == nil || v.Tasks["badin2"] == nil {
		t.Errorf("after --name and remove --purge: tasks %+v, %v; want badin and badin2", v, err)
	}

	// A node file pointing at no etcd: the node and the tools fail within
	// seconds, naming the endpoints.
	noEtcd := filepath.Join(dir, "noetcd.yaml")
	eps := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", freePort(t), freePort(t))
	write(noEtcd, fmt.Sprintf("name: lonely\netcd: [%s]\nadvertise: 127.0.0.1:%d\ndata_dir: %s\nprefix: %s\n",
		strings.ReplaceAll(eps, ",", ", "), freePort(t), dir, prefix))
	for _, args := range [][]string{{"node", "-c", noEtcd}, {"tasks", "-c", noEtcd}, {"submit", "-c", noEtcd, "-f", good}} {
		out, took := sluiceFails(t, args...)
		if took > 8*time.Second || !strings.Contains(out, "no etcd answers at "+eps) || !strings.Contains(out, "fix etcd: in the node file") {
			t.Errorf("sluice %s with no etcd: after %s, want a failure within 8 s naming %s and the fix:\n%s", args[0], took.Round(time.Millisecond), eps, out)
		}
		t.Logf("no etcd: sluice %s failed after %s: %s", args[0], took.Round(time.Millisecond), strings.TrimSpace(out))
	}

	// Two live nodes with one name: the second is refused, naming the
	// first's advertise address; the first keeps running. (The nodes run
	// under a prefix of their own, without tasks.)
	nprefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	first := startNode(t, nprefix, "twin", testbed.Etcd(t))
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := cluster.Read(ctx, cli, nprefix)
		if err != nil {
			t.Fatal(err)
		}
		if v.Members["twin"] == first.advertise {
			break
		}
		if time.Now().After(deadline) || !first.p.running() {
			t.Fatalf("the first node did not join: %+v\n%s", v.Members, tail(first.p.log(), 20))
		}
		time.Sleep(50 * time.Millisecond)
	}
	second := startNode(t, nprefix, "twin", testbed.Etcd(t))
	code := second.p.wait(10 * time.Second)
	log := second.p.log()
	if code == 0 || !strings.Contains(log, `sluice node: node name "twin" is in use by a live node (advertising `+first.advertise+")") ||
		!strings.Contains(log, "give each node its own name in its node file") {
		t.Errorf("the second node: exit %d, want a refusal naming %s:\n%s", code, first.advertise, tail(log, 20))
	}
	if !first.p.running() {
		t.Errorf("the first node stopped:\n%s", tail(first.p.log(), 20))
	}
	t.Logf("name of a live node: the second exited %d after %s: %s", code, time.Since(second.p.started).Round(time.Millisecond),
		strings.TrimSpace(tail(log, 1)))
}
