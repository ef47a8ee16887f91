package topology

import (
	"fmt"
	"math"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"gopkg.in/yaml.v3"
)

// Checks that involve several fields of one mapping. They are attached in
// init to keep the declarations free of initialization cycles.
func init() {
	engineSpec.check = checkEngine
	sourceSpec.check = checkSource
	mysqlTLSSpec.check = checkMySQLTLS
	kafkaTLSSpec.check = checkKafkaTLS
	columnsSpec.check = checkColumns
	sinkSpec.check = checkSink
	saslSpec.check = checkInlineSecret("password")
	registrySpec.check = checkInlineSecret("password")
}

// isReference reports whether a scalar's text takes its value from
// ${env:...} or ${file:...}.
func isReference(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && strings.Contains(n.Value, "${")
}

func checkInlineSecret(key string) func(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	return func(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
		if v := present[key]; v != nil && !isReference(v) && scalarText(v) != "" {
			d.warnf(resolve(v), fmt.Sprintf("write %s: ${env:NAME} or ${file:PATH}", key), "%s %s is written inline", key, sc.in())
		}
	}
}

// checkTop fills the defaults that depend on keys anywhere in the file: the
// task's name, and the checkpoint_dir named after it.
func checkTop(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	g := dst.(*DAG)
	if g.Name == "" && present["name"] == nil {
		g.Name = d.stem
	}
	if g.Engine.CheckpointDir == "" {
		g.Engine.CheckpointDir = d.path(filepath.Join(".sluice", g.Name))
	}
}

func checkEngine(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	e := dst.(*Engine)
	if v := present["http_addr"]; v != nil && e.HTTPAddr != "" && !e.HTTPToken.IsSet() {
		host, _, _ := net.SplitHostPort(e.HTTPAddr)
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			d.warnf(resolve(v), "set http_token, or listen on 127.0.0.1", "http_addr %s listens beyond loopback without http_token; anyone who can reach it can read the task's status", e.HTTPAddr)
		}
	}
	if v := present["http_token"]; v != nil && !isReference(v) && scalarText(v) != "" {
		d.warnf(resolve(v), "write http_token: ${env:NAME} or ${file:PATH}", "http_token %s is written inline", sc.in())
	}
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func checkSource(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	s := dst.(*Source)
	// The snapshot defaults to on only when the start position allows it.
	snapNode := lookup(present["phases"], "snapshot")
	if snapNode == nil {
		s.Phases.Snapshot = s.Start.Mode == StartInitial
	} else if s.Phases.Snapshot && s.Start.Mode != StartInitial && s.Start.Mode != "" {
		d.errorf(resolve(snapNode), "remove phases.snapshot, or use start: initial",
			"phases.snapshot is true %s but start is %s; a snapshot joins the binlog only from the point start: initial picks", sc.in(), s.Start.Mode)
	}
	if !s.Phases.SchemaSync && !s.Phases.Snapshot && !s.Phases.Incremental && present["phases"] != nil {
		d.errorf(resolve(present["phases"]), "turn on at least one of schema_sync, snapshot, incremental", "every phase is off %s; the task would do nothing", sc.in())
	}
	if s.Start.Mode == StartGTID && s.Flavor != "" {
		if _, err := mysql.ParseGTIDSet(string(s.Flavor), s.Start.GTID); err != nil || strings.TrimSpace(s.Start.GTID) == "" {
			fix := `MySQL GTID sets look like "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77"`
			if s.Flavor == FlavorMariaDB {
				fix = `MariaDB GTID positions look like "0-1-100" (domain-server-sequence), comma-separated`
			}
			d.errorf(resolve(lookup(present["start"], "gtid")), fix, "bad start gtid %q for flavor %s %s", s.Start.GTID, s.Flavor, sc.in())
		}
	}
	if s.TLS.Mode == TLSVerifyIdentity && s.TLS.ServerName == "" {
		s.TLS.ServerName = s.Host
	}
	if v := present["password"]; v != nil && !isReference(v) && scalarText(v) != "" && s.Host != "" && !isLoopbackHost(s.Host) {
		d.warnf(resolve(v), "write password: ${env:NAME} or ${file:PATH}", "password %s is written inline", sc.in())
	}
}

func checkMySQLTLS(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	t := dst.(*TLS)
	checkCertPair(d, sc, present)
	if v := present["ca_file"]; v != nil && (t.Mode == TLSDisabled || t.Mode == TLSRequired) {
		d.warnf(resolve(v), "use mode: verify-ca or verify-identity to check the server's certificate", "ca_file is unused with mode %s %s", t.Mode, sc.in())
	}
	if v := present["server_name"]; v != nil && t.Mode != TLSVerifyIdentity {
		d.warnf(resolve(v), "use mode: verify-identity", "server_name is only checked by mode verify-identity %s", sc.in())
	}
	if t.Mode == TLSDisabled && (present["cert_file"] != nil) {
		d.warnf(resolve(present["cert_file"]), "set mode to required, verify-ca or verify-identity", "cert_file is unused with mode disabled %s", sc.in())
	}
}

func checkCertPair(d *decoder, sc scope, present map[string]*yaml.Node) {
	switch c, k := present["cert_file"], present["key_file"]; {
	case c != nil && k == nil:
		d.errorf(resolve(c), "add key_file with the certificate's private key", "cert_file without key_file %s", sc.in())
	case k != nil && c == nil:
		d.errorf(resolve(k), "add cert_file with the client certificate", "key_file without cert_file %s", sc.in())
	}
}

func checkKafkaTLS(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	checkCertPair(d, sc, present)
}

func checkColumns(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	c := dst.(*ColumnRules)
	if present["include"] != nil && present["exclude"] != nil {
		d.errorf(resolve(present["exclude"]), "keep include (the columns written) or exclude (the columns dropped), not both", "%s has both include and exclude", sc.where)
		return
	}
	dropped := func(col string) bool {
		for _, x := range c.Exclude {
			if x == col {
				return true
			}
		}
		if len(c.Include) == 0 {
			return false
		}
		for _, x := range c.Include {
			if x == col {
				return false
			}
		}
		return true
	}
	for _, key := range []string{"rename", "mask"} {
		m := resolve(present[key])
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			col := m.Content[i].Value
			if dropped(col) {
				d.warnf(m.Content[i], "remove it from "+key+", or keep the column", "column %s is in %s but is not written %s", col, key, sc.in())
			}
		}
	}
}

func checkSink(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node) {
	s := dst.(*Sink)
	if present["ddl_topic"] == nil && !s.Format.DebeziumEnvelope() {
		s.DDLTopic = s.Topic // Debezium envelopes: the source's name, see Pipeline.DDLTopic
	}
	if v := present["sasl"]; v != nil && (present["tls"] == nil || !s.TLS.Enabled) {
		d.warnf(resolve(v), "add tls: {} (or tls: {ca_file: ...}) so that credentials are encrypted", "sasl without tls %s sends credentials over plain TCP", sc.in())
	}
	switch {
	case s.Format == FormatAvro && s.Registry == nil && present["schema_registry"] == nil:
		d.errorf(resolve(present["format"]), `add schema_registry: {url: "http://registry:8081"}, or use format dts-avro (no registry)`, "format avro %s needs schema_registry", sc.in())
	case s.Format != FormatAvro && s.Format != FormatDTSAvro && present["schema_registry"] != nil:
		d.warnf(resolve(present["schema_registry"]), "remove it, or use format avro or dts-avro", "schema_registry is unused by format %s %s", s.Format, sc.in())
	}
	if v := present["debezium"]; v != nil && s.Format != FormatDebeziumJSON {
		d.warnf(resolve(v), "remove it, or use format debezium-json", "debezium settings are unused by format %s %s", s.Format, sc.in())
	}
	if v := present["canal_flavor"]; v != nil && s.Format != FormatCanalJSON && s.Format != "" {
		d.warnf(resolve(v), "remove it, or use format canal-json", "canal_flavor is unused by format %s %s", s.Format, sc.in())
	}
	if v := present["canal_enum_names"]; v != nil && s.CanalEnumNames &&
		((s.Format != FormatCanalJSON && s.Format != "") || s.CanalFlavor != CanalFlavorCanal) {
		d.warnf(resolve(v), "remove it, or use format canal-json with canal_flavor canal", "canal_enum_names only applies to canal_flavor canal of format canal-json %s", sc.in())
	}
	if s.BatchBytes > 0 && s.MaxMessageBytes > s.BatchBytes {
		d.warnf(resolve(n), "raise batch_bytes to at least max_message_bytes", "batch_bytes (%d) is smaller than max_message_bytes (%d) %s; a large record would not fit a batch", s.BatchBytes, s.MaxMessageBytes, sc.in())
	}
}

// startV decodes start: a mode name or a one-mode mapping.
func startV() value {
	modes := []string{string(StartInitial), string(StartLatest)}
	return value{typ: "start position", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		s := dst.(*Source)
		n = resolve(n)
		const fix = "write start: initial, start: latest, start: {gtid: SET}, start: {file: NAME, pos: N} or start: {timestamp: 2024-05-01T00:00:00Z}"
		switch n.Kind {
		case yaml.ScalarNode:
			v, ok := d.scalar(f, n, sc)
			if !ok {
				return
			}
			switch v {
			case "initial", "latest":
				s.Start = StartPosition{Mode: StartMode(v)}
				return
			}
			hint := fix
			if c := closest(v, append(modes, "gtid", "file", "timestamp")); c == "gtid" || c == "file" || c == "timestamp" {
				hint = fmt.Sprintf("%s is written as a mapping, e.g. start: {%s: ...}", c, c)
			} else if c != "" {
				hint = fmt.Sprintf("did you mean %q?", c)
			}
			d.errorf(n, hint, "bad start %q %s", v, sc.in())
		case yaml.MappingNode:
			msc := sc.nested("start")
			var p StartPosition
			var modeKeys []*yaml.Node
			var posNode *yaml.Node
			keys := map[string]bool{}
			for _, pr := range d.pairs(n, msc, 0) {
				k := pr.key
				if keys[k.Value] {
					d.errorf(k, "delete one of them", "duplicate key %q %s", k.Value, msc.in())
					continue
				}
				keys[k.Value] = true
				sf := &fieldSpec{Key: k.Value, value: value{typ: "string"}}
				switch k.Value {
				case "gtid":
					modeKeys = append(modeKeys, k)
					sf.Example = `"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-77"`
					if v, ok := d.scalar(sf, pr.value, msc); ok {
						p.Mode, p.GTID = StartGTID, v
					}
				case "file":
					modeKeys = append(modeKeys, k)
					sf.Example = "mysql-bin.000042"
					if v, ok := d.scalar(sf, pr.value, msc); ok {
						if v == "" || strings.ContainsAny(v, "/ ") {
							d.errorf(resolve(pr.value), "write the binlog file name as SHOW BINARY LOGS lists it, e.g. mysql-bin.000042", "bad start file %q %s", v, msc.in())
						}
						p.Mode, p.File = StartFilePos, v
					}
				case "pos":
					posNode = k
					sf.Example, sf.value.typ = "4", "integer"
					if v, ok := d.integer(sf, pr.value, msc, 4, math.MaxUint32); ok {
						p.Pos = uint32(v)
					}
				case "timestamp":
					modeKeys = append(modeKeys, k)
					sf.Example = "2024-05-01T00:00:00Z"
					if v, ok := d.scalar(sf, pr.value, msc); ok {
						t, err := time.Parse(time.RFC3339, v)
						if err != nil {
							d.errorf(resolve(pr.value), "write an RFC 3339 time with its zone, e.g. 2024-05-01T00:00:00Z", "bad start timestamp %q %s", v, msc.in())
						}
						p.Mode, p.Timestamp = StartTimestamp, t
					}
				default:
					hint := "start takes gtid, file (with pos) or timestamp"
					if c := closest(k.Value, []string{"gtid", "file", "pos", "timestamp"}); c != "" {
						hint = fmt.Sprintf("did you mean %q?", c)
					}
					d.errorf(k, hint, "unknown field %q %s", k.Value, msc.in())
				}
			}
			switch {
			case len(modeKeys) > 1:
				d.errorf(modeKeys[1], "keep one of gtid, file and timestamp", "start has both %s and %s %s", modeKeys[0].Value, modeKeys[1].Value, sc.in())
			case len(modeKeys) == 0 && posNode != nil:
				d.errorf(posNode, "add file: NAME next to pos", "start pos without file %s", sc.in())
			case len(modeKeys) == 0:
				d.errorf(n, fix, "start %s is an empty mapping", sc.in())
			case posNode != nil && p.Mode != StartFilePos:
				d.errorf(posNode, "pos goes with file only", "start pos without file %s", sc.in())
			}
			if p.Mode == StartFilePos && p.Pos == 0 {
				p.Pos = 4
			}
			s.Start = p
		default:
			d.errorf(n, fix, "start %s must be a name or a mapping, not %s", sc.in(), kindName(n))
		}
	}}
}
