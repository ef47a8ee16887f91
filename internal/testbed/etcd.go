package testbed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdLog is the path of the bed's etcd log.
func EtcdLog() string { return filepath.Join(BedDir(), "etcd", "etcd.log") }

// Etcd returns the bed's etcd endpoints, after checking that the first one
// answers.
func Etcd(t testing.TB) []string {
	t.Helper()
	eps := etcdFromEnv(os.Getenv)
	cli := dialEtcd(t, eps)
	_ = cli.Close()
	return eps
}

// EtcdClient returns a client of the bed's etcd, closed in t.Cleanup. It
// logs nothing: a test reads what it needs from the errors.
func EtcdClient(t testing.TB) *clientv3.Client {
	t.Helper()
	cli := dialEtcd(t, etcdFromEnv(os.Getenv))
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func dialEtcd(t testing.TB, eps []string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: dialTimeout, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(unreachable("etcd", eps[0], err, EtcdLog()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if _, err := cli.Status(ctx, eps[0]); err != nil {
		_ = cli.Close()
		t.Fatal(unreachable("etcd", eps[0], err, EtcdLog()))
	}
	return cli
}

// NewEtcdPrefix returns a key prefix of its own, "/t_<random>/", whose keys
// are deleted in t.Cleanup.
func NewEtcdPrefix(t testing.TB) string {
	t.Helper()
	prefix := "/t_" + randomSuffix(t) + "/"
	cli := EtcdClient(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		if _, err := cli.Delete(ctx, prefix, clientv3.WithPrefix()); err != nil {
			t.Errorf("testbed: delete etcd prefix %s: %v", prefix, err)
		}
	})
	return prefix
}

// Etcdctl runs etcdctl against the bed's endpoints (--endpoints is added)
// with the given arguments and returns its standard output. A non-zero exit,
// or no exit within two minutes, fails the test.
func Etcdctl(t testing.TB, args ...string) string {
	t.Helper()
	eps := Etcd(t)
	return runTool(t, "etcdctl", append([]string{"--endpoints=" + strings.Join(eps, ",")}, args...))
}

// EtcdLeasedKey creates key with value under a new lease, as a cluster node
// takes a task, and returns the key's create revision (the owner's epoch)
// and the lease, revoked in t.Cleanup. It fails the test if key exists.
func EtcdLeasedKey(t testing.TB, cli *clientv3.Client, key, value string) (int64, clientv3.LeaseID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	l, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatalf("testbed: grant an etcd lease: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		_, _ = cli.Revoke(ctx, l.ID) // a test may have revoked it already
	})
	resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, value, clientv3.WithLease(l.ID))).Commit()
	if err != nil {
		t.Fatalf("testbed: create %s under a lease: %v", key, err)
	}
	if !resp.Succeeded {
		t.Fatalf("testbed: create %s under a lease: the key exists", key)
	}
	return resp.Header.Revision, l.ID
}
