package txwriter

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/protocol"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicecdc/sluice/actors/sink/kafkarecord"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/kafkatls"
	"github.com/sluicecdc/sluice/topology"
)

// Defaults applied where Config leaves a setting at zero; RetryFor and
// RequestTimeout are kafkawriter's.
const (
	DefaultRetryFor           = 30 * time.Second
	DefaultRequestTimeout     = 30 * time.Second
	DefaultTransactionTimeout = 2 * time.Minute
)

// Config configures a Writer for one sink.
type Config struct {
	// Sink is the resolved topology sink: brokers, TLS, SASL, compression,
	// linger, max message bytes, oversize policy. batch_bytes is not used:
	// franz-go has one limit for the largest record and the largest batch,
	// max_message_bytes.
	Sink *topology.Sink
	// TransactionalID is the producer's identity across owners of the task,
	// TransactionalID(task, sink). Opening it fences every older producer
	// that used it. Required.
	TransactionalID string
	// Logger receives the client's warnings and errors; nothing is logged
	// per record or per transaction. Nil discards.
	Logger *slog.Logger
	// OnSkip, when set, is called for every record the "skip" oversize
	// policy drops, on the caller's goroutine, before Submit returns.
	OnSkip func(kafkarecord.Skipped)
	// RetryFor is how long a record is retried on retryable errors before
	// its transaction is aborted and the writer fails (default 30 s, at
	// least 1 s). The supervisor retries beyond that.
	RetryFor time.Duration
	// RequestTimeout bounds one produce request at the broker (default 30 s)
	// and the abort of a failed transaction.
	RequestTimeout time.Duration
	// TransactionTimeout is how long the broker lets a transaction stay
	// open before it aborts it (default 2 min, at most the broker's
	// transaction.max.timeout.ms). It must outlast RetryFor: a transaction
	// the broker aborts fences this writer as a new owner would.
	TransactionTimeout time.Duration
	// ClientID is sent to the brokers (default "sluice").
	ClientID string
	// Headers are added to every record after its own: a cluster node's
	// owner headers (sluice.node, sluice.epoch). Every record shares their
	// bytes, which must not change while the Writer is open; they count
	// against max_message_bytes.
	Headers []protocol.Header
}

// TransactionalID is the transactional id of a task's sink. It is the same
// on every node, so that the node taking the task over fences the one that
// had it.
func TransactionalID(task, sink string) string { return "sluice/" + task + "/" + sink }

// options resolves cfg into the client's options and the writer's limits.
func options(cfg *Config) ([]kgo.Opt, error) {
	s := cfg.Sink
	if s == nil {
		return nil, errkind.Terminal(errors.New("transactional kafka writer: no sink configured"))
	}
	bad := func(err error) error {
		return errkind.Terminal(fmt.Errorf("transactional kafka writer for sink %q: %w", s.Name, err))
	}
	if len(s.Brokers) == 0 {
		return nil, bad(errors.New("no brokers: list at least one host:port under brokers"))
	}
	if cfg.TransactionalID == "" {
		return nil, bad(errors.New("no transactional id: set it to TransactionalID(task, sink)"))
	}
	if s.Oversize != "" && s.Oversize != topology.OversizeFail && s.Oversize != topology.OversizeSkip {
		return nil, bad(fmt.Errorf("oversize policy %q unknown: use fail or skip", s.Oversize))
	}
	codec, err := compression(s.Compression)
	if err != nil {
		return nil, bad(err)
	}
	mech, err := mechanism(s.SASL)
	if err != nil {
		return nil, bad(err)
	}
	tc, err := kafkatls.Config(s.TLS)
	if err != nil {
		return nil, bad(err)
	}
	retryFor := or(cfg.RetryFor, DefaultRetryFor)
	txTimeout := or(cfg.TransactionTimeout, DefaultTransactionTimeout)
	if txTimeout <= retryFor {
		return nil, bad(fmt.Errorf("transaction timeout %s does not outlast the retry time %s: raise it", txTimeout, retryFor))
	}
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = "sluice"
	}
	log := cfg.Logger
	if log != nil {
		log = log.With("sink", s.Name, "transactional_id", cfg.TransactionalID)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.Brokers...),
		kgo.ClientID(clientID),
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(txTimeout),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerBatchMaxBytes(int32(limits(cfg).MaxMessageBytes)),
		kgo.ProducerLinger(s.Linger),
		kgo.ProduceRequestTimeout(or(cfg.RequestTimeout, DefaultRequestTimeout)),
		// A record is retried for RetryFor (franz-go's floor is 1 s), a
		// missing topic included, as kafkawriter retries a batch.
		kgo.RecordDeliveryTimeout(max(retryFor, time.Second)),
		kgo.UnknownTopicRetries(-1),
		// franz-go retries a failed produce after a metadata refresh, at most
		// one per MetadataMinAge (5 s by default): retry within a second, as
		// kafkawriter does.
		kgo.MetadataMinAge(time.Second),
		// Memory is bounded by the engine's credits: Submit never blocks.
		kgo.MaxBufferedRecords(math.MaxInt),
		kgo.WithLogger(&logger{l: log}),
	}
	if strings.EqualFold(s.Compression, "lz4") {
		opts = append(opts, kgo.WithCompressor(lz4Compressor{}))
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// limits are the sink's record rules, defaulted as kafkawriter defaults
// them.
func limits(cfg *Config) kafkarecord.Limits {
	s := cfg.Sink
	l := kafkarecord.Limits{Sink: s.Name, MaxMessageBytes: s.MaxMessageBytes, Oversize: s.Oversize, OnSkip: cfg.OnSkip}
	if len(cfg.Headers) > 0 {
		l.Added = kafkarecord.HeadersSize(cfg.Headers)
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = 1 << 20
	}
	if l.Oversize == "" {
		l.Oversize = topology.OversizeFail
	}
	return l
}

func or(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// compression maps the topology's codec name to franz-go's.
func compression(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("compression %q unknown: use none, gzip, snappy, lz4 or zstd", name)
}

// mechanism maps the topology's SASL settings to franz-go's; nil when SASL
// is off.
func mechanism(s topology.SASL) (sasl.Mechanism, error) {
	switch s.Mechanism {
	case topology.SASLNone:
		return nil, nil
	case topology.SASLPlain:
		return plain.Auth{User: s.User, Pass: s.Password.Value()}.AsMechanism(), nil
	case topology.SASLScramSHA256:
		return scram.Auth{User: s.User, Pass: s.Password.Value()}.AsSha256Mechanism(), nil
	case topology.SASLScramSHA512:
		return scram.Auth{User: s.User, Pass: s.Password.Value()}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("sasl mechanism %q unknown: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}
