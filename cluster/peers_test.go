package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/sluicecdc/sluice/status"
)

// freeAddr is a free loopback host:port.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// peerNode starts a node's actor system for a Node running the given
// tasks (each with a fresh status registry).
func peerNode(t *testing.T, name string, tasks ...string) (*Peers, NodeConfig) {
	t.Helper()
	cfg := NodeConfig{Name: name, Advertise: freeAddr(t)}
	n := NewNode(cfg, nil, nil, slog.New(slog.DiscardHandler))
	for i, task := range tasks {
		reg := status.NewRegistry()
		reg.Source("src", 1<<20)
		reg.Sink("out")
		n.running[task] = &running{owned: Owned{Name: task, Epoch: int64(100 + i), Status: reg}}
	}
	p, err := StartPeers(cfg, n, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, cfg
}

// Every member's tasks, asked over remote: a tool asks two nodes, one node
// asks the other and answers for itself, and a member that is gone is
// reported as such within the ask timeout, not waited for.
func TestPeers_ClusterStatusAndMetricsFromEveryNode(t *testing.T) {
	p1, c1 := peerNode(t, "n1", "a", "b")
	p2, c2 := peerNode(t, "n2", "c")
	gone := freeAddr(t)
	members := map[string]string{"n1": c1.Advertise, "n2": c2.Advertise, "n3": gone}
	tool, err := DialPeers("127.0.0.1:0", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	tool.AskTimeout = time.Second
	p1.AskTimeout = time.Second

	for _, asker := range []*Peers{tool, p1} {
		start := time.Now()
		all := asker.ClusterStatus(context.Background(), members)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("cluster status took %s with one member gone, want about the ask timeout (1s)", took)
		}
		got := ""
		for _, ns := range all {
			got += ns.Node + ":"
			for _, ts := range ns.Tasks {
				got += fmt.Sprintf("%s@%d/%s,", ts.Task, ts.Epoch, ts.Node)
			}
			if ns.Error != "" {
				got += "error;"
			} else {
				got += ";"
			}
		}
		if want := "n1:a@100/n1,b@101/n1,;n2:c@100/n2,;n3:error;"; got != want {
			t.Errorf("cluster status = %s, want %s (%+v)", got, want, all)
		}
		var b strings.Builder
		if err := asker.WriteClusterMetrics(context.Background(), &b, members); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{
			`sluice_sink_records_total{node="n1",task="a",sink="out"} 0` + "\n",
			`sluice_sink_records_total{node="n2",task="c",sink="out"} 0` + "\n",
			`sluice_cluster_node_up{node="n1"} 1` + "\n",
			`sluice_cluster_node_up{node="n2"} 1` + "\n",
			`sluice_cluster_node_up{node="n3"} 0` + "\n",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("cluster metrics have no %q:\n%s", want, out)
			}
		}
		if n := strings.Count(out, "# HELP sluice_sink_records_total "); n != 1 {
			t.Errorf("HELP of sluice_sink_records_total %d times, want once:\n%s", n, out)
		}
	}
	_ = p2
}

// What remote's endpoint reader would crash on, sent straight over gRPC to
// a node, and what it must not let through (a message to a task's actor,
// a type nodes do not exchange): each ends that stream or call with an
// error, and the node goes on answering. A question of an unknown kind gets
// an error reply.
func TestPeers_BadMessagesDoNotCrashTheNode(t *testing.T) {
	p, cfg := peerNode(t, "n1", "a")
	conn, err := grpc.Dial(cfg.Advertise, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cl := remote.NewRemotingClient(conn)
	target := actor.NewPID(cfg.Advertise, nodeActorName)
	batch := func(b *remote.MessageBatch) *remote.RemoteMessage {
		return &remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}}
	}
	bad := map[string]*remote.RemoteMessage{
		"an unknown type name": batch(&remote.MessageBatch{TypeNames: []string{"no.such.Type"}, Targets: []*actor.PID{target},
			Envelopes: []*remote.MessageEnvelope{{MessageData: []byte("x")}}}),
		"a serializer out of range": batch(&remote.MessageBatch{TypeNames: []string{"google.protobuf.Any"}, Targets: []*actor.PID{target},
			Envelopes: []*remote.MessageEnvelope{{SerializerId: 99}}}),
		"a task's actor as target": batch(&remote.MessageBatch{TypeNames: []string{"google.protobuf.Any"},
			Targets: []*actor.PID{actor.NewPID(cfg.Advertise, "task/a@100.1")}, Envelopes: []*remote.MessageEnvelope{{}}}),
		"a type nodes do not exchange": batch(&remote.MessageBatch{TypeNames: []string{"actor.Stop"}, Targets: []*actor.PID{target},
			Envelopes: []*remote.MessageEnvelope{{}}}),
		"a target out of range": batch(&remote.MessageBatch{TypeNames: []string{"google.protobuf.Any"},
			Envelopes: []*remote.MessageEnvelope{{Target: 5}}}),
	}
	for what, m := range bad {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		stream, err := cl.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(m); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		_, err = stream.Recv()
		cancel()
		if err == nil || !strings.Contains(err.Error(), "malformed message refused") {
			t.Errorf("%s: the stream ended with %v, want the node's refusal", what, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cl.ListProcesses(ctx, &remote.ListProcessesRequest{}); err == nil || !strings.Contains(err.Error(), "malformed message refused") {
		t.Errorf("ListProcesses: %v, want the node's refusal", err)
	}

	tool, err := DialPeers("127.0.0.1:0", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	s, err := tool.Status(context.Background(), cfg.Advertise)
	if err != nil || s.Node != "n1" || len(s.Tasks) != 1 {
		t.Fatalf("after the bad messages the node answered %+v, %v", s, err)
	}
	var out NodeStatus
	if err := tool.ask(context.Background(), cfg.Advertise, "no-such-question", kindStatusReply, &out); err == nil || !strings.Contains(err.Error(), `unknown question "sluice.cluster/no-such-question"`) {
		t.Errorf("an unknown question: %v", err)
	}
	_ = p
}

// A node whose advertise address is taken fails to start with the address
// and the fix, instead of remote's panic.
func TestStartPeers_AddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = StartPeers(NodeConfig{Name: "n1", Advertise: ln.Addr().String()}, NewNode(NodeConfig{Name: "n1"}, nil, nil, slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "listening for other nodes at advertise "+ln.Addr().String()) || !strings.Contains(err.Error(), "choose a free address") {
		t.Fatalf("StartPeers on a taken address: %v", err)
	}
}
