package precheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/sluicecdc/sluice/actors/sink/partitions"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// checkSink runs every check of one Kafka sink: the bootstrap brokers answer
// (TLS and SASL included), every broker the cluster advertises answers, the
// broker speaks the needed API versions (and which release it is), the
// topics take record headers (message format v2), and each topic exists
// with enough partitions or may be created, and the schema registry answers. known, when set, holds the partition counts
// recorded when the task started.
func checkSink(ctx context.Context, dag *topology.DAG, s *topology.Sink, known map[string]int, opts *Options) []Item {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	items := checkKafka(ctx, dag, s, known, opts)
	if s.Registry != nil && s.Registry.URL != "" {
		items = append(items, checkRegistry(ctx, s, opts.Timeout))
	}
	return items
}

func checkKafka(ctx context.Context, dag *topology.DAG, s *topology.Sink, known map[string]int, opts *Options) []Item {
	n := itemNamer("sink." + s.Name)
	tr, err := sinkTransport(s, opts.Timeout)
	if err != nil {
		return []Item{{Name: n("connect"), Status: Fail, Detail: fmt.Sprintf("sink %s: %v", s.Name, err),
			Fix: fmt.Sprintf("correct the tls / sasl settings of sink %s", s.Name)}}
	}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Transport: tr, Timeout: opts.Timeout}

	// 1. Each bootstrap broker: ApiVersions (the first request of a session,
	// after the TLS handshake and SASL login).
	var versions *kafka.ApiVersionsResponse
	var bad []string
	var firstErr error
	for _, b := range s.Brokers {
		if !s.TLS.Enabled {
			if err := probeKafkaPeer(ctx, b); err != nil {
				bad = append(bad, b)
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
		}
		v, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{Addr: kafka.TCP(b)})
		if err == nil && v.Error != nil {
			err = v.Error
		}
		if err != nil {
			bad = append(bad, b)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if versions == nil {
			versions = v
		}
	}
	if versions == nil {
		return []Item{kafkaConnectItem(s, s.Brokers[0], firstErr)}
	}
	var items []Item
	mode := kafkaSecurity(s)
	if len(bad) > 0 {
		it := kafkaConnectItem(s, bad[0], firstErr)
		it.Status = Warn
		it.Detail = fmt.Sprintf("%d of %d bootstrap brokers answer (%s); %s", len(s.Brokers)-len(bad), len(s.Brokers), mode, it.Detail)
		items = append(items, it)
	} else {
		items = append(items, Item{Name: n("connect"), Status: Pass,
			Detail: fmt.Sprintf("%s answered (%s)", plural(len(s.Brokers), "bootstrap broker"), mode)})
	}

	// 2. API versions: Kafka does not say its release; the API ranges do.
	produce, metadata := apiRange(versions, 0), apiRange(versions, 3)
	ver := Item{Name: n("api_versions"), Status: Pass,
		Detail: fmt.Sprintf("Produce v%d–v%d, Metadata v%d–v%d", produce[0], produce[1], metadata[0], metadata[1])}
	if produce[1] < 3 {
		ver.Status = Fail
		ver.Detail += ": the broker predates Kafka 0.11 (no record batches, no headers), which Sluice needs"
		ver.Fix = "upgrade Kafka to 2.x or later (Sluice is tested with Kafka 4)"
	}
	items = append(items, ver, versionItem(s, versions))

	// 3. Metadata: brokers as advertised, and the topics. kafka-go's
	// transport answers from its view of all topics, which never creates
	// one (a Metadata request naming a missing topic may, below v4).
	topics := dag.Topics(s)
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	sort.Strings(names)
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Addr: kafka.TCP(s.Brokers...), Topics: names})
	if err != nil {
		return append(items, Item{Name: n("metadata"), Status: Fail,
			Detail: fmt.Sprintf("reading cluster metadata failed: %v", err), Fix: hintKafka(s, err)})
	}
	items = append(items, checkAdvertised(ctx, cl, s, md.Brokers)...)

	found := map[string]kafka.Topic{}
	for _, t := range md.Topics {
		found[t.Name] = t
	}
	var missing []string
	for _, name := range names {
		t, ok := found[name]
		switch {
		case ok && t.Error == nil:
			items = append(items, topicItem(s, name, len(t.Partitions), topics[name], known))
		case !ok || errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			missing = append(missing, name)
		case errors.Is(t.Error, kafka.TopicAuthorizationFailed):
			items = append(items, Item{Name: n("topic." + name), Status: Fail,
				Detail: fmt.Sprintf("the sink's user may not describe topic %s", name),
				Fix:    fmt.Sprintf("grant the sink's Kafka user DESCRIBE and WRITE on topic %s (kafka-acls.sh --add --allow-principal User:%s --operation Describe --operation Write --topic %s)", name, orNone(s.SASL.User), name)})
		default:
			items = append(items, Item{Name: n("topic." + name), Status: Fail,
				Detail: fmt.Sprintf("metadata of topic %s: %v", name, t.Error)})
		}
	}
	items = append(items, checkMessageFormat(ctx, cl, s, versions, md, missing),
		checkCleanupPolicy(ctx, cl, dag, s, md, missing))
	if skip := validateOnlyMissing(s, versions, missing); len(skip) > 0 {
		items = append(items, skip...)
	} else if len(missing) > 0 {
		items = append(items, checkMissingTopics(ctx, cl, s, missing, topics, len(md.Brokers))...)
	}
	return items
}

// apiRange is the [min, max] version of an API key; [-1, -1] when absent.
func apiRange(v *kafka.ApiVersionsResponse, key int) [2]int {
	for _, k := range v.ApiKeys {
		if k.ApiKey == key {
			return [2]int{k.MinVersion, k.MaxVersion}
		}
	}
	return [2]int{-1, -1}
}

// checkAdvertised asks every broker the cluster advertises for its API
// versions: the writer connects to partition leaders at their advertised
// addresses, not at the bootstrap list.
func checkAdvertised(ctx context.Context, cl *kafka.Client, s *topology.Sink, brokers []kafka.Broker) []Item {
	name := "sink." + s.Name + ".brokers"
	var bad []string
	var firstErr error
	for _, b := range brokers {
		addr := net.JoinHostPort(b.Host, strconv.Itoa(b.Port))
		if _, err := cl.ApiVersions(ctx, &kafka.ApiVersionsRequest{Addr: kafka.TCP(addr)}); err != nil {
			bad = append(bad, fmt.Sprintf("broker %d at %s", b.ID, addr))
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if len(bad) > 0 {
		return []Item{{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the cluster advertises brokers this machine cannot reach: %s (%v)", listSome(bad, 3), firstErr),
			Fix:    "set the brokers' advertised.listeners to addresses reachable from where Sluice runs"}}
	}
	return []Item{{Name: name, Status: Pass, Detail: fmt.Sprintf("%s in the cluster, all reachable at their advertised addresses", plural(len(brokers), "broker"))}}
}

// topicItem compares an existing topic's partition count with the
// configured one and with the count recorded when the task started.
func topicItem(s *topology.Sink, topic string, have, want int, known map[string]int) Item {
	name := "sink." + s.Name + ".topic." + topic
	for _, c := range partitions.Changed(s.Name, known, partitions.Counts{topic: have}) {
		return Item{Name: name, Status: Fail,
			Detail: fmt.Sprintf("topic %s has %s but had %d when the task started (its checkpoint records the count its records were routed by): keys now hash to other partitions, so per-key order across the change would be lost",
				topic, plural(c.Now, "partition"), c.Was),
			Fix: fmt.Sprintf("recreate topic %s with %d partitions, or take a new snapshot into a fresh topic (docs/partitioning.md, \"Changing a topic's partition count\")", topic, c.Was)}
	}
	if have < want {
		return Item{Name: name, Status: Fail,
			Detail: fmt.Sprintf("topic %s has %s; the topology configures %d", topic, plural(have, "partition"), want),
			Fix:    fmt.Sprintf("kafka-topics.sh --bootstrap-server %s --alter --topic %s --partitions %d, or set partitions: %d in the topology (sink %s or its table rule)", s.Brokers[0], topic, want, have, s.Name)}
	}
	it := Item{Name: name, Status: Pass, Detail: fmt.Sprintf("topic %s exists with %s", topic, plural(have, "partition"))}
	if have > want {
		it.Detail += fmt.Sprintf(" (the topology configures %d; Sluice uses all %d)", want, have)
	}
	return it
}

// checkMissingTopics reports topics that do not exist: a failure when the
// sink may not create them, else a validate-only CreateTopics request proves
// the broker would accept the creation (permission, replication factor).
func checkMissingTopics(ctx context.Context, cl *kafka.Client, s *topology.Sink, missing []string, want map[string]int, brokers int) []Item {
	rf := max(s.ReplicationFactor, 1)
	var items []Item
	if s.CreateTopics != topology.CreateTopicsMissing {
		for _, t := range missing {
			items = append(items, Item{Name: "sink." + s.Name + ".topic." + t, Status: Fail,
				Detail: fmt.Sprintf("topic %s does not exist and sink %s has create_topics: %s", t, s.Name, s.CreateTopics),
				Fix:    fmt.Sprintf("kafka-topics.sh --bootstrap-server %s --create --topic %s --partitions %d --replication-factor %d, or set create_topics: missing on the sink", s.Brokers[0], t, want[t], rf)})
		}
		return items
	}
	req := &kafka.CreateTopicsRequest{Addr: kafka.TCP(s.Brokers...), ValidateOnly: true}
	for _, t := range missing {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: want[t], ReplicationFactor: rf})
	}
	// kafka-go's transport waits after a successful CreateTopics until the
	// topics show up in its metadata, which never happens with ValidateOnly:
	// bound the wait. The answer itself takes milliseconds.
	vctx, cancel := context.WithTimeout(ctx, validateWait)
	defer cancel()
	res, err := cl.CreateTopics(vctx, req)
	if err == nil && res == nil {
		err = errors.New("no answer")
	}
	for _, t := range missing {
		name := "sink." + s.Name + ".topic." + t
		var e error
		if err != nil {
			e = err
		} else {
			e = res.Errors[t]
		}
		switch {
		case errkind.IsTimeout(e):
			items = append(items, Item{Name: name, Status: Warn,
				Detail: fmt.Sprintf("topic %s does not exist yet; Sluice will create it with %d partitions, replication factor %d, but the broker did not confirm in time that it would accept the creation", t, want[t], rf),
				Fix:    fmt.Sprintf("create the topic yourself if the task fails to: kafka-topics.sh --bootstrap-server %s --create --topic %s --partitions %d --replication-factor %d", s.Brokers[0], t, want[t], rf)})
		case e == nil:
			items = append(items, Item{Name: name, Status: Pass,
				Detail: fmt.Sprintf("topic %s does not exist yet; Sluice will create it with %s, replication factor %d (the broker accepted a validate-only request)", t, plural(want[t], "partition"), rf)})
		case errors.Is(e, kafka.InvalidReplicationFactor):
			items = append(items, Item{Name: name, Status: Fail,
				Detail: fmt.Sprintf("topic %s cannot be created with replication factor %d: the cluster has %s", t, rf, plural(brokers, "broker")),
				Fix:    fmt.Sprintf("set replication_factor: %d (or less) on sink %s", brokers, s.Name)})
		case errors.Is(e, kafka.TopicAuthorizationFailed), errors.Is(e, kafka.ClusterAuthorizationFailed):
			items = append(items, Item{Name: name, Status: Fail,
				Detail: fmt.Sprintf("topic %s does not exist and the sink's user may not create it", t),
				Fix:    fmt.Sprintf("create the topic yourself (kafka-topics.sh --create --topic %s --partitions %d --replication-factor %d) or grant the user CREATE", t, want[t], rf)})
		default:
			items = append(items, Item{Name: name, Status: Fail,
				Detail: fmt.Sprintf("topic %s does not exist and the broker refused to validate its creation: %v", t, e),
				Fix:    fmt.Sprintf("create the topic yourself: kafka-topics.sh --bootstrap-server %s --create --topic %s --partitions %d --replication-factor %d", s.Brokers[0], t, want[t], rf)})
		}
	}
	return items
}

// validateWait bounds a validate-only CreateTopics request (see
// checkMissingTopics).
const validateWait = 1500 * time.Millisecond

// kafkaSecurity describes how the sink connects.
func kafkaSecurity(s *topology.Sink) string {
	out := "plaintext"
	if s.TLS.Enabled {
		out = "TLS"
	}
	if s.SASL.Mechanism != topology.SASLNone {
		out += ", SASL " + string(s.SASL.Mechanism) + " as " + s.SASL.User
	}
	return out
}

// kafkaConnectItem explains why a broker did not answer.
func kafkaConnectItem(s *topology.Sink, broker string, err error) Item {
	name := "sink." + s.Name + ".connect"
	detail := fmt.Sprintf("cannot talk to Kafka broker %s (sink %s, %s): %v", broker, s.Name, kafkaSecurity(s), err)
	var dns *net.DNSError
	var peer *notKafkaError
	switch {
	case errors.As(err, &peer):
		detail = fmt.Sprintf("broker %s of sink %s is not Kafka: %s answered there", broker, s.Name, peer.what)
	case errors.As(err, &dns):
		detail = fmt.Sprintf("unknown host in broker %s (sink %s): %s", broker, s.Name, dns.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		detail = fmt.Sprintf("connection refused at Kafka broker %s: nothing listens there (sink %s)", broker, s.Name)
	case errors.Is(err, kafka.SASLAuthenticationFailed):
		detail = fmt.Sprintf("SASL %s login as %q refused by broker %s (sink %s)", s.SASL.Mechanism, s.SASL.User, broker, s.Name)
	case errkind.IsTimeout(err):
		detail = fmt.Sprintf("no answer from Kafka broker %s in time (sink %s, %s)", broker, s.Name, kafkaSecurity(s))
	}
	return Item{Name: name, Status: Fail, Detail: detail, Fix: hintKafka(s, err)}
}

// hintKafka says how to fix a connection error to a sink.
func hintKafka(s *topology.Sink, err error) string {
	var dns *net.DNSError
	var rec tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var host x509.HostnameError
	var peer *notKafkaError
	switch {
	case errors.As(err, &peer):
		return fmt.Sprintf("correct brokers of sink %s: host:port of a Kafka listener (the broker's listeners / advertised.listeners), not the port of the database or another service", s.Name)
	case errors.As(err, &dns), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("correct brokers of sink %s (host:port of a Kafka listener) and check that Kafka runs", s.Name)
	case errors.Is(err, kafka.SASLAuthenticationFailed):
		return fmt.Sprintf("correct sasl.user / sasl.password of sink %s, or create the user: kafka-configs.sh --alter --add-config '%s=[password=...]' --entity-type users --entity-name %s", s.Name, s.SASL.Mechanism, s.SASL.User)
	case errors.Is(err, kafka.UnsupportedSASLMechanism):
		return fmt.Sprintf("the listener does not enable %s: use a mechanism in its sasl.enabled.mechanisms", s.SASL.Mechanism)
	case errors.Is(err, kafka.IllegalSASLState):
		return "the listener does not expect SASL: remove sasl from the sink or use the broker's SASL listener"
	case errors.As(err, &rec):
		return fmt.Sprintf("the listener does not speak TLS: set tls.enabled: false on sink %s or use the broker's TLS port", s.Name)
	case errors.As(err, &host):
		return "the broker's certificate does not name the host in brokers: connect with a name it lists"
	case errors.As(err, &unknownCA), errors.As(err, &verify):
		return fmt.Sprintf("point tls.ca_file of sink %s at the CA that signed the broker's certificate", s.Name)
	case errkind.IsTimeout(err), errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if !s.TLS.Enabled {
			return fmt.Sprintf("check the broker address and firewalls; if the listener uses TLS or SASL, configure tls / sasl on sink %s", s.Name)
		}
		return "check the broker address, firewalls and that the listener's security protocol matches the sink's tls / sasl settings"
	}
	return fmt.Sprintf("check brokers, tls and sasl of sink %s against the listener's security protocol", s.Name)
}

// sinkTransport builds a kafka-go transport for the sink's TLS and SASL
// settings, mapped as kafkawriter maps them.
func sinkTransport(s *topology.Sink, timeout time.Duration) (*kafka.Transport, error) {
	var mech sasl.Mechanism
	switch s.SASL.Mechanism {
	case topology.SASLNone:
	case topology.SASLPlain:
		mech = plain.Mechanism{Username: s.SASL.User, Password: s.SASL.Password.Value()}
	case topology.SASLScramSHA256, topology.SASLScramSHA512:
		algo := scram.SHA256
		if s.SASL.Mechanism == topology.SASLScramSHA512 {
			algo = scram.SHA512
		}
		m, err := scram.Mechanism(algo, s.SASL.User, s.SASL.Password.Value())
		if err != nil {
			return nil, fmt.Errorf("sasl %s for user %q: %w", s.SASL.Mechanism, s.SASL.User, err)
		}
		mech = m
	default:
		return nil, fmt.Errorf("sasl mechanism %q unknown: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.SASL.Mechanism)
	}
	var tc *tls.Config
	if s.TLS.Enabled {
		tc = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.TLS.InsecureSkipVerify}
		if s.TLS.CAFile != "" {
			pem, err := os.ReadFile(s.TLS.CAFile)
			if err != nil {
				return nil, fmt.Errorf("tls ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("tls ca_file %s holds no PEM certificate", s.TLS.CAFile)
			}
			tc.RootCAs = pool
		}
		if s.TLS.CertFile != "" || s.TLS.KeyFile != "" {
			cert, err := tls.LoadX509KeyPair(s.TLS.CertFile, s.TLS.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("tls client certificate %s / %s: %w", s.TLS.CertFile, s.TLS.KeyFile, err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
	}
	return &kafka.Transport{
		Dial:        (&net.Dialer{Timeout: timeout}).DialContext,
		DialTimeout: timeout,
		ClientID:    "sluice-precheck",
		TLS:         tc,
		SASL:        mech,
		MetadataTTL: time.Second,
	}, nil
}

// recordedPartitions collects the partition counts the checkpoints
// recorded, by sink and topic (the first source's, in name order, where two
// disagree).
func recordedPartitions(cps map[string]store.Checkpoint) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, src := range slices.Sorted(maps.Keys(cps)) {
		for sink, topics := range cps[src].Partitions {
			if out[sink] == nil {
				out[sink] = map[string]int{}
			}
			for t, n := range topics {
				if _, ok := out[sink][t]; !ok {
					out[sink][t] = n
				}
			}
		}
	}
	return out
}
