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

// keyedFormat reports whether format f gives every record of a table with
// a primary or unique key a Kafka key (Debezium JSON and Avro do; Canal
// JSON and DTS Avro write a null key, as Canal and DTS do, and leave
// placement to the partition policy).
func keyedFormat(f topology.Format) bool {
	return f == topology.FormatDebeziumJSON || f == topology.FormatAvro
}

// checkCleanupPolicy reads the cleanup.policy of the sink's topics (and the
// broker's log.cleanup.policy, which the topics Sluice creates inherit). A
// compacted topic refuses every record without a key ("Compacted topic
// cannot accept message without key"): the sink fails at its first write
// if it writes one there. Keyless formats fail here; keyed formats pass, and
// Run fails them afterwards when a selected table without a key goes to a
// compacted topic (crossCheckCompaction).
func checkCleanupPolicy(ctx context.Context, cl *kafka.Client, dag *topology.DAG, s *topology.Sink, md *kafka.MetadataResponse, missing []string) Item {
	name := "sink." + s.Name + ".cleanup_policy"
	absent := map[string]bool{}
	for _, t := range missing {
		absent[t] = true
	}
	req := &kafka.DescribeConfigsRequest{Addr: kafka.TCP(s.Brokers...)}
	wanted := dag.Topics(s)
	for _, t := range md.Topics {
		if _, ok := wanted[t.Name]; ok && t.Error == nil && !absent[t.Name] {
			req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeTopic,
				ResourceName: t.Name, ConfigNames: []string{"cleanup.policy"}})
		}
	}
	created := len(missing) > 0 && s.CreateTopics != topology.CreateTopicsNever && len(md.Brokers) > 0
	if created {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{ResourceType: kafka.ResourceTypeBroker,
			ResourceName: strconv.Itoa(md.Brokers[0].ID), ConfigNames: []string{"log.cleanup.policy"}})
	}
	if len(req.Resources) == 0 {
		return Item{Name: name, Status: Pass, Detail: "no topic to check"}
	}
	res, err := cl.DescribeConfigs(ctx, req)
	if err != nil {
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("the cleanup.policy of the sink's topics could not be read: %v", err),
			Fix:    fmt.Sprintf("grant the sink's Kafka user DESCRIBE_CONFIGS on its topics, or check by hand that no topic of sink %s is compacted (cleanup.policy=compact)", s.Name)}
	}
	compacted := map[string]bool{}
	var unreadable []string
	for _, r := range res.Resources {
		if r.Error != nil {
			unreadable = append(unreadable, fmt.Sprintf("%s (%v)", r.ResourceName, r.Error))
			continue
		}
		for _, e := range r.ConfigEntries {
			if !strings.Contains(e.ConfigValue, "compact") {
				continue
			}
			switch e.ConfigName {
			case "cleanup.policy":
				compacted[r.ResourceName] = true
			case "log.cleanup.policy":
				for _, t := range missing {
					compacted[t] = true
				}
			}
		}
	}
	return cleanupItem(s, compacted, unreadable)
}

// cleanupItem judges the compacted topics of sink s; plain code, no I/O.
func cleanupItem(s *topology.Sink, compacted map[string]bool, unreadable []string) Item {
	name := "sink." + s.Name + ".cleanup_policy"
	topics := make([]string, 0, len(compacted))
	for t := range compacted {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	switch {
	case len(topics) > 0 && !keyedFormat(s.Format):
		return Item{Name: name, Status: Fail,
			Detail: fmt.Sprintf("topic %s is compacted (cleanup.policy=compact), and format %s writes every record with a null key (as Canal and DTS do): Kafka refuses records without a key on a compacted topic, so the sink would stop at its first write",
				strings.Join(topics, ", "), s.Format),
			Fix: fmt.Sprintf("kafka-configs.sh --bootstrap-server %s --alter --entity-type topics --entity-name %s --add-config cleanup.policy=delete (or write to a topic that is not compacted, or use format: debezium-json, which keys every record of a table with a primary or unique key)",
				s.Brokers[0], topics[0]),
			compacted: compacted}
	case len(topics) > 0:
		return Item{Name: name, Status: Pass,
			Detail:    fmt.Sprintf("compacted topics: %s; format %s keys every record of a table with a primary or unique key", strings.Join(topics, ", "), s.Format),
			compacted: compacted}
	case len(unreadable) > 0:
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("the broker refused to describe %s", strings.Join(unreadable, ", ")),
			Fix:    fmt.Sprintf("grant the sink's Kafka user DESCRIBE_CONFIGS on those topics, or check by hand that none of them is compacted (cleanup.policy=compact) while sink %s writes keyless records to it", s.Name)}
	}
	return Item{Name: name, Status: Pass, Detail: "no topic of the sink is compacted"}
}

// crossCheckCompaction fails the cleanup_policy item of a keyed-format sink
// when a selected table without a primary or unique key (whose records
// have a null key) goes to one of its compacted topics.
func crossCheckCompaction(dag *topology.DAG, items []Item) {
	keyless := map[string][][2]string{} // source name → db, table
	for _, it := range items {
		if it.keyless != [2]string{} {
			src, _, _ := strings.Cut(strings.TrimPrefix(it.Name, "source."), ".key.")
			keyless[src] = append(keyless[src], it.keyless)
		}
	}
	for i := range items {
		it := &items[i]
		if len(it.compacted) == 0 || it.Status == Fail {
			continue
		}
		for _, pl := range dag.Pipelines {
			if "sink."+pl.Sink.Name+".cleanup_policy" != it.Name {
				continue
			}
			for _, t := range keyless[pl.Source.Name] {
				topic := pl.Topic(t[0], t[1])
				if !it.compacted[topic] {
					continue
				}
				it.Status = Fail
				it.Detail = fmt.Sprintf("table %s.%s has no primary or unique key, so its records have a null key, and it goes to topic %s, which is compacted (cleanup.policy=compact): Kafka refuses records without a key there, so the sink would stop at the table's first row",
					t[0], t[1], topic)
				it.Fix = fmt.Sprintf("ALTER TABLE `%s`.`%s` ADD PRIMARY KEY (col, ...), or send the table to a topic that is not compacted (a table rule's topic:), or kafka-configs.sh --alter --entity-type topics --entity-name %s --add-config cleanup.policy=delete",
					t[0], t[1], topic)
				break
			}
		}
	}
}
