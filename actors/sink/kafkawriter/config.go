package kafkawriter

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/kafkatls"
	"github.com/sluicecdc/sluice/topology"
)

// Defaults applied where the sink leaves a setting at zero.
const (
	DefaultBatchBytes      = 1 << 20
	DefaultMaxMessageBytes = 1 << 20
	DefaultRetryFor        = 30 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultDialTimeout     = 10 * time.Second
)

// Config configures a Writer for one sink.
type Config struct {
	// Sink is the resolved topology sink: brokers, TLS, SASL, compression,
	// batch bytes, linger, max message bytes, oversize policy, topic
	// creation settings.
	Sink *topology.Sink
	// Logger receives connection-level events; nothing is logged per record.
	// Nil discards.
	Logger *slog.Logger
	// OnSkip, when set, is called for every record the "skip" oversize policy
	// drops, on the caller's goroutine, before Write or Submit returns.
	OnSkip func(Skipped)
	// RetryFor is how long a batch is retried on retryable errors before the
	// write fails (default 30 s). The supervisor retries beyond that.
	RetryFor time.Duration
	// RequestTimeout bounds one produce or admin request (default 30 s); the
	// broker gets it as the produce timeout for acks=all.
	RequestTimeout time.Duration
	// ClientID is sent to the brokers (default "sluice").
	ClientID string
}

// Skipped describes a record the "skip" oversize policy did not send.
type Skipped = kafkarecord.Skipped

// settings are the resolved, defaulted knobs of a Writer.
type settings struct {
	brokers         []string
	compression     kafka.Compression
	batchBytes      int
	maxMessageBytes int
	linger          time.Duration
	oversize        topology.OversizePolicy
	retryFor        time.Duration
	requestTimeout  time.Duration
	createTopics    topology.CreateTopics
	partitions      int
	replication     int
}

func resolve(cfg *Config) (settings, error) {
	s := cfg.Sink
	if s == nil {
		return settings{}, errkind.Terminal(errors.New("kafka writer: no sink configured"))
	}
	if len(s.Brokers) == 0 {
		return settings{}, errkind.Terminal(fmt.Errorf("kafka writer for sink %q: no brokers: list at least one host:port under brokers", s.Name))
	}
	comp, err := compression(s.Compression)
	if err != nil {
		return settings{}, errkind.Terminal(fmt.Errorf("kafka writer for sink %q: %w", s.Name, err))
	}
	st := settings{
		brokers:         s.Brokers,
		compression:     comp,
		batchBytes:      orInt(s.BatchBytes, DefaultBatchBytes),
		maxMessageBytes: orInt(s.MaxMessageBytes, DefaultMaxMessageBytes),
		linger:          s.Linger,
		oversize:        s.Oversize,
		retryFor:        orDur(cfg.RetryFor, DefaultRetryFor),
		requestTimeout:  orDur(cfg.RequestTimeout, DefaultRequestTimeout),
		createTopics:    s.CreateTopics,
		partitions:      orInt(s.Partitions, 1),
		replication:     orInt(s.ReplicationFactor, 1),
	}
	if st.oversize == "" {
		st.oversize = topology.OversizeFail
	}
	if st.oversize != topology.OversizeFail && st.oversize != topology.OversizeSkip {
		return settings{}, errkind.Terminal(fmt.Errorf("kafka writer for sink %q: oversize policy %q unknown: use fail or skip", s.Name, st.oversize))
	}
	// A batch is one record batch on the wire, which the broker checks
	// against the topic's max.message.bytes: never build a larger one.
	if st.batchBytes > st.maxMessageBytes {
		st.batchBytes = st.maxMessageBytes
	}
	return st, nil
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDur(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// compression maps the topology's codec name to kafka-go's.
func compression(name string) (kafka.Compression, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("compression %q unknown: use none, gzip, snappy, lz4 or zstd", name)
}

// saslMechanism maps the topology's SASL settings to kafka-go's mechanism;
// nil when SASL is off.
func saslMechanism(s topology.SASL) (sasl.Mechanism, error) {
	switch s.Mechanism {
	case topology.SASLNone:
		return nil, nil
	case topology.SASLPlain:
		return plain.Mechanism{Username: s.User, Password: s.Password.Value()}, nil
	case topology.SASLScramSHA256:
		m, err := scram.Mechanism(scram.SHA256, s.User, s.Password.Value())
		if err != nil {
			return nil, fmt.Errorf("sasl %s for user %q: %w", s.Mechanism, s.User, err)
		}
		return m, nil
	case topology.SASLScramSHA512:
		m, err := scram.Mechanism(scram.SHA512, s.User, s.Password.Value())
		if err != nil {
			return nil, fmt.Errorf("sasl %s for user %q: %w", s.Mechanism, s.User, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("sasl mechanism %q unknown: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}

// newTransport builds the kafka-go transport for a sink.
func newTransport(s *topology.Sink, clientID string) (*kafka.Transport, error) {
	mech, err := saslMechanism(s.SASL)
	if err != nil {
		return nil, errkind.Terminal(fmt.Errorf("kafka sink %q: %w", s.Name, err))
	}
	tc, err := kafkatls.Config(s.TLS)
	if err != nil {
		return nil, errkind.Terminal(fmt.Errorf("kafka sink %q: %w", s.Name, err))
	}
	if clientID == "" {
		clientID = "sluice"
	}
	return &kafka.Transport{
		Dial:        (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		DialTimeout: DefaultDialTimeout,
		IdleTimeout: 5 * time.Minute,
		MetadataTTL: 5 * time.Second,
		ClientID:    clientID,
		TLS:         tc,
		SASL:        mech,
	}, nil
}
