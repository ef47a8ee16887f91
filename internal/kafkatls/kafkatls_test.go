package kafkatls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

// The files that load are covered by kafkawriter's TestTLSConfig_FromFiles
// and by internal/securitytest against the bed's TLS listeners.
func TestConfig_OffAndBadFiles(t *testing.T) {
	if c, err := Config(topology.KafkaTLS{}); c != nil || err != nil {
		t.Errorf("TLS off = %v, %v; want nil, nil", c, err)
	}
	c, err := Config(topology.KafkaTLS{Enabled: true, InsecureSkipVerify: true})
	if err != nil || c.RootCAs != nil || !c.InsecureSkipVerify || c.ServerName != "" {
		t.Errorf("TLS on without files = %+v, %v; want system roots, the skip flag kept, no server name", c, err)
	}
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tls  topology.KafkaTLS
		want string
	}{
		{"missing CA", topology.KafkaTLS{Enabled: true, CAFile: filepath.Join(dir, "nope.pem")}, "tls ca_file"},
		{"CA not PEM", topology.KafkaTLS{Enabled: true, CAFile: notPEM}, "holds no PEM certificate"},
		{"cert without key", topology.KafkaTLS{Enabled: true, CertFile: notPEM}, "cert_file and key_file go together"},
		{"unreadable pair", topology.KafkaTLS{Enabled: true, CertFile: notPEM, KeyFile: notPEM}, "tls client certificate"},
	} {
		if _, err := Config(tc.tls); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}

func TestPermanent_AndHint(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		permanent bool
		hint      string
	}{
		{"unknown CA", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), true, "point ca_file"},
		{"wrong host", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "kafka-1"}, true, "does not name the host"},
		{"alert from the broker", &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}, true, "set cert_file and key_file"},
		{"plaintext listener", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true, "does not speak TLS"},
		{"dial refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, ""},
		{"EOF", io.EOF, false, ""},
	} {
		if got := Permanent(tc.err); got != tc.permanent {
			t.Errorf("%s: Permanent = %v, want %v", tc.name, got, tc.permanent)
		}
		if h := Hint(tc.err); (tc.hint == "") != (h == "") || !strings.Contains(h, tc.hint) {
			t.Errorf("%s: Hint = %q, want it to mention %q", tc.name, h, tc.hint)
		}
	}
}
