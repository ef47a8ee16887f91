package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluicecdc/sluice/cluster"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
)

// httpGet is the body of a GET of url (status 200 required).
func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

// TestCluster_StatusFromAnyNodeOverRemote runs 3 tasks on 3 node processes
// and checks the cluster-wide view the nodes build by asking each other
// over protoactor-go's remote: /status on every node lists every node's
// tasks with the owner and epoch etcd has, /metrics?scope=cluster on every
// node has every task's series and every node up, and sluice tasks --live
// shows each task's phase as its owner sees it. Then malformed messages go
// straight to one node's remote port; the node process keeps running and
// answers, and a killed node shows up as not answering.
func TestCluster_StatusFromAnyNodeOverRemote(t *testing.T) {
	needBed(t)
	prefix := strings.TrimSuffix(testbed.NewEtcdPrefix(t), "/")
	tables := []string{"s0", "s1", "s2"}
	db, w := filledTables(t, 300, tables...)
	nodes := startNodes(t, prefix, 3, nil)
	submitTableTasks(t, nodes[0].file, db, "stask", tables)
	v := waitLoads(t, testbed.EtcdClient(t), prefix, 3, func(l map[string]int) bool { return len(l) == 3 }, 30*time.Second)
	writes := w.run(200, 0)
	defer writes.stop()

	want := map[string]string{} // task → "node@epoch"
	for name, tk := range v.Tasks {
		want[name] = fmt.Sprintf("%s@%d", tk.Owner, tk.Epoch)
	}
	// Every node's /status: the whole cluster, each task in its owner's
	// list, in the binlog phase once its snapshot is done.
	for _, nd := range nodes {
		var last string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(300 * time.Millisecond) {
			last = httpGet(t, "http://"+nd.statusAddr+"/status")
			var all []cluster.NodeStatus
			if err := json.Unmarshal([]byte(last), &all); err != nil {
				t.Fatalf("%s /status: %v\n%s", nd.name, err, last)
			}
			got, binlog := map[string]string{}, 0
			for _, ns := range all {
				if ns.Error != "" {
					continue
				}
				for _, ts := range ns.Tasks {
					if ts.Node == ns.Node {
						got[ts.Task] = fmt.Sprintf("%s@%d", ts.Node, ts.Epoch)
					}
					if len(ts.View.Sources) == 1 && ts.View.Sources[0].Phase == status.PhaseBinlog {
						binlog++
					}
				}
			}
			if fmt.Sprint(got) == fmt.Sprint(want) && binlog == 3 && len(all) == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s /status: tasks %v (%d in the binlog phase), want %v:\n%s", nd.name, got, binlog, want, last)
			}
		}
		metrics := httpGet(t, "http://"+nd.statusAddr+"/metrics?scope=cluster")
		for name, tk := range v.Tasks {
			if series := fmt.Sprintf(`sluice_sink_records_total{node=%q,task=%q,sink=`, tk.Owner, name); !strings.Contains(metrics, series) {
				t.Errorf("%s /metrics?scope=cluster: no %s:\n%s", nd.name, series, metrics)
			}
		}
		for _, other := range nodes {
			if up := fmt.Sprintf(`sluice_cluster_node_up{node=%q} 1`, other.name); !strings.Contains(metrics, up) {
				t.Errorf("%s /metrics?scope=cluster: no %s:\n%s", nd.name, up, metrics)
			}
		}
		if n := strings.Count(metrics, "# HELP sluice_sink_records_total "); n != 1 {
			t.Errorf("%s /metrics?scope=cluster: HELP of sluice_sink_records_total %d times, want once", nd.name, n)
		}
	}
	out := sluiceCLI(t, "tasks", "-c", nodes[1].file, "--live")
	t.Logf("sluice tasks --live:\n%s", out)
	if !strings.Contains(out, "ROWS") || strings.Count(out, " "+status.PhaseBinlog+" ") != 3 {
		t.Errorf("sluice tasks --live: want 3 tasks in the %s phase:\n%s", status.PhaseBinlog, out)
	}

	// Malformed messages straight to n1's remote port.
	victim := nodes[0]
	conn, err := grpc.Dial(victim.advertise, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cl := remote.NewRemotingClient(conn)
	target := actor.NewPID(victim.advertise, "sluice-node")
	for _, b := range []*remote.MessageBatch{
		{TypeNames: []string{"no.such.Type"}, Targets: []*actor.PID{target}, Envelopes: []*remote.MessageEnvelope{{MessageData: []byte("x")}}},
		{TypeNames: []string{"google.protobuf.Any"}, Targets: []*actor.PID{target}, Envelopes: []*remote.MessageEnvelope{{SerializerId: 42}}},
		{TypeNames: []string{"google.protobuf.Any"}, Envelopes: []*remote.MessageEnvelope{{Target: 3}}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stream, err := cl.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}}); err != nil {
			t.Fatal(err)
		}
		_, err = stream.Recv()
		cancel()
		if err == nil || !strings.Contains(err.Error(), "malformed message refused") {
			t.Errorf("a malformed batch to %s: %v, want the node's refusal", victim.name, err)
		}
	}
	if !victim.p.running() {
		t.Fatalf("%s exited after the malformed messages:\n%s", victim.name, tail(victim.p.log(), 30))
	}
	if !strings.Contains(victim.p.log(), "refused a malformed message") {
		t.Errorf("%s logged no refusal:\n%s", victim.name, tail(victim.p.log(), 30))
	}
	var all []cluster.NodeStatus
	if err := json.Unmarshal([]byte(httpGet(t, "http://"+nodes[1].statusAddr+"/status")), &all); err != nil {
		t.Fatal(err)
	}
	for _, ns := range all {
		if ns.Node == victim.name && ns.Error != "" {
			t.Errorf("%s does not answer after the malformed messages: %s", victim.name, ns.Error)
		}
	}

	// A killed node, until its lease expires, is a member that does not
	// answer: the others say so within the ask timeout.
	nodes[2].p.kill9()
	start := time.Now()
	body := httpGet(t, "http://"+nodes[1].statusAddr+"/status")
	took := time.Since(start)
	if err := json.Unmarshal([]byte(body), &all); err != nil {
		t.Fatal(err)
	}
	for _, ns := range all {
		if ns.Node == nodes[2].name && ns.Error == "" {
			t.Errorf("the killed %s answered: %+v", ns.Node, ns)
		}
	}
	t.Logf("RESULT cluster status over remote: /status with a killed member took %s:\n%s", took.Round(time.Millisecond), body)
	if took > 4*time.Second {
		t.Errorf("/status with a killed member took %s, want within the ask timeout (2s) and an etcd read", took)
	}
}
