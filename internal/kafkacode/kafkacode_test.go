package kafkacode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
)

// The codes are the protocol's: both clients must agree with them.
func TestCodes_MatchBothClients(t *testing.T) {
	for _, tc := range []struct {
		code    int16
		kafkaGo kafka.Error
		franzGo *kerr.Error
	}{
		{UnknownServerError, kafka.Unknown, kerr.UnknownServerError},
		{MessageTooLarge, kafka.MessageSizeTooLarge, kerr.MessageTooLarge},
		{InvalidTopic, kafka.InvalidTopic, kerr.InvalidTopicException},
		{RecordListTooLarge, kafka.RecordListTooLarge, kerr.RecordListTooLarge},
		{InvalidRequiredAcks, kafka.InvalidRequiredAcks, kerr.InvalidRequiredAcks},
		{TopicAuthorizationFailed, kafka.TopicAuthorizationFailed, kerr.TopicAuthorizationFailed},
		{ClusterAuthorizationFailed, kafka.ClusterAuthorizationFailed, kerr.ClusterAuthorizationFailed},
		{UnsupportedSASLMechanism, kafka.UnsupportedSASLMechanism, kerr.UnsupportedSaslMechanism},
		{IllegalSASLState, kafka.IllegalSASLState, kerr.IllegalSaslState},
		{UnsupportedVersion, kafka.UnsupportedVersion, kerr.UnsupportedVersion},
		{UnsupportedForMessageFormat, kafka.UnsupportedForMessageFormat, kerr.UnsupportedForMessageFormat},
		{PolicyViolation, kafka.PolicyViolation, kerr.PolicyViolation},
		{InvalidProducerEpoch, kafka.InvalidProducerEpoch, kerr.InvalidProducerEpoch},
		{InvalidTxnState, kafka.InvalidTransactionState, kerr.InvalidTxnState},
		{InvalidProducerIDMapping, kafka.InvalidProducerIDMapping, kerr.InvalidProducerIDMapping},
		{InvalidTransactionTimeout, kafka.InvalidTransactionTimeout, kerr.InvalidTransactionTimeout},
		{TransactionalIDAuthorizationFailed, kafka.TransactionalIDAuthorizationFailed, kerr.TransactionalIDAuthorizationFailed},
		{SecurityDisabled, kafka.SecurityDisabled, kerr.SecurityDisabled},
		{SASLAuthenticationFailed, kafka.SASLAuthenticationFailed, kerr.SaslAuthenticationFailed},
		{UnsupportedCompressionType, kafka.UnsupportedCompressionType, kerr.UnsupportedCompressionType},
		{InvalidRecord, kafka.InvalidRecord, kerr.InvalidRecord},
		{ProducerFenced, kafka.ProducerFenced, kerr.ProducerFenced},
	} {
		if int16(tc.kafkaGo) != tc.code || tc.franzGo.Code != tc.code {
			t.Errorf("code %d: kafka-go %d (%s), franz-go %d (%s)", tc.code, int16(tc.kafkaGo), tc.kafkaGo, tc.franzGo.Code, tc.franzGo.Message)
		}
	}
	if Terminal(ProducerFenced) || !Fenced(ProducerFenced) || !Fenced(InvalidProducerEpoch) || Fenced(TopicAuthorizationFailed) {
		t.Error("fencing codes are classified apart from the terminal ones")
	}
}

// Issue 16: a 2.x broker whose topic has message.format.version=0.10.2
// answers every produce with UNKNOWN_SERVER_ERROR "Magic v1 does not support
// record headers", which was retried for the whole retry window.
func TestHeadersRefused_TerminalWithFix(t *testing.T) {
	headers := fmt.Errorf("%w: %s", kafka.Unknown, "Magic v1 does not support record headers")
	for _, tc := range []struct {
		name     string
		code     int16
		message  string
		terminal bool
	}{
		{"unknown error naming headers", UnknownServerError, headers.Error(), true},
		{"unsupported for message format", UnsupportedForMessageFormat, "", true},
		{"unknown error without a message", UnknownServerError, kafka.Unknown.Error(), false},
		{"unknown error of another cause", UnknownServerError, "[-1] Unknown Server Error: disk full", false},
		{"headers text on another code", int16(kafka.NotLeaderForPartition), "does not support record headers", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HeadersRefused(tc.code, tc.message); got != tc.terminal {
				t.Errorf("HeadersRefused = %v, want %v", got, tc.terminal)
			}
			if got := TerminalMessage(tc.code, tc.message); got != tc.terminal {
				t.Errorf("TerminalMessage = %v, want %v", got, tc.terminal)
			}
			hint := HintMessage(tc.code, tc.message)
			if tc.terminal != (hint == FixHeaders) {
				t.Errorf("HintMessage = %q", hint)
			}
		})
	}
	for _, want := range []string{"message.format.version", "kafka-configs.sh", "--add-config message.format.version=", "log.message.format.version", "sink.NAME.message_format"} {
		if !strings.Contains(FixHeaders, want) {
			t.Errorf("FixHeaders lacks %q", want)
		}
	}
	// Other terminal codes keep their own classification.
	if !TerminalMessage(TopicAuthorizationFailed, "") || HintMessage(TopicAuthorizationFailed, "") != Hint(TopicAuthorizationFailed) {
		t.Error("TerminalMessage/HintMessage change codes other than the header ones")
	}
}
