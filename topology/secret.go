package topology

import (
	"log/slog"
	"net"
	"strconv"
)

// Secret holds a password or token. It never prints its value: String,
// GoString, MarshalJSON, MarshalText and slog all render it redacted.
type Secret struct{ value string }

// NewSecret wraps a resolved secret value.
func NewSecret(v string) Secret { return Secret{value: v} }

// Value returns the secret for use on the wire. Never log it.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a value is present.
func (s Secret) IsSet() bool { return s.value != "" }

const redacted = "[redacted]"

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}
