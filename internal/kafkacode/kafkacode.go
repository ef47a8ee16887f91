// Package kafkacode knows which Kafka protocol error codes retrying cannot
// cure and how to fix them, by code, so that every Kafka client of a sink —
// kafka-go's kafka.Error, franz-go's kerr.Error — classifies and explains a
// broker's refusal the same way.
//
// It is a leaf (standard library only). It does not read errors: callers
// take the code out of their client's error type.
package kafkacode

import "strings"

// Codes of the Kafka protocol (see Kafka's Errors.java).
const (
	UnknownServerError                 int16 = -1
	MessageTooLarge                    int16 = 10
	InvalidTopic                       int16 = 17
	RecordListTooLarge                 int16 = 18
	InvalidRequiredAcks                int16 = 21
	TopicAuthorizationFailed           int16 = 29
	ClusterAuthorizationFailed         int16 = 31
	UnsupportedSASLMechanism           int16 = 33
	IllegalSASLState                   int16 = 34
	UnsupportedVersion                 int16 = 35
	UnsupportedForMessageFormat        int16 = 43
	PolicyViolation                    int16 = 44
	InvalidProducerEpoch               int16 = 47
	InvalidTxnState                    int16 = 48
	InvalidProducerIDMapping           int16 = 49
	InvalidTransactionTimeout          int16 = 50
	TransactionalIDAuthorizationFailed int16 = 53
	SecurityDisabled                   int16 = 54
	SASLAuthenticationFailed           int16 = 58
	UnsupportedCompressionType         int16 = 76
	InvalidRecord                      int16 = 87
	ProducerFenced                     int16 = 90
)

// terminal are the codes a retry meets again: the request, the
// configuration or a permission has to change first.
var terminal = map[int16]bool{
	MessageTooLarge: true, RecordListTooLarge: true, InvalidTopic: true, InvalidRequiredAcks: true,
	TopicAuthorizationFailed: true, ClusterAuthorizationFailed: true, TransactionalIDAuthorizationFailed: true,
	UnsupportedSASLMechanism: true, IllegalSASLState: true, SASLAuthenticationFailed: true, SecurityDisabled: true,
	UnsupportedVersion: true, UnsupportedForMessageFormat: true, UnsupportedCompressionType: true,
	PolicyViolation: true, InvalidRecord: true, InvalidTransactionTimeout: true,
}

// Terminal reports whether a broker error code fails the same way on
// every retry. Fencing codes are not in it: what they mean depends on the
// writer (see Fenced).
func Terminal(code int16) bool { return terminal[code] }

// Fenced reports whether the code says that a newer producer may hold the
// transactional id, so that the producer must not open the id again on its
// own (it would fence the newer one in turn). Kafka answers PRODUCER_FENCED
// to the old producer's EndTxn and INVALID_PRODUCER_EPOCH to its produce;
// INVALID_TXN_STATE and INVALID_PRODUCER_ID_MAPPING come from the same
// takeover on other brokers (kfake answers INVALID_TXN_STATE to the EndTxn).
// A transaction the broker aborted at its timeout looks the same.
func Fenced(code int16) bool {
	switch code {
	case ProducerFenced, InvalidProducerEpoch, InvalidTxnState, InvalidProducerIDMapping:
		return true
	}
	return false
}

// HeadersRefused reports whether a broker refused a produce because the
// topic stores message format v0/v1, which has no record headers. Brokers
// 0.11 to 2.x with message.format.version below 0.11 throw "Magic v1 does
// not support record headers" while converting the batch down, which
// reaches the client as UNKNOWN_SERVER_ERROR with that message (Produce v8,
// Kafka 2.4, on; older brokers send the code alone, which stays retryable:
// precheck's sink.NAME.message_format catches those before a run).
func HeadersRefused(code int16, message string) bool {
	switch code {
	case UnsupportedForMessageFormat:
		return true
	case UnknownServerError:
		return strings.Contains(message, "does not support record headers")
	}
	return false
}

// TerminalMessage is Terminal for an error whose broker message the client
// kept: an UNKNOWN_SERVER_ERROR is terminal when its message says the topic
// cannot hold record headers.
func TerminalMessage(code int16, message string) bool {
	return Terminal(code) || HeadersRefused(code, message)
}

// HintMessage is Hint for an error whose broker message the client kept.
func HintMessage(code int16, message string) string {
	if HeadersRefused(code, message) {
		return FixHeaders
	}
	return Hint(code)
}

// Fixes for failures without a broker code of their own, which every writer
// words the same.
const (
	FixMissingTopic = "create the topic with enough partitions, or set create_topics: missing on the sink"
	FixTimeout      = "the broker did not answer in time"
	FixHeaders      = "the topic stores Kafka message format v0/v1 (message.format.version below 0.11), which cannot carry the record headers Sluice writes: raise it (kafka-configs.sh --bootstrap-server BROKER --alter --entity-type topics --entity-name TOPIC --add-config message.format.version=0.11.0 or the brokers' inter.broker.protocol.version) and, for new topics, log.message.format.version on the brokers; sluice precheck reports it as sink.NAME.message_format"
)

// Hint says how to fix the error with code, or "".
func Hint(code int16) string {
	switch code {
	case MessageTooLarge, RecordListTooLarge:
		return "the topic's max.message.bytes is below the sink's max_message_bytes: raise the topic's max.message.bytes or lower the sink's max_message_bytes and batch_bytes"
	case TopicAuthorizationFailed:
		return "the Kafka user may not write this topic: grant it WRITE (and DESCRIBE) on the topic"
	case ClusterAuthorizationFailed:
		return "the Kafka user lacks a cluster permission: grant it IDEMPOTENT_WRITE/CREATE as needed"
	case TransactionalIDAuthorizationFailed:
		return "the Kafka user may not use the sink's transactional id: grant it WRITE on the TransactionalId, which implies DESCRIBE (kafka-acls.sh --add --allow-principal User:NAME --operation Write --transactional-id sluice/ --resource-pattern-type prefixed covers every task)"
	case InvalidTransactionTimeout:
		return "the transaction timeout is above the broker's transaction.max.timeout.ms: lower it or raise the broker's limit"
	case SASLAuthenticationFailed:
		return "check the sink's sasl user and password"
	case UnsupportedSASLMechanism:
		return "the broker does not enable this SASL mechanism: use one listed in its sasl.enabled.mechanisms"
	case PolicyViolation:
		return "a broker policy refused the request: see the broker's create.topic.policy / alter.config.policy"
	}
	return ""
}
