package precheck

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/topology"
)

// apiDescribeConfigs is the DescribeConfigs API key (Kafka 0.11 on).
const apiDescribeConfigs = 32

// formatConfigs holds the settings that decide a sink's message format: the
// broker's inter.broker.protocol.version and log.message.format.version, and
// each existing topic's message.format.version ("" where the broker has no
// such setting, as Kafka 4 has not).
type formatConfigs struct {
	ibp, brokerFormat string
	topics            map[string]string
	// unreadable lists the resources whose settings the broker refused to
	// describe, with its reason.
	unreadable []string
}

// checkMessageFormat reports whether every topic the sink writes takes
// message format v2: Sluice's sluice.* record headers exist only there, and a
// broker asked to store headers in format v0/v1 refuses every produce.
func checkMessageFormat(ctx context.Context, cl *kafka.Client, s *topology.Sink, v *kafka.ApiVersionsResponse, md *kafka.MetadataResponse, missing []string) Item {
	name := "sink." + s.Name + ".message_format"
	if apiRange(v, apiDescribeConfigs)[1] < 0 {
		return Item{Name: name, Status: Fail,
			Detail: "the broker has no DescribeConfigs (it predates Kafka 0.11), so it stores message format v0/v1, which cannot carry the record headers Sluice writes",
			Fix:    "upgrade Kafka to 2.x or later (Sluice is tested with Kafka 4)"}
	}
	absent := map[string]bool{}
	for _, t := range missing {
		absent[t] = true
	}
	req := &kafka.DescribeConfigsRequest{Addr: kafka.TCP(s.Brokers...)}
	for _, t := range md.Topics {
		if t.Error == nil && !absent[t.Name] {
			req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeTopic,
				ResourceName: t.Name, ConfigNames: []string{"message.format.version"}})
		}
	}
	if len(md.Brokers) > 0 {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeBroker,
			ResourceName: strconv.Itoa(md.Brokers[0].ID), ConfigNames: []string{"inter.broker.protocol.version", "log.message.format.version"}})
	}
	res, err := cl.DescribeConfigs(ctx, req)
	if err != nil {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("the message format of the sink's topics could not be read: %v", err),
			Fix:    fmt.Sprintf("grant the sink's Kafka user DESCRIBE_CONFIGS on its topics and the cluster, or check by hand that no topic of sink %s has message.format.version below 0.11", s.Name)}
	}
	c := formatConfigs{topics: map[string]string{}}
	for _, r := range res.Resources {
		if r.Error != nil {
			c.unreadable = append(c.unreadable, fmt.Sprintf("%s (%v)", r.ResourceName, r.Error))
			continue
		}
		for _, e := range r.ConfigEntries {
			switch e.ConfigName {
			case "message.format.version":
				c.topics[r.ResourceName] = e.ConfigValue
			case "inter.broker.protocol.version":
				c.ibp = e.ConfigValue
			case "log.message.format.version":
				c.brokerFormat = e.ConfigValue
			}
		}
	}
	return messageFormatItem(s, c, missing)
}

// messageFormatItem decides from the settings read: a topic below v2 fails,
// as do missing topics when the broker default they will inherit is below v2.
func messageFormatItem(s *topology.Sink, c formatConfigs, missing []string) Item {
	name := "sink." + s.Name + ".message_format"
	if ma, _, ok := parseRelease(c.ibp); ok && ma >= 3 {
		// KIP-724: from inter.broker.protocol.version 3.0 on, brokers
		// write v2 whatever message.format.version says.
		return Item{Name: name, Status: Pass, Detail: fmt.Sprintf("the brokers' inter.broker.protocol.version is %s: every record is stored in message format v2, which carries headers", c.ibp)}
	}
	var low []string
	topics := make([]string, 0, len(c.topics))
	for t := range c.topics {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		if formatBelowV2(c.topics[t]) {
			low = append(low, fmt.Sprintf("topic %s has message.format.version=%s", t, c.topics[t]))
		}
	}
	brokerLow := len(missing) > 0 && formatBelowV2(c.brokerFormat)
	if brokerLow {
		low = append(low, fmt.Sprintf("topics %s do not exist yet and would take the brokers' log.message.format.version=%s", strings.Join(missing, ", "), c.brokerFormat))
	}
	if len(low) > 0 {
		to := c.ibp
		if to == "" {
			to = "0.11.0"
		}
		var fix []string
		for _, t := range topics {
			if formatBelowV2(c.topics[t]) {
				fix = append(fix, fmt.Sprintf("kafka-configs.sh --bootstrap-server %s --alter --entity-type topics --entity-name %s --add-config message.format.version=%s", s.Brokers[0], t, to))
			}
		}
		if brokerLow || formatBelowV2(c.brokerFormat) {
			fix = append(fix, fmt.Sprintf("set log.message.format.version=%s in every broker's server.properties and restart the brokers one by one", to))
		}
		return Item{Name: name, Status: Fail,
			Detail: listSome(low, 3) + ": message format v0/v1 (before Kafka 0.11) cannot carry record headers, and Sluice writes its sluice.* headers on every record, so the broker would refuse every produce",
			Fix:    strings.Join(fix, "; ")}
	}
	if len(c.unreadable) > 0 {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("the message format of %s could not be read", listSome(c.unreadable, 3)),
			Fix:    fmt.Sprintf("grant the sink's Kafka user DESCRIBE_CONFIGS on its topics and the cluster, or check by hand that no topic of sink %s has message.format.version below 0.11", s.Name)}
	}
	if len(topics) == 0 && c.brokerFormat == "" {
		return Item{Name: name, Status: Pass, Detail: "the brokers report no message.format.version setting (Kafka 4 has none: it stores only message format v2, which carries headers)"}
	}
	return Item{Name: name, Status: Pass, Detail: fmt.Sprintf("message format v2 (which carries headers) on %s", plural(len(topics), "existing topic"))}
}

// formatBelowV2 reports whether a message.format.version value ("0.10.2",
// "0.10.2-IV0", "2.8-IV1") names a format before v2, i.e. a release before
// Kafka 0.11. An empty or unparsable value is not.
func formatBelowV2(v string) bool {
	ma, mi, ok := parseRelease(v)
	return ok && ma == 0 && mi < 11
}

// parseRelease reads major and minor of a Kafka release string ("0.10.2-IV0",
// "3.0-IV1").
func parseRelease(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.SplitN(parts[1], "-", 2)[0])
	return ma, mi, err1 == nil && err2 == nil
}
