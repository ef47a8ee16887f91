package kafkacode

import (
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
