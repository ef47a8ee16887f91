package kafkawriter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

// Issue 16: a broker storing message format v1 refused every produce with
// UNKNOWN_SERVER_ERROR "Magic v1 does not support record headers", and the
// writer retried it for the whole retry window.
func TestRetryable_HeadersRefusedIsTerminal(t *testing.T) {
	// kafka-go's Produce returns the code wrapped with the broker's message.
	refused := fmt.Errorf("%w: %s", kafka.Unknown, "Magic v1 does not support record headers")
	if retryable(refused) {
		t.Error("a produce refused for record headers is retried")
	}
	if h := hintFor(refused); !strings.Contains(h, "--add-config message.format.version=") {
		t.Errorf("hint %q does not say how to raise message.format.version", h)
	}
	if !retryable(kafka.Unknown) {
		t.Error("an unknown server error without a message is no longer retried")
	}
}
