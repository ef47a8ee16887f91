package sourcedb

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func testSource() *topology.Source {
	return &topology.Source{Name: "shop-db", Flavor: topology.FlavorMariaDB, Host: "127.0.0.1", Port: 33306, User: "sluice",
		TLS: topology.TLS{Mode: topology.TLSRequired}}
}

func TestExplain_ConnectCauses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		problem  string
		fix      string
		terminal bool
	}{
		{"wrong password", mysql.NewError(mysql.ER_ACCESS_DENIED_ERROR, "Access denied for user 'sluice'@'127.0.0.1' (using password: YES)"),
			"access denied for user sluice at 127.0.0.1:33306: check user/password in the topology (source shop-db)", "correct user and password of source shop-db", true},
		{"host not allowed", mysql.NewError(mysql.ER_HOST_NOT_PRIVILEGED, "Host '10.0.0.9' is not allowed to connect"),
			"does not let this host connect", "CREATE USER 'sluice'@'%'", true},
		{"secure transport", mysql.NewError(3159, "Connections using insecure transport are prohibited"),
			"requires TLS", "tls.mode: required", true},
		{"too many connections", mysql.NewError(mysql.ER_CON_COUNT_ERROR, "Too many connections"),
			"refuses more connections", "max_connections", false},
		{"unknown host", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}},
			`unknown host "127.0.0.1" (source shop-db): no such host`, "correct host under source shop-db", false},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
			"connection refused at 127.0.0.1:33306", "check host and port of source shop-db", false},
		{"timeout", context.DeadlineExceeded, "no answer from 127.0.0.1:33306", "firewalls", false},
		// go-mysql's words when a Kafka broker closes the connection, and
		// when an HTTP server waits for a request, instead of greeting.
		{"not MySQL, closed", fmt.Errorf("readInitialHandshake: %w", io.ErrUnexpectedEOF),
			"127.0.0.1:33306 accepted the connection but did not greet as a MySQL or MariaDB server (source shop-db)", "set host and port of source shop-db to the database server's", false},
		{"not MySQL, quiet", fmt.Errorf("readInitialHandshake: %w", context.DeadlineExceeded),
			"did not greet as a MySQL or MariaDB server", "set host and port of source shop-db", false},
		{"server without TLS", errors.New("the MySQL Server does not support TLS required by the client"),
			"asks for TLS (tls.mode required) but the server at 127.0.0.1:33306 does not offer it", "tls.mode: disabled", false},
		{"untrusted certificate", x509.UnknownAuthorityError{}, "is not trusted", "tls.ca_file", false},
		{"wrong name", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "db"}, "does not name", "tls.server_name", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Explain(testSource(), "", fmt.Errorf("handshake: %w", tc.err))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%v is not an *Error", err)
			}
			if !strings.Contains(e.Problem, tc.problem) || !strings.Contains(e.Fix, tc.fix) {
				t.Errorf("problem %q, fix %q; want them to contain %q and %q", e.Problem, e.Fix, tc.problem, tc.fix)
			}
			if errkind.IsTerminal(err) != tc.terminal {
				t.Errorf("terminal = %v, want %v", errkind.IsTerminal(err), tc.terminal)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v does not wrap the cause", err)
			}
		})
	}
}

func TestExplain_StatementCauses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		mentions []string
		terminal bool
	}{
		{"no REPLICATION CLIENT", mysql.NewError(mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR, "Access denied; you need (at least one of) the SUPER, BINLOG MONITOR privilege(s) for this operation"),
			[]string{"shop-db", "REPLICATION CLIENT", "SHOW MASTER STATUS", "GRANT"}, true},
		{"no SELECT", mysql.NewError(mysql.ER_TABLEACCESS_DENIED_ERROR, "SELECT command denied to user 'sluice'@'localhost' for table `shop`.`t`"),
			[]string{"(SELECT)", "GRANT"}, true},
		{"unknown database", mysql.NewError(mysql.ER_BAD_DB_ERROR, "Unknown database 'shop'"),
			[]string{"Unknown database 'shop'", "objects of source shop-db"}, true},
		{"lock wait", mysql.NewError(1205, "Lock wait timeout exceeded"), []string{"shop-db", "SHOW MASTER STATUS"}, false},
		{"connection lost", errors.New("io.ReadFull(header) failed: connection reset"), []string{"127.0.0.1:33306", "connection reset"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Explain(testSource(), "SHOW MASTER STATUS", tc.err)
			for _, m := range tc.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%q does not mention %q", err, m)
				}
			}
			if errkind.IsTerminal(err) != tc.terminal {
				t.Errorf("terminal = %v, want %v", errkind.IsTerminal(err), tc.terminal)
			}
		})
	}
}
