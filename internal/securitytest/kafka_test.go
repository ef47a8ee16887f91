package securitytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/sluicecdc/sluice/actors/sink"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/actors/sink/txwriter"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// Tests of sinks[].tls and sinks[].sasl against the bed's Kafka, for both
// writers (kafkawriter, txwriter): the SASL_SSL listener (SCRAM-SHA-256,
// SCRAM-SHA-512, PLAIN; server certificate from the bed's CA) and the SSL
// listener that requires a client certificate.

// secureSink is a sink on broker with the given TLS and SASL settings,
// writing to an existing topic.
func secureSink(broker, topic string, tlsCfg topology.KafkaTLS, s topology.SASL) *topology.Sink {
	return &topology.Sink{
		Name:              "secure-kafka",
		Brokers:           []string{broker},
		Topic:             topic,
		BatchBytes:        64 << 10,
		MaxMessageBytes:   1 << 20,
		Oversize:          topology.OversizeFail,
		CreateTopics:      topology.CreateTopicsNever,
		Partitions:        1,
		ReplicationFactor: 1,
		TLS:               tlsCfg,
		SASL:              s,
	}
}

func records(topic string, n int, tag string) []kafkawriter.Message {
	out := make([]kafkawriter.Message, n)
	for i := range out {
		out[i] = kafkawriter.Message{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)),
			Value: []byte(fmt.Sprintf("%s-%04d", tag, i)), Seq: uint64(i + 1)}
	}
	return out
}

// writers are the Kafka writers of a sink; each passes every test here.
var writers = []struct {
	name string
	open func(s *topology.Sink, retryFor time.Duration) (sink.Writer, error)
}{
	{"kafkawriter", func(s *topology.Sink, retryFor time.Duration) (sink.Writer, error) {
		w, err := kafkawriter.New(kafkawriter.Config{Sink: s, RetryFor: retryFor, RequestTimeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		return w, nil
	}},
	{"txwriter", func(s *topology.Sink, retryFor time.Duration) (sink.Writer, error) {
		ctx, cancel := context.WithTimeout(context.Background(), retryFor+30*time.Second)
		defer cancel()
		w, err := txwriter.Open(ctx, txwriter.Config{Sink: s, RetryFor: retryFor, RequestTimeout: 10 * time.Second,
			TransactionalID: txwriter.TransactionalID(fmt.Sprintf("securitytest-%d", time.Now().UnixNano()), s.Name)})
		if err != nil {
			return nil, err
		}
		return w, nil
	}},
}

// write opens the writer for sink, writes msgs (and commits them) and
// returns the error and how long it took from the open; retryFor bounds the
// writer's retries.
func write(t *testing.T, open func(*topology.Sink, time.Duration) (sink.Writer, error), s *topology.Sink, msgs []kafkawriter.Message, retryFor time.Duration) (error, time.Duration) {
	t.Helper()
	start := time.Now()
	w, err := open(s, retryFor)
	if err != nil {
		return err, time.Since(start)
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), retryFor+30*time.Second)
	defer cancel()
	p := w.Submit(msgs)
	_ = w.Commit(ctx) // its error is p's
	err = p.Wait(ctx)
	return err, time.Since(start)
}

// readBack reads n records of topic's partition 0 through broker with the
// given TLS and SASL, as an independent consumer would.
func readBack(t *testing.T, broker, topic string, tc *tls.Config, mech sasl.Mechanism, n int) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{broker}, Topic: topic, Partition: 0, MinBytes: 1, MaxBytes: 1 << 20,
		MaxWait: 100 * time.Millisecond,
		Dialer:  &kafka.Dialer{Timeout: 10 * time.Second, TLS: tc, SASLMechanism: mech},
	})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []kafka.Message
	for len(got) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("reading %s through %s after %d records: %v", topic, broker, len(got), err)
		}
		got = append(got, m)
	}
	return got
}

func caPool(t *testing.T, file string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TestKafkaSASL_LoginWritesAndReadsBack: SCRAM-SHA-256, SCRAM-SHA-512 (a
// user made for the test) and PLAIN (the bed's user) over TLS write through
// each Kafka writer; a consumer on the same listener reads every record back.
func TestKafkaSASL_LoginWritesAndReadsBack(t *testing.T) {
	needBed(t)
	broker, ca := saslBroker(t), tlsFile(t, "ca.pem")
	pw := secret(t, "scram-")
	user := newScramUser(t, pw)
	for _, wr := range writers {
		for _, tc := range []struct {
			mech     topology.SASLMechanism
			user, pw string
			consumer func() (sasl.Mechanism, error)
		}{
			{topology.SASLScramSHA256, user, pw, func() (sasl.Mechanism, error) { return scram.Mechanism(scram.SHA256, user, pw) }},
			{topology.SASLScramSHA512, user, pw, func() (sasl.Mechanism, error) { return scram.Mechanism(scram.SHA512, user, pw) }},
			{topology.SASLPlain, "sluice", "sluice-plain", func() (sasl.Mechanism, error) {
				return plain.Mechanism{Username: "sluice", Password: "sluice-plain"}, nil
			}},
		} {
			t.Run(wr.name+"/"+string(tc.mech), func(t *testing.T) {
				topic := testbed.NewTopic(t, 1)
				sink := secureSink(broker, topic, topology.KafkaTLS{Enabled: true, CAFile: ca},
					topology.SASL{Mechanism: tc.mech, User: tc.user, Password: topology.NewSecret(tc.pw)})
				const n = 200
				if err, took := write(t, wr.open, sink, records(topic, n, string(tc.mech)), 10*time.Second); err != nil {
					t.Fatalf("write after %v: %v", took, err)
				}
				mech, err := tc.consumer()
				if err != nil {
					t.Fatal(err)
				}
				got := readBack(t, broker, topic, caPool(t, ca), mech, n)
				for i, m := range got {
					if want := fmt.Sprintf("%s-%04d", tc.mech, i); string(m.Value) != want || string(m.Key) != fmt.Sprintf("k%d", i) {
						t.Fatalf("record %d = %s/%s, want k%d/%s", i, m.Key, m.Value, i, want)
					}
				}
				// And the PLAINTEXT listener of the same cluster sees them too.
				if all := testbed.ReadTopic(t, topic, n, 30*time.Second); len(all) != n {
					t.Errorf("PLAINTEXT listener reads %d records, want %d", len(all), n)
				}
			})
		}
	}
}

// TestKafkaSASL_WrongPasswordFailsFast: a wrong password is terminal at the
// first attempt, not retried for the writer's retry window, and the error
// says what to fix without the password.
func TestKafkaSASL_WrongPasswordFailsFast(t *testing.T) {
	needBed(t)
	broker, ca := saslBroker(t), tlsFile(t, "ca.pem")
	user := newScramUser(t, secret(t, "scram-"))
	topic := testbed.NewTopic(t, 1)
	for _, wr := range writers {
		for _, mech := range []topology.SASLMechanism{topology.SASLScramSHA256, topology.SASLScramSHA512, topology.SASLPlain} {
			t.Run(wr.name+"/"+string(mech), func(t *testing.T) {
				wrong := secret(t, "wrong-")
				sink := secureSink(broker, topic, topology.KafkaTLS{Enabled: true, CAFile: ca},
					topology.SASL{Mechanism: mech, User: user, Password: topology.NewSecret(wrong)})
				const retryFor = 60 * time.Second
				err, took := write(t, wr.open, sink, records(topic, 10, "x"), retryFor)
				if err == nil {
					t.Fatal("write with a wrong password succeeded")
				}
				t.Logf("failed after %v: %v", took, err)
				if took > 10*time.Second {
					t.Errorf("failing took %v; want seconds, not the %v retry window", took, retryFor)
				}
				if !errkind.IsTerminal(err) {
					t.Errorf("not terminal: %v", err)
				}
				msg := err.Error()
				// kafka-go writes "SASL Authentication Failed", franz-go "SASL Authentication failed".
				for _, w := range []string{"sasl authentication failed", "check the sink's sasl user and password"} {
					if !strings.Contains(strings.ToLower(msg), w) {
						t.Errorf("error %q lacks %q", msg, w)
					}
				}
				if strings.Contains(msg, wrong) {
					t.Errorf("error contains the password: %q", msg)
				}
			})
		}
	}
}

// TestKafkaTLS_CA: TLS to Kafka with the right CA works, with a wrong CA it
// fails fast and terminally with the fix; mutual TLS works with the bed's
// client certificate and without one fails fast with the fix.
func TestKafkaTLS_CA(t *testing.T) {
	needBed(t)
	ca, other := tlsFile(t, "ca.pem"), tlsFile(t, "other-ca.pem")
	cert, key := tlsFile(t, "client.pem"), tlsFile(t, "client.key")
	saslB, sslB := saslBroker(t), sslBroker(t)
	pw := secret(t, "scram-")
	user := newScramUser(t, pw)
	scramCfg := topology.SASL{Mechanism: topology.SASLScramSHA512, User: user, Password: topology.NewSecret(pw)}
	topic := testbed.NewTopic(t, 1)
	for _, wr := range writers {
		for _, tc := range []struct {
			name   string
			broker string
			tls    topology.KafkaTLS
			sasl   topology.SASL
			want   []string // nil: success
		}{
			{"SASL_SSL with the right CA", saslB, topology.KafkaTLS{Enabled: true, CAFile: ca}, scramCfg, nil},
			{"SASL_SSL with a wrong CA", saslB, topology.KafkaTLS{Enabled: true, CAFile: other}, scramCfg,
				[]string{"certificate signed by unknown authority", "point ca_file at the CA that signed it"}},
			{"SASL_SSL with the system roots", saslB, topology.KafkaTLS{Enabled: true}, scramCfg,
				[]string{"certificate signed by unknown authority"}},
			{"mutual TLS with a client certificate", sslB, topology.KafkaTLS{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key}, topology.SASL{}, nil},
			{"mutual TLS without a client certificate", sslB, topology.KafkaTLS{Enabled: true, CAFile: ca}, topology.SASL{},
				[]string{"remote error: tls", "set cert_file and key_file under the sink's tls"}},
		} {
			t.Run(wr.name+"/"+tc.name, func(t *testing.T) {
				const retryFor = 60 * time.Second
				err, took := write(t, wr.open, secureSink(tc.broker, topic, tc.tls, tc.sasl), records(topic, 5, "tls"), retryFor)
				if tc.want == nil {
					if err != nil {
						t.Fatalf("write after %v: %v", took, err)
					}
					return
				}
				if err == nil {
					t.Fatal("write succeeded")
				}
				t.Logf("failed after %v: %v", took, err)
				if took > 10*time.Second {
					t.Errorf("failing took %v; want seconds, not the %v retry window", took, retryFor)
				}
				if !errkind.IsTerminal(err) {
					t.Errorf("not terminal: %v", err)
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
			})
		}
	}
}
