package precheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// checkRegistry asks a Confluent-compatible schema registry for its subjects
// (GET /subjects), with the sink's credentials: it proves the URL, TLS and
// login in one request.
func checkRegistry(ctx context.Context, s *topology.Sink, timeout time.Duration) Item {
	reg := s.Registry
	name := "sink." + s.Name + ".registry"
	fail := func(detail, fix string) Item { return Item{Name: name, Status: Fail, Detail: detail, Fix: fix} }
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: timeout}
	if reg.CAFile != "" {
		pem, err := os.ReadFile(reg.CAFile)
		if err != nil {
			return fail(fmt.Sprintf("schema registry ca_file: %v", err), fmt.Sprintf("point registry.ca_file of sink %s at a readable PEM file", s.Name))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fail(fmt.Sprintf("schema registry ca_file %s holds no PEM certificate", reg.CAFile), "use the PEM file of the CA that signed the registry's certificate")
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: timeout}
	url := strings.TrimRight(reg.URL, "/") + "/subjects"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(fmt.Sprintf("schema registry URL %q: %v", reg.URL, err), fmt.Sprintf("set registry.url of sink %s to http(s)://host:port", s.Name))
	}
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json")
	if reg.User != "" {
		req.SetBasicAuth(reg.User, reg.Password.Value())
	}
	resp, err := cl.Do(req)
	if err != nil {
		var dns *net.DNSError
		var unknownCA x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		switch {
		case errors.As(err, &dns):
			return fail(fmt.Sprintf("unknown host in schema registry URL %s", reg.URL), fmt.Sprintf("correct registry.url of sink %s", s.Name))
		case errors.Is(err, syscall.ECONNREFUSED):
			return fail(fmt.Sprintf("connection refused by the schema registry at %s", reg.URL), fmt.Sprintf("check registry.url of sink %s and that the registry runs", s.Name))
		case errors.As(err, &unknownCA), errors.As(err, &verify):
			return fail(fmt.Sprintf("the schema registry's certificate at %s is not trusted", reg.URL), fmt.Sprintf("set registry.ca_file of sink %s to the CA that signed it", s.Name))
		case errkind.IsTimeout(err):
			return fail(fmt.Sprintf("no answer from the schema registry at %s in time", reg.URL), "check the URL and firewalls")
		}
		return fail(fmt.Sprintf("schema registry at %s: %v", reg.URL, redact(err.Error(), reg.Password.Value())), fmt.Sprintf("check registry.url of sink %s", s.Name))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusOK:
		return Item{Name: name, Status: Pass, Detail: fmt.Sprintf("schema registry at %s answered", reg.URL)}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		who := "without credentials"
		if reg.User != "" {
			who = "as " + reg.User
		}
		return fail(fmt.Sprintf("the schema registry at %s refused the request %s (HTTP %d)", reg.URL, who, resp.StatusCode),
			fmt.Sprintf("set registry.user / registry.password of sink %s to an account that may read and register subjects", s.Name))
	}
	return fail(fmt.Sprintf("the schema registry at %s answered GET /subjects with HTTP %d: is it a Confluent-compatible registry?", reg.URL, resp.StatusCode),
		fmt.Sprintf("point registry.url of sink %s at the registry's base URL", s.Name))
}

// redact removes a secret from a message.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[redacted]")
}
