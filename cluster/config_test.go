package cluster

import (
	"strings"
	"testing"
)

func TestParseNodeConfig(t *testing.T) {
	c, err := ParseNodeConfig("n.yaml", []byte("name: n1\netcd: [127.0.0.1:32379]\nadvertise: 127.0.0.1:7101\ndata_dir: /tmp/n1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.LeaseTTL != DefaultLeaseTTL || c.Prefix != "/sluice" {
		t.Fatalf("defaults: %+v", c)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"name: n1\netcd: []\nadvertise: a:1\ndata_dir: d\n", "etcd: list the etcd endpoints"},
		{"name: a/b\netcd: [e:1]\nadvertise: a:1\ndata_dir: d\n", `name "a/b"`},
		{"name: n\netcd: [e:1]\nadvertise: a:1\ndata_dir: d\nlease: 2s\n", "line 5: field lease not found"},
		{"name: n\netcd: [e:1]\nadvertise: a:1\ndata_dir: d\nlease_ttl: 100ms\n", "lease_ttl 100ms"},
		{"name: n\netcd: [nope]\nadvertise: a\n", "advertise"},
		{"name: n\netcd: [e:1]\nadvertise: a:1\ndata_dir: d\nremote_tls: {ca: ca.pem, cert: n.pem}\n", "remote_tls: give ca, cert and key"},
	} {
		_, err := ParseNodeConfig("n.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "n.yaml") {
			t.Errorf("%q: err = %v, want it to name the file and say %q", tc.yaml, err, tc.want)
		}
	}
}
