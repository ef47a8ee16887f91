package sourcedb

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// grantAll is the grant that gives the Sluice account everything it reads.
const grantAll = "GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO"

// ER_SECURE_TRANSPORT_REQUIRED (MySQL); go-mysql has no constant for it.
const erSecureTransportRequired = 3159

// Error is a failure to connect to a source, or a statement the source
// refused: Problem says what went wrong and where, Fix how to correct it
// (empty when nothing can be suggested), Err is the cause. Errors that a
// retry cannot help are also marked terminal (errkind).
type Error struct {
	Problem, Fix string
	Err          error
	cited        bool // Problem ends with Err's text already
}

func (e *Error) Error() string {
	msg := e.Problem
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	if e.cited {
		return msg
	}
	return msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Explain turns err, met by src while running what ("" while connecting),
// into an *Error. Wrong credentials, an unknown database, a missing
// privilege and an account that needs TLS are terminal (errkind); network
// errors, a busy or blocking server and anything unknown stay retryable.
func Explain(src *topology.Source, what string, err error) error {
	if err == nil {
		return nil
	}
	e, terminal := explain(src, what, err)
	if terminal || errkind.IsTerminal(err) { // mysqltls marks bad TLS settings
		return errkind.Terminal(e)
	}
	return e
}

func explain(src *topology.Source, what string, err error) (*Error, bool) {
	addr := src.Addr()
	e := func(problem, fix string) *Error {
		return &Error{Problem: problem, Fix: fix, Err: err, cited: strings.HasSuffix(problem, err.Error())}
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		msg := strings.ToLower(me.Message)
		switch me.Code {
		case mysql.ER_ACCESS_DENIED_ERROR, mysql.ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
			return e(fmt.Sprintf("access denied for user %s at %s: check user/password in the topology (source %s)", src.User, addr, src.Name),
				fmt.Sprintf("correct user and password of source %s (the password may come from ${env:NAME} or ${file:PATH}); if the account requires SSL, set tls.mode: required", src.Name)), true
		case mysql.ER_HOST_NOT_PRIVILEGED:
			return e(fmt.Sprintf("the server at %s does not let this host connect at all: %s", addr, me.Message),
				fmt.Sprintf("create the account for this client's host: CREATE USER '%s'@'%%' IDENTIFIED BY '...'; %s '%s'@'%%'", src.User, grantAll, src.User)), true
		case erSecureTransportRequired:
			return e(fmt.Sprintf("the server at %s requires TLS but source %s connects without it", addr, src.Name),
				fmt.Sprintf("set tls.mode: required (or verify-ca / verify-identity with ca_file) under source %s", src.Name)), true
		case mysql.ER_BAD_DB_ERROR:
			return e(fmt.Sprintf("source %s at %s: %s: %s", src.Name, addr, doing(what), me.Message),
				fmt.Sprintf("check the database names in the objects of source %s", src.Name)), true
		case mysql.ER_SPECIFIC_ACCESS_DENIED_ERROR, mysql.ER_DBACCESS_DENIED_ERROR, mysql.ER_TABLEACCESS_DENIED_ERROR,
			mysql.ER_COLUMNACCESS_DENIED_ERROR, mysql.ER_PROCACCESS_DENIED_ERROR:
			priv := "REPLICATION SLAVE"
			switch {
			case strings.Contains(msg, "replication client") || strings.Contains(msg, "binlog monitor") || strings.Contains(msg, "super"):
				priv = "REPLICATION CLIENT"
			case me.Code == mysql.ER_TABLEACCESS_DENIED_ERROR || me.Code == mysql.ER_COLUMNACCESS_DENIED_ERROR || me.Code == mysql.ER_DBACCESS_DENIED_ERROR:
				priv = "SELECT"
			}
			return e(fmt.Sprintf("source %s: the account %s lacks a privilege Sluice needs (%s) for %s", src.Name, src.User, priv, doing(what)),
				"run "+grantAll+" the Sluice account"), true
		case mysql.ER_HOST_IS_BLOCKED:
			return e(fmt.Sprintf("the server at %s blocks this host after too many failed connections", addr),
				"FLUSH HOSTS on the server (as an admin), then fix what made the connections fail"), false
		case mysql.ER_CON_COUNT_ERROR, mysql.ER_TOO_MANY_USER_CONNECTIONS:
			return e(fmt.Sprintf("the server at %s refuses more connections: %s", addr, me.Message),
				"raise max_connections (or the account's MAX_USER_CONNECTIONS) or close idle connections"), false
		}
		if what == "" {
			return e(fmt.Sprintf("the server at %s refused the connection as %s: %s", addr, src.User, me.Message), ""), false
		}
		return e(fmt.Sprintf("source %s at %s: %s", src.Name, addr, what), ""), false
	}
	if what != "" {
		return e(fmt.Sprintf("source %s at %s: %s", src.Name, addr, what), ""), false
	}
	// go-mysql names the step that failed: the connection was made, but what
	// answered sent no MySQL greeting (it closed, went quiet or spoke
	// another protocol), so the port is another service's.
	if strings.Contains(err.Error(), "readInitialHandshake") {
		return e(fmt.Sprintf("%s accepted the connection but did not greet as a MySQL or MariaDB server (source %s): another service listens there, a Kafka broker or an HTTP server perhaps: %v", addr, src.Name, err),
			fmt.Sprintf("set host and port of source %s to the database server's (MySQL's default port is 3306)", src.Name)), false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return e(fmt.Sprintf("unknown host %q (source %s): %s", src.Host, src.Name, dns.Err),
			fmt.Sprintf("correct host under source %s in the topology, or make the name resolvable from this machine", src.Name)), false
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return e(fmt.Sprintf("connection refused at %s: nothing listens there (source %s)", addr, src.Name),
			fmt.Sprintf("check host and port of source %s (MySQL's default port is 3306) and that the server runs with networking on (no skip-networking, bind-address reachable)", src.Name)), false
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return e(fmt.Sprintf("no route to %s (source %s)", addr, src.Name), "check the host and the network path (routes, VPN, security groups)"), false
	}
	if errkind.IsTimeout(err) {
		return e(fmt.Sprintf("no answer from %s within the connect timeout (source %s): a firewall may drop the packets, or the host is down", addr, src.Name),
			"check host, port and firewalls between this machine and the server"), false
	}
	if problem, fix, ok := tlsProblem(err, src); ok {
		return e(problem, fix), false
	}
	return e(fmt.Sprintf("cannot connect to %s as %s (source %s): %v", addr, src.User, src.Name, err), ""), false
}

// doing names what failed in a message: the statement, or connecting.
func doing(what string) string {
	if what == "" {
		return "connecting"
	}
	return what
}

// tlsProblem explains TLS failures between Sluice and a source; the
// problem quotes the cause (the certificate's subject, the alert).
func tlsProblem(err error, src *topology.Source) (problem, fix string, ok bool) {
	addr := src.Addr()
	msg := err.Error()
	if strings.Contains(msg, "does not support TLS") {
		return fmt.Sprintf("source %s asks for TLS (tls.mode %s) but the server at %s does not offer it", src.Name, src.TLS.Mode, addr),
			fmt.Sprintf("enable TLS on the server (ssl_cert, ssl_key, ssl_ca in my.cnf) or set tls.mode: disabled under source %s", src.Name), true
	}
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return fmt.Sprintf("the server certificate at %s does not name %q (tls.mode %s): %v", addr, src.Host, src.TLS.Mode, host),
			fmt.Sprintf("connect with a host name the certificate lists, set tls.server_name, or use tls.mode: verify-ca under source %s", src.Name), true
	case errors.As(err, &unknownCA), errors.As(err, &verify), errors.As(err, &invalid):
		return fmt.Sprintf("the server certificate at %s is not trusted (tls.mode %s, ca_file %q): %v", addr, src.TLS.Mode, src.TLS.CAFile, err),
			fmt.Sprintf("point tls.ca_file under source %s at the CA that signed the server's certificate", src.Name), true
	}
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	if errors.As(err, &alert) || errors.As(err, &rec) || strings.Contains(msg, "tls:") {
		return fmt.Sprintf("TLS handshake with %s failed (tls.mode %s): %v", addr, src.TLS.Mode, err),
			"check the TLS settings of the source against the server's (ssl_ca, ssl_cert, tls_version)", true
	}
	return "", "", false
}
