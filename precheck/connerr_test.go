package precheck

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/topology"
)

func TestSourceConnectItem_Causes(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("snapshot: connecting to source shop-db: %w", err) }
	for _, tc := range []struct {
		name   string
		err    error
		detail string
		fix    string
	}{
		{"wrong password", wrap(mysql.NewError(mysql.ER_ACCESS_DENIED_ERROR, "Access denied for user 'sluice'@'127.0.0.1' (using password: YES)")),
			"access denied for user sluice at 127.0.0.1:33306: check user/password in the topology (source shop-db)", "correct user and password of source shop-db"},
		{"host not allowed", wrap(mysql.NewError(mysql.ER_HOST_NOT_PRIVILEGED, "Host '10.0.0.9' is not allowed to connect")),
			"does not let this host connect", "CREATE USER 'sluice'@'%'"},
		{"secure transport", wrap(mysql.NewError(3159, "Connections using insecure transport are prohibited")),
			"requires TLS", "tls.mode: required"},
		{"unknown host", wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "db.invalid", IsNotFound: true}}),
			`unknown host "127.0.0.1" (source shop-db): no such host`, "correct host under source shop-db"},
		{"refused", wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}),
			"connection refused at 127.0.0.1:33306", "check host and port of source shop-db"},
		{"timeout", wrap(context.DeadlineExceeded), "no answer from 127.0.0.1:33306", "firewalls"},
		{"server without TLS", wrap(errors.New("the MySQL Server does not support TLS required by the client")),
			"asks for TLS (tls.mode required) but the server at 127.0.0.1:33306 does not offer it", "tls.mode: disabled"},
		{"untrusted certificate", wrap(x509.UnknownAuthorityError{}), "is not trusted", "tls.ca_file"},
		{"wrong name", wrap(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "db"}), "does not name", "tls.server_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testSource()
			src.TLS.Mode = topology.TLSRequired
			wantItem(t, sourceConnectItem(src, tc.err), Fail, tc.detail, tc.fix)
		})
	}
}

func TestKafkaConnectItem_Causes(t *testing.T) {
	s := &topology.Sink{Name: "main", Brokers: []string{"kafka:9093"},
		SASL: topology.SASL{Mechanism: topology.SASLScramSHA512, User: "cdc", Password: topology.NewSecret("s3cret")}}
	for _, tc := range []struct {
		name   string
		err    error
		detail string
		fix    string
	}{
		{"wrong password", fmt.Errorf("sasl: %w", kafka.SASLAuthenticationFailed),
			`SASL SCRAM-SHA-512 login as "cdc" refused by broker kafka:9093 (sink main)`, "correct sasl.user / sasl.password of sink main"},
		{"mechanism", kafka.UnsupportedSASLMechanism, "cannot talk to Kafka broker kafka:9093", "sasl.enabled.mechanisms"},
		{"unknown host", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "kafka"}}, "unknown host in broker kafka:9093", "correct brokers of sink main"},
		{"refused", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, "connection refused at Kafka broker kafka:9093", "check that Kafka runs"},
		{"untrusted", x509.UnknownAuthorityError{}, "cannot talk", "tls.ca_file of sink main"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := kafkaConnectItem(s, "kafka:9093", tc.err)
			wantItem(t, it, Fail, tc.detail, tc.fix)
			if containsSecret(it, "s3cret") {
				t.Errorf("item prints the password: %+v", it)
			}
		})
	}
}

func containsSecret(it Item, secret string) bool {
	return strings.Contains(it.Detail, secret) || strings.Contains(it.Fix, secret)
}
