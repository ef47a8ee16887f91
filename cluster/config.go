package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// NodeConfig is a node file (sluice node -c node.yaml):
//
//	name: n1                     # unique among live nodes
//	etcd: [127.0.0.1:2379]       # the etcd endpoints (3 members in production)
//	advertise: 10.0.0.5:7101     # where the node listens for other nodes and tools (protoactor-go remote)
//	data_dir: /var/lib/sluice    # node-local files
//	status_addr: 127.0.0.1:8801  # /status (the cluster), /metrics (the node; ?scope=cluster: all), /healthz
//	lease_ttl: 2s                # how long etcd waits before a silent node's tasks move
//	prefix: /sluice              # the cluster's keys in etcd
//	remote_tls:                  # optional: mutual TLS between nodes
//	  ca: /etc/sluice/ca.pem
//	  cert: /etc/sluice/n1.pem
//	  key: /etc/sluice/n1-key.pem
type NodeConfig struct {
	Name       string        `yaml:"name"`
	Etcd       []string      `yaml:"etcd"`
	Advertise  string        `yaml:"advertise"`
	DataDir    string        `yaml:"data_dir"`
	StatusAddr string        `yaml:"status_addr"`
	LeaseTTL   time.Duration `yaml:"lease_ttl"`
	Prefix     string        `yaml:"prefix"`
	// RemoteTLS, when set, makes the traffic between nodes (and the tools'
	// questions) mutual TLS.
	RemoteTLS *RemoteTLS `yaml:"remote_tls"`
}

// RemoteTLS is the mutual TLS of the nodes' remote: every node and tool
// presents a certificate signed by CA and accepts only such peers. A
// node's certificate must name its advertise host (an IP or DNS SAN).
type RemoteTLS struct {
	CA   string `yaml:"ca"`   // PEM file: the CA that signs every node's certificate
	Cert string `yaml:"cert"` // PEM file: this node's certificate
	Key  string `yaml:"key"`  // PEM file: its private key
}

// DefaultLeaseTTL is the lease a node holds: a killed node's tasks move
// after about this long. Below 2 s, a busy machine's pauses end leases by
// mistake.
const DefaultLeaseTTL = 2 * time.Second

// LoadNodeConfig reads and checks a node file. Unknown keys are errors; an
// error names the file and line.
func LoadNodeConfig(path string) (*NodeConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("node file: %w", err)
	}
	return ParseNodeConfig(path, data)
}

// ParseNodeConfig checks data, read from the file named file.
func ParseNodeConfig(file string, data []byte) (*NodeConfig, error) {
	c := &NodeConfig{LeaseTTL: DefaultLeaseTTL, Prefix: "/sluice"}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{file}, args...)...))
	}
	if c.Name == "" || strings.ContainsAny(c.Name, "/ \t") {
		bad("name %q: give the node a name without slashes or blanks, unique in the cluster (e.g. name: n1)", c.Name)
	}
	if len(c.Etcd) == 0 {
		bad("etcd: list the etcd endpoints (e.g. etcd: [127.0.0.1:2379])")
	}
	for _, ep := range c.Etcd {
		if _, _, err := net.SplitHostPort(strings.TrimPrefix(strings.TrimPrefix(ep, "http://"), "https://")); err != nil {
			bad("etcd endpoint %q is not host:port", ep)
		}
	}
	if _, _, err := net.SplitHostPort(c.Advertise); err != nil {
		bad("advertise %q: the host:port other nodes reach this node at", c.Advertise)
	}
	if c.DataDir == "" {
		bad("data_dir: a directory for the node's local files")
	}
	if c.StatusAddr != "" {
		if _, _, err := net.SplitHostPort(c.StatusAddr); err != nil {
			bad("status_addr %q is not host:port", c.StatusAddr)
		}
	}
	if c.LeaseTTL < time.Second {
		bad("lease_ttl %s: at least 1s (etcd counts leases in seconds)", c.LeaseTTL)
	}
	if t := c.RemoteTLS; t != nil && (t.CA == "" || t.Cert == "" || t.Key == "") {
		bad("remote_tls: give ca, cert and key (PEM files), or leave remote_tls out for plain gRPC between nodes")
	}
	if !strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") {
		bad("prefix %q: a key prefix that starts and does not end with / (e.g. /sluice)", c.Prefix)
	}
	return c, errors.Join(errs...)
}
