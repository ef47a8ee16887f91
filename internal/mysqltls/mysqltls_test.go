package mysqltls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// pki is a CA and a server certificate it signed, written as PEM files.
type pki struct {
	caFile     string
	serverCert tls.Certificate
}

func newPKI(t *testing.T, dir, name string, hosts []string, ips []net.IP) pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: name + " server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: hosts, IPAddresses: ips,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{caFile: filepath.Join(dir, name+"-ca.pem")}
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	p.serverCert = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	return p
}

// handshake runs a TLS handshake between cfg and a server presenting cert.
func handshake(t *testing.T, cfg *tls.Config, cert tls.Certificate) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}}).Handshake()
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	cli := tls.Client(c1, cfg)
	_ = c1.SetDeadline(time.Now().Add(5 * time.Second))
	return cli.Handshake()
}

func TestConfig_Modes(t *testing.T) {
	dir := t.TempDir()
	good := newPKI(t, dir, "good", []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	other := newPKI(t, dir, "other", []string{"localhost"}, nil)
	for _, tc := range []struct {
		name    string
		tls     topology.TLS
		host    string
		wantErr []string // substrings of the handshake error; nil: success
	}{
		{"required trusts any server", topology.TLS{Mode: topology.TLSRequired}, "127.0.0.1", nil},
		{"required ignores a wrong CA", topology.TLS{Mode: topology.TLSRequired, CAFile: other.caFile}, "127.0.0.1", nil},
		{"verify-ca with the right CA", topology.TLS{Mode: topology.TLSVerifyCA, CAFile: good.caFile}, "db.example", nil},
		{"verify-ca with a wrong CA", topology.TLS{Mode: topology.TLSVerifyCA, CAFile: other.caFile}, "127.0.0.1",
			[]string{"tls verify-ca", "not trusted by the CA in " + other.caFile, "point tls.ca_file at"}},
		{"verify-ca without CA uses system roots", topology.TLS{Mode: topology.TLSVerifyCA}, "127.0.0.1",
			[]string{"system's trusted CAs"}},
		{"verify-identity by IP", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: good.caFile}, "127.0.0.1", nil},
		{"verify-identity by name", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: good.caFile, ServerName: "localhost"}, "10.0.0.9", nil},
		{"verify-identity wrong name", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: good.caFile}, "db.example",
			[]string{"tls verify-identity", `not valid for "db.example"`, "localhost, 127.0.0.1", "tls.server_name"}},
		{"verify-identity wrong CA", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: other.caFile}, "127.0.0.1",
			[]string{"not trusted by the CA in"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Config(&tc.tls, tc.host)
			if err != nil || cfg == nil {
				t.Fatalf("Config = %v, %v", cfg, err)
			}
			err = handshake(t, cfg, good.serverCert)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("handshake succeeded, want a failure")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !errkind.IsTerminal(err) {
				t.Errorf("verification failure is not terminal: %v", err)
			}
		})
	}
}

func TestConfig_Disabled(t *testing.T) {
	for _, tc := range []*topology.TLS{nil, {}, {Mode: topology.TLSDisabled, CAFile: "/nonexistent"}} {
		if c, err := Config(tc, "h"); c != nil || err != nil {
			t.Errorf("Config(%+v) = %v, %v; want nil, nil", tc, c, err)
		}
	}
}

func TestConfig_BadSettings(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tls  topology.TLS
		want string
	}{
		{topology.TLS{Mode: "preferred"}, `tls mode "preferred" unknown`},
		{topology.TLS{Mode: topology.TLSVerifyCA, CAFile: filepath.Join(dir, "missing.pem")}, "tls ca_file: open"},
		{topology.TLS{Mode: topology.TLSVerifyCA, CAFile: junk}, "holds no PEM certificate"},
		{topology.TLS{Mode: topology.TLSRequired, CertFile: junk}, "cert_file and key_file go together"},
		{topology.TLS{Mode: topology.TLSRequired, CertFile: junk, KeyFile: junk}, "tls client certificate " + junk},
	} {
		_, err := Config(&tc.tls, "h")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Config(%+v) = %v; want an error with %q", tc.tls, err, tc.want)
			continue
		}
		if !errkind.IsTerminal(err) {
			t.Errorf("Config(%+v): error not terminal", tc.tls)
		}
	}
}
