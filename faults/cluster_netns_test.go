package faults

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestCluster_NodeCutFromEtcdByNetworkNamespace is the etcd cut of
// TestCluster_NodeCutOffFromEtcdStopsItsTasks done in the network: node n1
// runs in a network namespace of its own, reaching etcd over a veth pair and
// Kafka and MariaDB at their usual loopback addresses (forwarded into the
// namespace), and the cut is a blackhole route to etcd's address inside
// that namespace. Unlike the proxy's cut, nothing is reset: the node's
// etcd connection simply stops getting answers, as behind a failed switch,
// while Kafka stays reachable (the worst case). The result must be the
// same as for a paused node: the node stops its tasks, the others take
// them, the read_committed scan and the etcd audit are clean and every
// topic equals its table. It needs root and iproute2's ip (.ci/run
// installs it) and fails, rather than skips, without them.
func TestCluster_NodeCutFromEtcdByNetworkNamespace(t *testing.T) {
	needBed(t)
	ns := newNetns(t)
	etcdAddr := testbed.Etcd(t)[0]
	// etcd, for n1, at the host side of the veth pair.
	px, err := NewProxyOn(net.JoinHostPort(ns.hostIP, "0"), etcdAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	// Kafka and MariaDB at their own addresses inside the namespace: the
	// broker advertises its loopback address.
	my := testbed.MySQL(t)
	for _, addr := range []string{testbed.Kafka(t)[0], net.JoinHostPort(my.Host(), fmt.Sprint(my.Port()))} {
		ns.forward(t, addr, addr)
	}
	start := func(prefix string) []*node {
		nodes := []*node{startNodeIn(t, prefix, "n1", []string{px.Addr()}, ns.name)}
		for _, name := range []string{"n2", "n3"} {
			nodes = append(nodes, startNode(t, prefix, name, testbed.Etcd(t)))
		}
		return nodes
	}
	route := func(verb string) func(*node) {
		return func(*node) { ns.run(t, "ip", "route", verb, "blackhole", ns.hostIP+"/32") }
	}
	d := deposeLiveNode(t, "netns etcd cut", start, route("add"), route("del"))
	if d.stopped.After(d.resumed) || d.stopped.Sub(d.began) > 4500*time.Millisecond {
		t.Errorf("the cut node stopped its tasks %s after the cut (the cut ended after %s), want within 4.5s",
			d.stopped.Sub(d.began), d.resumed.Sub(d.began))
	}
}

// netns is a network namespace the test made, with a veth pair to this
// one: hostIP on this side, nsIP inside.
type netns struct {
	name, hostIP, nsIP string
}

// newNetns makes a network namespace with a veth pair to this one, on a
// /30 of 10.250.0.0/16 that no interface here uses; Cleanup deletes both.
func newNetns(t *testing.T) *netns {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test makes a network namespace: run it as root (CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("this test makes a network namespace with ip: install iproute2 (apt-get install iproute2; .ci/run does): %v", err)
	}
	addrs, err := exec.Command("ip", "-o", "addr").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -o addr: %v\n%s", err, addrs)
	}
	var third int
	for {
		third = rand.IntN(256)
		if !strings.Contains(string(addrs), fmt.Sprintf(" 10.250.%d.", third)) {
			break
		}
	}
	id := fmt.Sprintf("%04x", rand.IntN(1<<16))
	n := &netns{name: "sluice-test-" + id, hostIP: fmt.Sprintf("10.250.%d.1", third), nsIP: fmt.Sprintf("10.250.%d.2", third)}
	host, peer := "vsl"+id+"h", "vsl"+id+"n"
	must := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s (a network namespace needs root with CAP_SYS_ADMIN and CAP_NET_ADMIN)", strings.Join(args, " "), err, out)
		}
	}
	must("ip", "netns", "add", n.name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "netns", "del", n.name).Run()
		_ = exec.Command("ip", "link", "del", host).Run()
	})
	must("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	must("ip", "link", "set", peer, "netns", n.name)
	must("ip", "addr", "add", n.hostIP+"/30", "dev", host)
	must("ip", "link", "set", host, "up")
	n.run(t, "ip", "addr", "add", n.nsIP+"/30", "dev", peer)
	n.run(t, "ip", "link", "set", peer, "up")
	n.run(t, "ip", "link", "set", "lo", "up")
	return n
}

// run runs a command inside the namespace.
func (n *netns) run(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", n.name}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("in %s: %s: %v\n%s", n.name, strings.Join(args, " "), err, out)
	}
}

// forward listens at addr inside the namespace and forwards every
// connection to target, dialled from this process's namespace.
func (n *netns) forward(t *testing.T, addr, target string) {
	t.Helper()
	ln, err := n.listen(addr)
	if err != nil {
		t.Fatalf("listening at %s in %s: %v", addr, n.name, err)
	}
	p := proxyFrom(ln, target)
	t.Cleanup(func() { _ = p.Close() })
}

// listen opens a listening socket inside the namespace: a socket stays in
// the namespace of the thread that made it, so one locked thread enters
// the namespace for the call and returns.
func (n *netns) listen(addr string) (net.Listener, error) {
	type result struct {
		ln  net.Listener
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer home.Close()
		there, err := os.Open("/var/run/netns/" + n.name)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer there.Close()
		if err := setns(there); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		ln, err := net.Listen("tcp", addr)
		if setns(home) == nil {
			// Back home: the thread may serve others again. Otherwise it
			// stays locked and ends with this goroutine.
			runtime.UnlockOSThread()
		}
		done <- result{ln, err}
	}()
	r := <-done
	return r.ln, r.err
}

func setns(f *os.File) error {
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	return nil
}
