package precheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/topology"
)

// sourceConnectItem turns a failed connection to src into the
// source.NAME.connect item: what went wrong, where, and how to fix it.
func sourceConnectItem(src *topology.Source, err error) Item {
	name := "source." + src.Name + ".connect"
	addr := src.Addr()
	fail := func(detail, fix string) Item {
		return Item{Name: name, Status: Fail, Detail: detail, Fix: fix}
	}
	var me *mysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case mysql.ER_ACCESS_DENIED_ERROR, mysql.ER_ACCESS_DENIED_NO_PASSWORD_ERROR:
			return fail(fmt.Sprintf("access denied for user %s at %s: check user/password in the topology (source %s)", src.User, addr, src.Name),
				fmt.Sprintf("correct user and password of source %s (the password may come from ${env:NAME} or ${file:PATH}); if the account requires SSL, set tls.mode: required", src.Name))
		case mysql.ER_HOST_NOT_PRIVILEGED:
			return fail(fmt.Sprintf("the server at %s does not let this host connect at all: %s", addr, me.Message),
				fmt.Sprintf("create the account for this client's host: CREATE USER '%s'@'%%' IDENTIFIED BY '...'; GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO '%s'@'%%'", src.User, src.User))
		case mysql.ER_HOST_IS_BLOCKED:
			return fail(fmt.Sprintf("the server at %s blocks this host after too many failed connections", addr), "FLUSH HOSTS on the server (as an admin), then fix what made the connections fail")
		case mysql.ER_CON_COUNT_ERROR, mysql.ER_TOO_MANY_USER_CONNECTIONS:
			return fail(fmt.Sprintf("the server at %s refuses more connections: %s", addr, me.Message), "raise max_connections (or the account's MAX_USER_CONNECTIONS) or close idle connections")
		case 3159: // ER_SECURE_TRANSPORT_REQUIRED (MySQL)
			return fail(fmt.Sprintf("the server at %s requires TLS but source %s connects without it", addr, src.Name),
				fmt.Sprintf("set tls.mode: required (or verify-ca / verify-identity with ca_file) under source %s", src.Name))
		}
		return fail(fmt.Sprintf("the server at %s refused the connection as %s: %s", addr, src.User, me.Message), "")
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fail(fmt.Sprintf("unknown host %q (source %s): %s", src.Host, src.Name, dns.Err),
			fmt.Sprintf("correct host under source %s in the topology, or make the name resolvable from this machine", src.Name))
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fail(fmt.Sprintf("connection refused at %s: nothing listens there (source %s)", addr, src.Name),
			fmt.Sprintf("check host and port of source %s (MySQL's default port is 3306) and that the server runs with networking on (no skip-networking, bind-address reachable)", src.Name))
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return fail(fmt.Sprintf("no route to %s (source %s)", addr, src.Name), "check the host and the network path (routes, VPN, security groups)")
	}
	if isTimeout(err) {
		return fail(fmt.Sprintf("no answer from %s within the connect timeout (source %s): a firewall may drop the packets, or the host is down", addr, src.Name),
			"check host, port and firewalls between this machine and the server")
	}
	if tlsItem, ok := tlsProblem(err, src); ok {
		return fail(tlsItem.Detail, tlsItem.Fix)
	}
	return fail(fmt.Sprintf("cannot connect to %s as %s (source %s): %v", addr, src.User, src.Name, err), "")
}

// tlsProblem explains TLS failures between Sluice and a source.
func tlsProblem(err error, src *topology.Source) (Item, bool) {
	addr := src.Addr()
	msg := err.Error()
	switch {
	case strings.Contains(msg, "does not support TLS"):
		return Item{Detail: fmt.Sprintf("source %s asks for TLS (tls.mode %s) but the server at %s does not offer it", src.Name, src.TLS.Mode, addr),
			Fix: fmt.Sprintf("enable TLS on the server (ssl_cert, ssl_key, ssl_ca in my.cnf) or set tls.mode: disabled under source %s", src.Name)}, true
	}
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return Item{Detail: fmt.Sprintf("the server certificate at %s does not name %q (tls.mode %s): %v", addr, src.Host, src.TLS.Mode, host),
			Fix: fmt.Sprintf("connect with a host name the certificate lists, set tls.server_name, or use tls.mode: verify-ca under source %s", src.Name)}, true
	case errors.As(err, &unknownCA), errors.As(err, &verify), errors.As(err, &invalid):
		return Item{Detail: fmt.Sprintf("the server certificate at %s is not trusted (tls.mode %s, ca_file %q): %v", addr, src.TLS.Mode, src.TLS.CAFile, err),
			Fix: fmt.Sprintf("point tls.ca_file under source %s at the CA that signed the server's certificate", src.Name)}, true
	}
	var alert tls.AlertError
	var rec tls.RecordHeaderError
	if errors.As(err, &alert) || errors.As(err, &rec) || strings.Contains(msg, "tls:") {
		return Item{Detail: fmt.Sprintf("TLS handshake with %s failed (tls.mode %s): %v", addr, src.TLS.Mode, err),
			Fix: "check the TLS settings of the source against the server's (ssl_ca, ssl_cert, tls_version)"}, true
	}
	return Item{}, false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
