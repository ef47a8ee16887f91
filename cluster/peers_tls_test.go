package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCA is a CA made for one test, which signs node certificates for
// 127.0.0.1.
type testCA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{dir: t.TempDir(), cert: cert, key: key}
	ca.file = ca.write(t, "ca.pem", "CERTIFICATE", der)
	return ca
}

func (ca *testCA) write(t *testing.T, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// node signs a certificate for a node at 127.0.0.1 and returns its
// remote_tls.
func (ca *testCA) node(t *testing.T, name string) *RemoteTLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &RemoteTLS{CA: ca.file, Cert: ca.write(t, name+".pem", "CERTIFICATE", der), Key: ca.write(t, name+"-key.pem", "PRIVATE KEY", kder)}
}

// With remote_tls, nodes and tools talk mutual TLS: a tool with a
// certificate of the cluster's CA gets the answers; a tool without TLS,
// and one whose certificate another CA signed, get none.
func TestPeers_RemoteTLS(t *testing.T) {
	ca := newTestCA(t, "cluster CA")
	cfg := NodeConfig{Name: "n1", Advertise: freeAddr(t), RemoteTLS: ca.node(t, "n1")}
	p, err := StartPeers(cfg, NewNode(cfg, nil, nil, slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ask := func(tlsCfg *RemoteTLS) error {
		tool, err := DialPeers("127.0.0.1:0", tlsCfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer tool.Close()
		tool.AskTimeout = time.Second
		s, err := tool.Status(context.Background(), cfg.Advertise)
		if err == nil && s.Node != "n1" {
			t.Fatalf("answered as %q", s.Node)
		}
		return err
	}
	if err := ask(ca.node(t, "tool")); err != nil {
		t.Fatalf("a tool of the cluster's CA: %v", err)
	}
	if err := ask(nil); err == nil {
		t.Error("a tool without TLS got an answer")
	}
	if err := ask(newTestCA(t, "another CA").node(t, "stranger")); err == nil {
		t.Error("a tool with another CA's certificate got an answer")
	}
	bad := *cfg.RemoteTLS
	bad.Key = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := DialPeers("127.0.0.1:0", &bad, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "remote_tls cert") {
		t.Errorf("a missing key file: %v", err)
	}
}
