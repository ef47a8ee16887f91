package kafkatls

import (
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
