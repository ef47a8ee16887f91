package kafkawriter

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// Regression: a broker that requires a client certificate ends the handshake
// with an alert, which crypto/tls reports as a net.OpError "remote error";
// it was retried for the whole retry window.
func TestRetryable_TLSAlertFromBroker(t *testing.T) {
	alert := &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"remote TLS alert", fmt.Errorf("cannot reach the cluster: %w", alert), false},
		{"dial refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"EOF", io.EOF, true},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
	if h := hintFor(alert); !strings.Contains(h, "cert_file and key_file") {
		t.Errorf("hint %q does not name the client certificate settings", h)
	}
}
