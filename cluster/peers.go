package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
)

// Nodes talk to each other through protoactor-go's remote: each node is one
// actor system listening at its advertised address, with a node actor
// (nodeActorName) that answers the other nodes and the tools. etcd alone
// decides membership and ownership; remote only carries questions and
// answers, so a message lost or refused never changes who runs a task.
//
// remote carries protobuf messages. A message between nodes is a
// google.protobuf.Any whose type URL names its kind (typePrefix + kind) and
// whose value is the JSON of the kind's Go type, so that no generated code
// is needed and a message of an unknown kind is refused by name.

// nodeActorName is the node actor's id in its actor system.
const nodeActorName = "sluice-node"

// typePrefix starts the type URL of every message between nodes.
const typePrefix = "sluice.cluster/"

// The kinds of message.
const (
	kindStatus        = "status"         // StatusRequest → NodeStatus
	kindMetrics       = "metrics"        // metricsRequest → metricsReply
	kindStatusReply   = "status-reply"   // NodeStatus
	kindMetricsReply  = "metrics-reply"  // metricsReply
	kindErrorReply    = "error"          // errorReply
	kindSnapshot      = "snapshot"       // SnapshotRequest → SnapshotQueued
	kindSnapshotReply = "snapshot-reply" // SnapshotQueued
	defaultAskTimeout = 2 * time.Second  // how long a question to a node waits
	maxMetricsBytes   = 16 << 20         // a node's metrics text larger than this is refused
	nodeUpFamily      = "sluice_cluster_node_up"
)

// NodeStatus is one node's answer to a status question: the tasks it runs,
// or why it did not answer.
type NodeStatus struct {
	Node    string       `json:"node"`
	Address string       `json:"address"`
	Tasks   []TaskStatus `json:"tasks"`
	Error   string       `json:"error,omitempty"`
}

type metricsReply struct {
	Node string `json:"node"`
	Text string `json:"text"`
}

type errorReply struct {
	Error string `json:"error"`
}

// Local is what a node tells the others about itself.
type Local interface {
	Statuses() []TaskStatus
	WriteMetrics(io.Writer) error
	Snapshot(context.Context, SnapshotRequest) (SnapshotQueued, error)
}

// Peers is a node's (or a tool's) actor system on the network.
type Peers struct {
	name    string // the node's name; "" for a tool
	local   Local  // nil for a tool
	system  *actor.ActorSystem
	remote  *remote.Remote
	address string
	log     *slog.Logger
	// AskTimeout bounds each question to another node.
	AskTimeout time.Duration
}

// StartPeers starts node's actor system listening at its advertised
// address (node file: advertise) with the node actor that answers the
// others for local.
func StartPeers(cfg NodeConfig, local Local, log *slog.Logger) (*Peers, error) {
	server, dial, err := transport(cfg.RemoteTLS)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", cfg.Name, err)
	}
	p, err := startSystem(cfg.Advertise, cfg.Advertise, server, dial, log)
	if err != nil {
		return nil, fmt.Errorf("node %s: listening for other nodes at advertise %s: %w (choose a free address in the node file)", cfg.Name, cfg.Advertise, err)
	}
	p.name, p.local = cfg.Name, local
	props := actor.PropsFromProducer(func() actor.Actor { return &nodeActor{p: p} })
	if _, err := p.system.Root.SpawnNamed(props, nodeActorName); err != nil {
		p.Close()
		return nil, fmt.Errorf("node %s: starting the node actor: %w", cfg.Name, err)
	}
	return p, nil
}

// DialPeers starts a tool's actor system, listening at listen (host:port,
// port 0 for any): the nodes send their answers there, so it must be an
// address they reach. With tlsCfg (a node file's remote_tls) it talks
// mutual TLS, as the nodes do.
func DialPeers(listen string, tlsCfg *RemoteTLS, log *slog.Logger) (*Peers, error) {
	server, dial, err := transport(tlsCfg)
	if err != nil {
		return nil, err
	}
	p, err := startSystem(listen, "", server, dial, log)
	if err != nil {
		return nil, fmt.Errorf("listening for the nodes' answers at %s: %w (give an address the nodes can reach, --listen HOST:0)", listen, err)
	}
	return p, nil
}

// transport is the gRPC server's and dialer's options of tlsCfg (nil:
// plain gRPC).
func transport(tlsCfg *RemoteTLS) ([]grpc.ServerOption, []grpc.DialOption, error) {
	if tlsCfg == nil {
		return nil, []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, nil
	}
	srv, cli, err := tlsCfg.credentials()
	if err != nil {
		return nil, nil, err
	}
	return []grpc.ServerOption{grpc.Creds(srv)}, []grpc.DialOption{grpc.WithTransportCredentials(cli)}, nil
}

func startSystem(listen, advertise string, server []grpc.ServerOption, dial []grpc.DialOption, log *slog.Logger) (p *Peers, err error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("port %q is not a number", portText)
	}
	// remote.Start panics when it cannot listen: try the address first.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	if port == 0 {
		port = ln.Addr().(*net.TCPAddr).Port
	}
	_ = ln.Close()
	// The actor system logs only warnings and errors: remote logs every
	// connection at info.
	quiet := slog.New(levelFilter{log.Handler(), slog.LevelWarn}).With("component", "remote")
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
	opts := []remote.ConfigOption{remote.WithServerOptions(append(server,
		grpc.ChainStreamInterceptor(guardStream(quiet)),
		grpc.ChainUnaryInterceptor(guardUnary(quiet)),
	)...), remote.WithDialOptions(dial...)}
	if advertise != "" {
		opts = append(opts, remote.WithAdvertisedHost(advertise))
	}
	r := remote.NewRemote(system, remote.Configure(host, port, opts...))
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	r.Start()
	return &Peers{system: system, remote: r, address: system.Address(), log: log, AskTimeout: defaultAskTimeout}, nil
}

// System is the actor system (a node's tasks run in it).
func (p *Peers) System() *actor.ActorSystem { return p.system }

// credentials are the server's and the client's TLS of c: each presents
// the node's certificate and accepts only peers whose certificate the CA
// signed.
func (c *RemoteTLS) credentials() (server, client credentials.TransportCredentials, err error) {
	pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("remote_tls cert %s, key %s: %w (give the node's PEM certificate and key)", c.Cert, c.Key, err)
	}
	pem, err := os.ReadFile(c.CA)
	if err != nil {
		return nil, nil, fmt.Errorf("remote_tls ca: %w (give the PEM certificate of the CA that signs the nodes' certificates)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("remote_tls ca %s holds no PEM certificate", c.CA)
	}
	server = credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12})
	client = credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{pair}, RootCAs: pool, MinVersion: tls.VersionTLS12})
	return server, client, nil
}

// Address is where the others reach this actor system.
func (p *Peers) Address() string { return p.address }

// Close stops listening and the actor system.
func (p *Peers) Close() {
	p.remote.Shutdown(false)
	p.system.Shutdown()
}

// The guard: remote's endpoint reader trusts what it reads. A message with
// an unknown type name or a serializer or target index out of range makes
// it panic on the gRPC server's goroutine, and
// two of its unary methods panic for any call; unrecovered, each would end
// the node. The interceptors turn such a panic into an error for that one
// stream or call, and the node goes on.

//
// Before that backstop, every message batch read is checked (admit): only
// the node actor and this system's reply futures may be addressed from the
// network (not the actors of the tasks, which share the actor system), only
// as a google.protobuf.Any (or remote's dead-letter answer), and every
// index must be in range. A batch that fails is refused whole and its
// stream ended.

func guardStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = refused(ss.Context(), log, info.FullMethod, v)
			}
		}()
		return handler(srv, admittingStream{ss, log, info.FullMethod})
	}
}

// admittingStream refuses every batch admit refuses.
type admittingStream struct {
	grpc.ServerStream
	log    *slog.Logger
	method string
}

func (s admittingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if rm, ok := m.(*remote.RemoteMessage); ok {
		if b := rm.GetMessageBatch(); b != nil {
			if err := admit(b); err != nil {
				return refused(s.Context(), s.log, s.method, err)
			}
		}
	}
	return nil
}

// The type names a batch may carry.
var admittedTypes = map[string]bool{
	string((&anypb.Any{}).ProtoReflect().Descriptor().FullName()):                true,
	string((&actor.DeadLetterResponse{}).ProtoReflect().Descriptor().FullName()): true,
}

// admit checks one batch read from the network.
func admit(b *remote.MessageBatch) error {
	for i, t := range b.Targets {
		if t == nil || (t.Id != nodeActorName && !strings.HasPrefix(t.Id, "future$")) {
			return fmt.Errorf("target %d (%v) is not reachable from other nodes", i, t)
		}
	}
	for _, n := range b.TypeNames {
		if !admittedTypes[n] {
			return fmt.Errorf("message type %q is not one nodes exchange", n)
		}
	}
	for i, e := range b.Envelopes {
		switch {
		case e == nil:
			return fmt.Errorf("envelope %d is empty", i)
		case e.SerializerId != 0:
			return fmt.Errorf("envelope %d: serializer %d, want 0 (protobuf)", i, e.SerializerId)
		case e.TypeId < 0 || int(e.TypeId) >= len(b.TypeNames):
			return fmt.Errorf("envelope %d: type %d of %d", i, e.TypeId, len(b.TypeNames))
		case e.Target < 0 || int(e.Target) >= len(b.Targets):
			return fmt.Errorf("envelope %d: target %d of %d", i, e.Target, len(b.Targets))
		case e.Sender < 0 || int(e.Sender) > len(b.Senders):
			return fmt.Errorf("envelope %d: sender %d of %d", i, e.Sender, len(b.Senders))
		}
	}
	for i, s := range b.Senders {
		if s == nil {
			return fmt.Errorf("sender %d is empty", i)
		}
	}
	return nil
}

func guardUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if v := recover(); v != nil {
				resp, err = nil, refused(ctx, log, info.FullMethod, v)
			}
		}()
		return handler(ctx, req)
	}
}

func refused(ctx context.Context, log *slog.Logger, method string, v any) error {
	from := "unknown"
	if pr, ok := peer.FromContext(ctx); ok {
		from = pr.Addr.String()
	}
	log.Warn("refused a malformed message from another node (is a process that is not a sluice node of this version talking to the advertise address?)",
		"from", from, "method", method, "fault", fmt.Sprint(v))
	return grpcstatus.Errorf(codes.InvalidArgument, "sluice node: malformed message refused: %v", v)
}

// nodeActor answers questions from other nodes and tools.
type nodeActor struct{ p *Peers }

func (a *nodeActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case actor.SystemMessage, actor.AutoReceiveMessage:
		// The actor's life (Started, Stopping, …): nothing to do.
	case *anypb.Any:
		switch {
		case ctx.Sender() == nil:
		case m.GetTypeUrl() == typePrefix+kindSnapshot:
			a.answerSnapshot(ctx, m)
		default:
			ctx.Respond(a.answer(m))
		}
	default:
		if ctx.Sender() != nil {
			ctx.Respond(mustEncode(kindErrorReply, errorReply{Error: fmt.Sprintf("sluice node %s: unexpected message %T", a.p.name, m)}))
		}
	}
}

// answer is the reply to one question; it never panics.
func (a *nodeActor) answer(m *anypb.Any) (reply *anypb.Any) {
	defer func() {
		if v := recover(); v != nil {
			reply = mustEncode(kindErrorReply, errorReply{Error: fmt.Sprintf("sluice node %s: answering %s: %v", a.p.name, m.GetTypeUrl(), v)})
		}
	}()
	kind, ok := strings.CutPrefix(m.GetTypeUrl(), typePrefix)
	switch {
	case ok && kind == kindStatus:
		return mustEncode(kindStatusReply, NodeStatus{Node: a.p.name, Address: a.p.address, Tasks: a.p.local.Statuses()})
	case ok && kind == kindMetrics:
		var b strings.Builder
		if err := a.p.local.WriteMetrics(&b); err != nil {
			return mustEncode(kindErrorReply, errorReply{Error: err.Error()})
		}
		return mustEncode(kindMetricsReply, metricsReply{Node: a.p.name, Text: b.String()})
	}
	return mustEncode(kindErrorReply, errorReply{Error: fmt.Sprintf("sluice node %s: unknown question %q", a.p.name, m.GetTypeUrl())})
}

func mustEncode(kind string, v any) *anypb.Any {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(errorReply{Error: err.Error()})
		kind = kindErrorReply
	}
	return &anypb.Any{TypeUrl: typePrefix + kind, Value: b}
}

// ask sends a question to the node actor at addr and decodes its reply of
// kind want into out.
func (p *Peers) ask(ctx context.Context, addr, kind, want string, out any) error {
	return p.askWith(ctx, addr, mustEncode(kind, struct{}{}), want, p.AskTimeout, out)
}

// askWith sends the question q to the node actor at addr, waits for at
// most timeout and decodes its reply of kind want into out.
func (p *Peers) askWith(ctx context.Context, addr string, q *anypb.Any, want string, timeout time.Duration, out any) error {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return context.DeadlineExceeded
	}
	res, err := p.system.Root.RequestFuture(actor.NewPID(addr, nodeActorName), q, timeout).Result()
	if errors.Is(err, actor.ErrTimeout) {
		return fmt.Errorf("no answer from %s within %s", addr, timeout)
	}
	if errors.Is(err, actor.ErrDeadLetter) {
		return fmt.Errorf("nothing answers at %s", addr)
	}
	if err != nil {
		return fmt.Errorf("asking %s: %w", addr, err)
	}
	m, ok := res.(*anypb.Any)
	if !ok {
		return fmt.Errorf("%s answered %T, which no node of this version sends", addr, res)
	}
	got, _ := strings.CutPrefix(m.GetTypeUrl(), typePrefix)
	if got == kindErrorReply {
		var e errorReply
		_ = json.Unmarshal(m.Value, &e)
		return errors.New(e.Error)
	}
	if got != want {
		return fmt.Errorf("%s answered %q, want %s (a node of another version?)", addr, m.GetTypeUrl(), typePrefix+want)
	}
	if err := decode(m, out); err != nil {
		return fmt.Errorf("%s's answer: %w", addr, err)
	}
	return nil
}

// decode reads m's JSON value into out.
func decode(m *anypb.Any, out any) error {
	if err := json.Unmarshal(m.Value, out); err != nil {
		return fmt.Errorf("%s: %w", m.GetTypeUrl(), err)
	}
	return nil
}

// Status asks the node at addr for the tasks it runs.
func (p *Peers) Status(ctx context.Context, addr string) (NodeStatus, error) {
	var s NodeStatus
	err := p.ask(ctx, addr, kindStatus, kindStatusReply, &s)
	return s, err
}

// Metrics asks the node at addr for its metrics (every sample labelled
// with the node and the task).
func (p *Peers) Metrics(ctx context.Context, addr string) (string, error) {
	var m metricsReply
	if err := p.ask(ctx, addr, kindMetrics, kindMetricsReply, &m); err != nil {
		return "", err
	}
	if len(m.Text) > maxMetricsBytes {
		return "", fmt.Errorf("%s's metrics are %d bytes, over %d", addr, len(m.Text), maxMetricsBytes)
	}
	return m.Text, nil
}

// each asks every member (node → address) at once; this node answers for
// itself without the network.
func (p *Peers) each(members map[string]string, one func(node, addr string)) {
	var wg sync.WaitGroup
	for node, addr := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			one(node, addr)
		}()
	}
	wg.Wait()
}

// ClusterStatus is every member's status, sorted by node; a member that
// did not answer has its Error set.
func (p *Peers) ClusterStatus(ctx context.Context, members map[string]string) []NodeStatus {
	var mu sync.Mutex
	out := make([]NodeStatus, 0, len(members))
	p.each(members, func(node, addr string) {
		s := NodeStatus{Node: node, Address: addr}
		if node == p.name && p.local != nil {
			s.Tasks = p.local.Statuses()
		} else if got, err := p.Status(ctx, addr); err != nil {
			s.Error = err.Error()
		} else if got.Node != node {
			s.Error = fmt.Sprintf("%s answered as node %q", addr, got.Node)
		} else {
			s.Tasks = got.Tasks
		}
		if s.Tasks == nil {
			s.Tasks = []TaskStatus{}
		}
		slices.SortFunc(s.Tasks, func(a, b TaskStatus) int { return strings.Compare(a.Task, b.Task) })
		mu.Lock()
		out = append(out, s)
		mu.Unlock()
	})
	slices.SortFunc(out, func(a, b NodeStatus) int { return strings.Compare(a.Node, b.Node) })
	return out
}

// WriteClusterMetrics writes the metrics of every member's tasks as one
// exposition (each family's HELP and TYPE once), and
// sluice_cluster_node_up{node} 1 for each member that answered, 0 for one
// that did not.
func (p *Peers) WriteClusterMetrics(ctx context.Context, w io.Writer, members map[string]string) error {
	var mu sync.Mutex
	texts := map[string]string{}
	p.each(members, func(node, addr string) {
		var text string
		var err error
		if node == p.name && p.local != nil {
			var b strings.Builder
			err = p.local.WriteMetrics(&b)
			text = b.String()
		} else {
			text, err = p.Metrics(ctx, addr)
		}
		if err != nil {
			p.log.Warn("a node's metrics", "node", node, "address", addr, "err", err)
			text = "\x00" // marks a node that did not answer
		}
		mu.Lock()
		texts[node] = text
		mu.Unlock()
	})
	var e exposition
	up := "# HELP " + nodeUpFamily + " Whether the node answered this scrape (1) or not (0).\n# TYPE " + nodeUpFamily + " gauge\n"
	for _, node := range slices.Sorted(maps.Keys(texts)) {
		v := "1"
		if texts[node] == "\x00" {
			v = "0"
		}
		up += nodeUpFamily + "{node=" + strconv.Quote(node) + "} " + v + "\n"
	}
	e.add(up, "")
	for _, node := range slices.Sorted(maps.Keys(texts)) {
		if texts[node] != "\x00" {
			e.add(texts[node], "")
		}
	}
	_, err := w.Write(e.bytes())
	return err
}

// levelFilter passes records at or above min to h.
type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.h.Enabled(ctx, l)
}
func (f levelFilter) Handle(ctx context.Context, r slog.Record) error { return f.h.Handle(ctx, r) }
func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{f.h.WithAttrs(as), f.min}
}
func (f levelFilter) WithGroup(g string) slog.Handler { return levelFilter{f.h.WithGroup(g), f.min} }
