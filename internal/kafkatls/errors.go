package kafkatls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
)

// Permanent reports whether err is a TLS failure that fails the same way
// every time: a certificate that is untrusted, misnamed or invalid, a
// handshake the broker ended with an alert, a listener that does not speak
// TLS. Clients retry network errors; these are not to be retried.
func Permanent(err error) bool {
	var (
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		verify     *tls.CertificateVerificationError
		recordHdr  tls.RecordHeaderError
		alertError tls.AlertError
	)
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &recordHdr) || errors.As(err, &alertError) || refused(err)
}

// refused reports whether the broker ended the TLS handshake with an alert
// ("remote error: tls: certificate required", "bad certificate"):
// crypto/tls reports a received alert as a net.OpError with Op "remote
// error", not as a tls.AlertError.
func refused(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// Hint says how to fix a TLS failure in the sink's settings, or "" when err
// is none.
func Hint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &verify) {
		return "the broker's certificate is not signed by the sink's tls ca_file: point ca_file at the CA that signed it"
	}
	var hostname x509.HostnameError
	if errors.As(err, &hostname) {
		return "the broker's certificate does not name the host in brokers: connect with a name it lists"
	}
	if refused(err) {
		return "the broker refused the TLS handshake: if its listener requires a client certificate (ssl.client.auth=required), set cert_file and key_file under the sink's tls to one signed by a CA the broker trusts"
	}
	var recordHdr tls.RecordHeaderError
	if errors.As(err, &recordHdr) {
		return "the listener does not speak TLS: disable tls on the sink or use the broker's TLS port"
	}
	return ""
}
