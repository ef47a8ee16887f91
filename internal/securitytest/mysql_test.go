package securitytest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// Tests of sources[].tls against the bed's MariaDB, which serves TLS with a
// certificate for 127.0.0.1 and localhost signed by the bed's CA, and lets
// clients choose (accounts made with REQUIRE SSL excepted).

// snapshotTLS connects as the snapshot reader does and returns the session's
// TLS version ("" without TLS) and the rows of db.t.
func snapshotTLS(t *testing.T, src *topology.Source, db string) (version string, rows int, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := sourcedb.Dial(ctx, src)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close()
	r, err := conn.Execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
	if err != nil {
		t.Fatalf("SHOW SESSION STATUS: %v", err)
	}
	if r.RowNumber() == 1 {
		version, _ = r.GetString(0, 1)
	}
	r, err = conn.Execute(fmt.Sprintf("SELECT COUNT(*) FROM `%s`.t", db))
	if err != nil {
		t.Fatalf("SELECT: %v", err)
	}
	n, _ := r.GetInt(0, 0)
	return version, int(n), nil
}

// binlogTLS opens the binlog reader on src (position query, then the
// replication connection), inserts a row into db.t as the admin and returns
// once the reader has delivered it.
func binlogTLS(t *testing.T, src *topology.Source, db string, id int) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, _, err := sourcedb.CurrentPosition(ctx, src); err != nil {
		return err
	}
	s, err := binlogreader.Open(ctx, binlogreader.Config{Source: src, Select: func(d, _ string) bool { return d == db }},
		binlogreader.Resume{NextSeq: 1})
	if err != nil {
		return err
	}
	defer s.Close()
	testbed.AdminExec(t, fmt.Sprintf("INSERT INTO `%s`.t VALUES (%d)", db, id))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		b, err := s.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		for _, c := range b.Changes {
			if c.Op == change.OpInsert {
				return nil
			}
		}
	}
	t.Fatalf("binlog reader delivered no insert within 20s")
	return nil
}

func newTLSDatabase(t *testing.T) string {
	t.Helper()
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, fmt.Sprintf("CREATE TABLE `%s`.t (id INT PRIMARY KEY)", db), fmt.Sprintf("INSERT INTO `%s`.t VALUES (0)", db))
	return db
}

// TestMySQLTLS_Modes connects the sluice account in every mode through the
// snapshot reader (which reports the session's TLS version) and the binlog
// reader (which must deliver a row).
func TestMySQLTLS_Modes(t *testing.T) {
	needBed(t)
	ca := tlsFile(t, "ca.pem")
	db := newTLSDatabase(t)
	for i, tc := range []struct {
		name    string
		tls     topology.TLS
		host    string // "" keeps the bed's 127.0.0.1
		wantTLS bool
	}{
		{"disabled", topology.TLS{Mode: topology.TLSDisabled}, "", false},
		{"unset means disabled", topology.TLS{}, "", false},
		{"required", topology.TLS{Mode: topology.TLSRequired}, "", true},
		{"verify-ca", topology.TLS{Mode: topology.TLSVerifyCA, CAFile: ca}, "", true},
		{"verify-identity by IP", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca}, "", true},
		{"verify-identity by host name", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca}, "localhost", true},
		{"verify-identity with server_name", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca, ServerName: "localhost"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := bedSource(t, tc.tls)
			if tc.host != "" {
				src.Host = tc.host
			}
			ver, rows, err := snapshotTLS(t, src, db)
			if err != nil {
				t.Fatalf("snapshot reader: %v", err)
			}
			if rows < 1 {
				t.Errorf("snapshot reader read %d rows", rows)
			}
			t.Logf("snapshot reader session: Ssl_version %q", ver)
			if got := ver != ""; got != tc.wantTLS {
				t.Errorf("snapshot reader: session TLS version %q, want TLS %v", ver, tc.wantTLS)
			}
			if err := binlogTLS(t, src, db, 100+i); err != nil {
				t.Fatalf("binlog reader: %v", err)
			}
		})
	}
}

// TestMySQLTLS_RequireSSLAccount: an account made with REQUIRE SSL is
// refused without TLS and works in every TLS mode, through both readers —
// which proves the binlog reader's replication connection is encrypted too.
func TestMySQLTLS_RequireSSLAccount(t *testing.T) {
	needBed(t)
	ca := tlsFile(t, "ca.pem")
	db := newTLSDatabase(t)
	pw := secret(t, "pw-")
	user := newMySQLUser(t, pw, "SSL")
	for i, tc := range []struct {
		tls    topology.TLS
		wantOK bool
	}{
		{topology.TLS{Mode: topology.TLSDisabled}, false},
		{topology.TLS{Mode: topology.TLSRequired}, true},
		{topology.TLS{Mode: topology.TLSVerifyCA, CAFile: ca}, true},
		{topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca}, true},
	} {
		t.Run(string(tc.tls.Mode), func(t *testing.T) {
			src := bedSource(t, tc.tls)
			src.User, src.Password = user, topology.NewSecret(pw)
			_, _, serr := snapshotTLS(t, src, db)
			if tc.wantOK {
				if serr != nil {
					t.Fatalf("snapshot reader: %v", serr)
				}
				if err := binlogTLS(t, src, db, 200+i); err != nil {
					t.Fatalf("binlog reader: %v", err)
				}
				return
			}
			berr := binlogTLS(t, src, db, 200+i)
			for name, err := range map[string]error{"snapshot reader": serr, "binlog reader": berr} {
				if err == nil {
					t.Errorf("%s connected without TLS as a REQUIRE SSL account", name)
					continue
				}
				if !strings.Contains(err.Error(), "Access denied") {
					t.Errorf("%s: %v; want the server's access denied", name, err)
				}
				t.Logf("%s without TLS: %v", name, err)
			}
		})
	}
}

// TestMySQLTLS_ClientCertificate: an account made with REQUIRE X509 works
// with the bed's client certificate and is refused without it.
func TestMySQLTLS_ClientCertificate(t *testing.T) {
	needBed(t)
	ca, cert, key := tlsFile(t, "ca.pem"), tlsFile(t, "client.pem"), tlsFile(t, "client.key")
	db := newTLSDatabase(t)
	pw := secret(t, "pw-")
	user := newMySQLUser(t, pw, "X509")
	src := bedSource(t, topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca, CertFile: cert, KeyFile: key})
	src.User, src.Password = user, topology.NewSecret(pw)
	if _, _, err := snapshotTLS(t, src, db); err != nil {
		t.Fatalf("snapshot reader with a client certificate: %v", err)
	}
	if err := binlogTLS(t, src, db, 300); err != nil {
		t.Fatalf("binlog reader with a client certificate: %v", err)
	}
	src.TLS.CertFile, src.TLS.KeyFile = "", ""
	if _, _, err := snapshotTLS(t, src, db); err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Fatalf("snapshot reader without a client certificate: %v; want access denied", err)
	}
}

// TestMySQLTLS_VerifyFailures: a CA that did not sign the server's
// certificate, and a name the certificate does not hold, fail at once in
// both readers with a terminal error that names the cause and the fix.
func TestMySQLTLS_VerifyFailures(t *testing.T) {
	needBed(t)
	ca, other := tlsFile(t, "ca.pem"), tlsFile(t, "other-ca.pem")
	db := newTLSDatabase(t)
	for _, tc := range []struct {
		name string
		tls  topology.TLS
		want []string
	}{
		{"verify-ca with a wrong CA", topology.TLS{Mode: topology.TLSVerifyCA, CAFile: other},
			[]string{"tls verify-ca", "not trusted by the CA in " + other, "point tls.ca_file at the CA that signed"}},
		{"verify-identity with a wrong CA", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: other},
			[]string{"tls verify-identity", "not trusted by the CA in " + other}},
		{"verify-identity with a wrong name", topology.TLS{Mode: topology.TLSVerifyIdentity, CAFile: ca, ServerName: "db.wrong.example"},
			[]string{"tls verify-identity", `not valid for "db.wrong.example"`, "localhost, 127.0.0.1", "tls.server_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := bedSource(t, tc.tls)
			start := time.Now()
			_, _, serr := snapshotTLS(t, src, db)
			berr := binlogTLS(t, src, db, 400)
			took := time.Since(start)
			for name, err := range map[string]error{"snapshot reader": serr, "binlog reader": berr} {
				if err == nil {
					t.Errorf("%s connected", name)
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: %q lacks %q", name, err, w)
					}
				}
				if !errkind.IsTerminal(err) {
					t.Errorf("%s: not terminal (would be retried): %v", name, err)
				}
				t.Logf("%s: %v", name, err)
			}
			if took > 5*time.Second {
				t.Errorf("failing took %v; want well under the connect timeout", took)
			}
		})
	}
	// The same wrong name passes verify-ca, which checks the chain alone,
	// and a wrong CA passes required, which checks nothing.
	for _, tc := range []topology.TLS{
		{Mode: topology.TLSVerifyCA, CAFile: ca, ServerName: "db.wrong.example"},
		{Mode: topology.TLSRequired, CAFile: other},
	} {
		if _, _, err := snapshotTLS(t, bedSource(t, tc), db); err != nil {
			t.Errorf("%s (ca %s, server_name %q): %v", tc.Mode, tc.CAFile, tc.ServerName, err)
		}
	}
}
