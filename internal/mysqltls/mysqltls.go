package mysqltls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// Config maps t to a crypto/tls configuration; nil, nil when TLS is disabled
// (mode "" or disabled). host is the name verify-identity checks unless
// t.ServerName names another. A nil t means disabled.
func Config(t *topology.TLS, host string) (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	switch t.Mode {
	case "", topology.TLSDisabled:
		return nil, nil
	case topology.TLSRequired, topology.TLSVerifyCA, topology.TLSVerifyIdentity:
	default:
		return nil, errkind.Terminal(fmt.Errorf("tls mode %q unknown: use disabled, required, verify-ca or verify-identity", t.Mode))
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errkind.Terminal(errors.New("tls cert_file and key_file go together: set both for a client certificate, or neither"))
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, errkind.Terminal(fmt.Errorf("tls client certificate %s / key %s: %w", t.CertFile, t.KeyFile, err))
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	var roots *x509.CertPool
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, errkind.Terminal(fmt.Errorf("tls ca_file: %w", err))
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, errkind.Terminal(fmt.Errorf("tls ca_file %s holds no PEM certificate", t.CAFile))
		}
	}
	// Encryption is always on from here; required stops at that, as
	// --ssl-mode=REQUIRED does.
	cfg.InsecureSkipVerify = true
	switch t.Mode {
	case topology.TLSVerifyCA:
		v := verifier{mode: t.Mode, caFile: t.CAFile, roots: roots}
		cfg.VerifyConnection = v.verify
	case topology.TLSVerifyIdentity:
		name := t.ServerName
		if name == "" {
			name = host
		}
		v := verifier{mode: t.Mode, caFile: t.CAFile, roots: roots, name: name}
		cfg.ServerName = name
		cfg.VerifyConnection = v.verify
	}
	return cfg, nil
}

// verifier checks a server's certificate chain against roots (the system
// pool when nil) and, when name is set, that the leaf certificate is valid
// for name.
type verifier struct {
	mode   topology.TLSMode
	caFile string
	roots  *x509.CertPool
	name   string
}

func (v verifier) verify(cs tls.ConnectionState) error {
	certs := cs.PeerCertificates
	if len(certs) == 0 {
		return errkind.Terminal(fmt.Errorf("tls %s: the server sent no certificate", v.mode))
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter}); err != nil {
		trusted := "the system's trusted CAs"
		fix := "set tls.ca_file to the CA that signed the server's certificate"
		if v.caFile != "" {
			trusted = "the CA in " + v.caFile
			fix = "point tls.ca_file at the CA that signed the server's certificate"
		}
		return errkind.Terminal(fmt.Errorf("tls %s: the server's certificate (subject %q, issuer %q) is not trusted by %s: %s: %w",
			v.mode, certs[0].Subject.String(), certs[0].Issuer.String(), trusted, fix, err))
	}
	if v.name != "" {
		if err := certs[0].VerifyHostname(v.name); err != nil {
			return errkind.Terminal(fmt.Errorf("tls %s: the server's certificate is not valid for %q (it names %s): connect by a name the certificate holds, set tls.server_name to one, or use mode verify-ca: %w",
				v.mode, v.name, certNames(certs[0]), err))
		}
	}
	return nil
}

// certNames lists the DNS names and IP addresses a certificate is valid for.
func certNames(c *x509.Certificate) string {
	var s string
	add := func(n string) {
		if s != "" {
			s += ", "
		}
		s += n
	}
	for _, n := range c.DNSNames {
		add(n)
	}
	for _, ip := range c.IPAddresses {
		add(ip.String())
	}
	if s == "" {
		return "no names"
	}
	return s
}
