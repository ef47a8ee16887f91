package kafkawriter

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestCompression_Names(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want kafka.Compression
		ok   bool
	}{
		{"", 0, true}, {"none", 0, true}, {"gzip", kafka.Gzip, true}, {"snappy", kafka.Snappy, true},
		{"lz4", kafka.Lz4, true}, {"zstd", kafka.Zstd, true}, {"ZSTD", kafka.Zstd, true}, {"brotli", 0, false},
	} {
		got, err := compression(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("compression(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestSASLMechanism_Mapping(t *testing.T) {
	for _, tc := range []struct {
		mech topology.SASLMechanism
		name string
	}{
		{topology.SASLPlain, "PLAIN"},
		{topology.SASLScramSHA256, "SCRAM-SHA-256"},
		{topology.SASLScramSHA512, "SCRAM-SHA-512"},
	} {
		m, err := saslMechanism(topology.SASL{Mechanism: tc.mech, User: "u", Password: topology.NewSecret("p")})
		if err != nil || m == nil || m.Name() != tc.name {
			t.Errorf("%s: mechanism %v, %v; want %s", tc.mech, m, err, tc.name)
		}
	}
	m, err := saslMechanism(topology.SASL{Mechanism: topology.SASLPlain, User: "alice", Password: topology.NewSecret("s3cret")})
	if p, ok := m.(plain.Mechanism); err != nil || !ok || p.Username != "alice" || p.Password != "s3cret" {
		t.Errorf("PLAIN mechanism = %#v, %v", m, err)
	}
	if m, err := saslMechanism(topology.SASL{}); m != nil || err != nil {
		t.Errorf("no SASL = %v, %v; want nil, nil", m, err)
	}
	if _, err := saslMechanism(topology.SASL{Mechanism: "GSSAPI"}); err == nil || !strings.Contains(err.Error(), "SCRAM-SHA-512") {
		t.Errorf("unknown mechanism error = %v", err)
	}
}

// writePKI writes a CA, a server certificate for 127.0.0.1 signed by it and
// a client certificate, as PEM files in dir.
func writePKI(t *testing.T, dir, prefix string) (caFile, certFile, keyFile string, server tls.Certificate) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: prefix + " test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, prefix+name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile = write("ca.pem", "CERTIFICATE", caDER)
	srvDER, srvKey := leaf(2, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	cliDER, cliKey := leaf(3, "sluice", x509.ExtKeyUsageClientAuth)
	certFile = write("client.pem", "CERTIFICATE", cliDER)
	kb, _ := x509.MarshalECPrivateKey(cliKey)
	keyFile = write("client-key.pem", "EC PRIVATE KEY", kb)
	server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	return caFile, certFile, keyFile, server
}

func TestTLSConfig_FromFiles(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key, _ := writePKI(t, dir, "a-")
	if c, err := tlsConfig(topology.KafkaTLS{}); c != nil || err != nil {
		t.Errorf("TLS off = %v, %v; want nil, nil", c, err)
	}
	c, err := tlsConfig(topology.KafkaTLS{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	if c.RootCAs == nil || len(c.Certificates) != 1 || c.MinVersion != tls.VersionTLS12 || c.InsecureSkipVerify {
		t.Errorf("TLS config = %+v", c)
	}
	for _, tc := range []struct {
		name string
		tls  topology.KafkaTLS
		want string
	}{
		{"missing CA", topology.KafkaTLS{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")}, "ca_file"},
		{"CA not PEM", topology.KafkaTLS{Enabled: true, CAFile: key + ".x"}, "ca_file"},
		{"cert without key", topology.KafkaTLS{Enabled: true, CertFile: cert}, "cert_file and key_file go together"},
		{"key mismatch", topology.KafkaTLS{Enabled: true, CertFile: ca, KeyFile: key}, "client certificate"},
	} {
		if tc.name == "CA not PEM" {
			os.WriteFile(key+".x", []byte("not a certificate"), 0o600)
		}
		if _, err := tlsConfig(tc.tls); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	// New turns a bad TLS setting into a terminal error naming the sink.
	s := testSink([]string{"127.0.0.1:1"})
	s.TLS = topology.KafkaTLS{Enabled: true, CertFile: cert}
	if _, err := New(Config{Sink: s}); err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), `"test-sink"`) {
		t.Errorf("New with bad TLS = %v, want a terminal error naming the sink", err)
	}
}

func TestNew_ConfigErrorsAreTerminal(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*topology.Sink)
		want string
	}{
		{"no brokers", func(s *topology.Sink) { s.Brokers = nil }, "no brokers"},
		{"bad compression", func(s *topology.Sink) { s.Compression = "brotli" }, "compression"},
		{"bad oversize", func(s *topology.Sink) { s.Oversize = "truncate" }, "oversize"},
		{"bad sasl", func(s *topology.Sink) { s.SASL.Mechanism = "OAUTHBEARER" }, "sasl"},
	} {
		s := testSink([]string{"127.0.0.1:1"})
		tc.edit(s)
		_, err := New(Config{Sink: s})
		if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want terminal, mentioning %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a sink succeeded")
	}
}

func TestResolve_Defaults(t *testing.T) {
	s := &topology.Sink{Name: "s", Brokers: []string{"b:9092"}}
	st, err := resolve(&Config{Sink: s})
	if err != nil {
		t.Fatal(err)
	}
	if st.batchBytes != DefaultBatchBytes || st.maxMessageBytes != DefaultMaxMessageBytes || st.oversize != topology.OversizeFail ||
		st.retryFor != DefaultRetryFor || st.partitions != 1 || st.replication != 1 {
		t.Errorf("defaults = %+v", st)
	}
	s.BatchBytes, s.MaxMessageBytes = 8<<20, 2<<20
	st, _ = resolve(&Config{Sink: s})
	if st.batchBytes != 2<<20 {
		t.Errorf("batch bytes %d above max message bytes %d: a batch would be refused", st.batchBytes, st.maxMessageBytes)
	}
}

func TestWriter_SASL_AgainstFakeBroker(t *testing.T) {
	for _, mech := range []topology.SASLMechanism{topology.SASLPlain, topology.SASLScramSHA256, topology.SASLScramSHA512} {
		t.Run(string(mech), func(t *testing.T) {
			c := fakeCluster(t, kfake.EnableSASL(), kfake.Superuser(string(mech), "sluice", "right"), kfake.SeedTopics(1, "sec"))
			s := testSink(c.ListenAddrs())
			s.SASL = topology.SASL{Mechanism: mech, User: "sluice", Password: topology.NewSecret("right")}
			w := newWriter(t, Config{Sink: s})
			if err := w.Write(context.Background(), msgs("sec", 3, 1)); err != nil {
				t.Fatalf("write with the right password: %v", err)
			}

			// kfake drops the connection on a bad password; a real broker
			// answers SASL_AUTHENTICATION_FAILED (58) first. Emulate that
			// for PLAIN, whose password is visible in the request.
			if mech == topology.SASLPlain {
				c.ControlKey(int16(kmsg.SASLAuthenticate), func(r kmsg.Request) (kmsg.Response, error, bool) {
					c.KeepControl()
					req := r.(*kmsg.SASLAuthenticateRequest)
					if strings.HasSuffix(string(req.SASLAuthBytes), "\x00right") {
						return nil, nil, false
					}
					resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
					resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
					msg := "Authentication failed: Invalid username or password"
					resp.ErrorMessage = &msg
					return resp, nil, true
				})
			}
			s2 := testSink(c.ListenAddrs())
			s2.SASL = topology.SASL{Mechanism: mech, User: "sluice", Password: topology.NewSecret("wrong-pass-123")}
			w2 := newWriter(t, Config{Sink: s2, RetryFor: 2 * time.Second})
			start := time.Now()
			err := w2.Write(context.Background(), msgs("sec", 1, 1))
			if err == nil {
				t.Fatal("write with a wrong password succeeded")
			}
			if strings.Contains(err.Error(), "wrong-pass-123") {
				t.Errorf("error leaks the password: %v", err)
			}
			if mech == topology.SASLPlain {
				if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "check the sink's sasl user and password") {
					t.Errorf("wrong password: err = %v, want terminal with a hint", err)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("wrong password took %v to fail: it was retried", d)
				}
			}
		})
	}
}

func TestWriter_TLS_AgainstFakeBroker(t *testing.T) {
	dir := t.TempDir()
	ca, _, _, server := writePKI(t, dir, "good-")
	otherCA, _, _, _ := writePKI(t, dir, "other-")
	c := fakeCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{server}, MinVersion: tls.VersionTLS12}), kfake.SeedTopics(1, "tls"))

	s := testSink(c.ListenAddrs())
	s.TLS = topology.KafkaTLS{Enabled: true, CAFile: ca}
	w := newWriter(t, Config{Sink: s})
	if err := w.Write(context.Background(), msgs("tls", 3, 1)); err != nil {
		t.Fatalf("write over TLS with the right CA: %v", err)
	}

	s2 := testSink(c.ListenAddrs())
	s2.TLS = topology.KafkaTLS{Enabled: true, CAFile: otherCA}
	w2 := newWriter(t, Config{Sink: s2, RetryFor: 20 * time.Second})
	start := time.Now()
	err := w2.Write(context.Background(), msgs("tls", 1, 1))
	if err == nil {
		t.Fatal("write with the wrong CA succeeded")
	}
	if !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("wrong CA: err = %v, want terminal with a ca_file hint", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("wrong CA took %v to fail: it was retried", time.Since(start))
	}
}

func TestWriter_EnsureTopics(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(3, "existing"))
	s := testSink(c.ListenAddrs())
	s.Partitions = 2
	w := newWriter(t, Config{Sink: s})
	counts, err := w.EnsureTopics(context.Background(), map[string]int{"existing": 6, "new-a": 4, "new-b": 0})
	if err != nil {
		t.Fatal(err)
	}
	if counts["existing"] != 3 || counts["new-a"] != 4 || counts["new-b"] != 2 {
		t.Fatalf("counts = %v, want existing 3 (as it is), new-a 4, new-b 2 (the sink's default)", counts)
	}
	// A second call sees them all, with fresh metadata.
	counts, err = w.EnsureTopics(context.Background(), map[string]int{"new-a": 4, "new-b": 0})
	if err != nil || counts["new-a"] != 4 || counts["new-b"] != 2 {
		t.Fatalf("second EnsureTopics = %v, %v", counts, err)
	}
	// The created topics are writable.
	if err := w.Write(context.Background(), msgs("new-a", 8, 4)); err != nil {
		t.Fatal(err)
	}
	if got := readBack(t, c.ListenAddrs(), "new-a", 8); len(got) != 4 {
		t.Errorf("records landed in %d partitions of new-a, want 4", len(got))
	}
}

func TestWriter_EnsureTopics_NeverCreates(t *testing.T) {
	c := fakeCluster(t, kfake.SeedTopics(1, "here"))
	s := testSink(c.ListenAddrs())
	s.CreateTopics = topology.CreateTopicsNever
	w := newWriter(t, Config{Sink: s})
	counts, err := w.EnsureTopics(context.Background(), map[string]int{"here": 1, "missing": 3})
	if err == nil || !errkind.IsTerminal(err) {
		t.Fatalf("err = %v, want terminal", err)
	}
	for _, want := range []string{"topic missing does not exist", "--partitions 3", "create_topics: missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if counts["here"] != 1 {
		t.Errorf("counts = %v, want the existing topic reported", counts)
	}
}

func TestWriter_EnsureTopics_UnreachableIsRetryable(t *testing.T) {
	s := testSink([]string{"127.0.0.1:1"})
	w := newWriter(t, Config{Sink: s, RequestTimeout: 2 * time.Second})
	_, err := w.EnsureTopics(context.Background(), map[string]int{"x": 1})
	if err == nil || errkind.IsTerminal(err) {
		t.Fatalf("unreachable broker: err = %v, want a retryable error", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "connect") && !strings.Contains(err.Error(), "refused") {
		t.Logf("unreachable broker error: %v", err)
	}
}
