package precheck

import (
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicecdc/sluice/topology"
)

// Kafka API keys precheck decides on.
const (
	apiProduce      = 0
	apiMetadata     = 3
	apiCreateTopics = 19
)

// brokerRelease names the newest Kafka release whose API ranges the broker's
// ApiVersions answer matches: "Kafka 3.6", "at least Kafka 4.4" when the
// broker is newer than the releases known here, "between Kafka 2.8 and 3.0"
// for a custom build. Kafka never states its release on the wire.
func brokerRelease(v *kafka.ApiVersionsResponse) string {
	r := kmsg.NewPtrApiVersionsResponse()
	for _, k := range v.ApiKeys {
		r.ApiKeys = append(r.ApiKeys, kmsg.ApiVersionsResponseApiKey{
			ApiKey: int16(k.ApiKey), MinVersion: int16(k.MinVersion), MaxVersion: int16(k.MaxVersion)})
	}
	// kversion writes "v4.4", "at least v4.4", "between v2.8 and v3.0".
	g := kversion.FromApiVersionsResponse(r).VersionGuess()
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		if g[i] == 'v' && i+1 < len(g) && g[i+1] >= '0' && g[i+1] <= '9' && (i == 0 || g[i-1] == ' ') {
			b.WriteString("Kafka ")
			continue
		}
		b.WriteByte(g[i])
	}
	return b.String()
}

// versionItem reports the broker's release: information, never a failure.
func versionItem(s *topology.Sink, v *kafka.ApiVersionsResponse) Item {
	produce, metadata := apiRange(v, apiProduce), apiRange(v, apiMetadata)
	return Item{Name: "sink." + s.Name + ".broker_version", Status: Pass,
		Detail: fmt.Sprintf("%s (from its ApiVersions answer: %d APIs, Produce v%d–v%d, Metadata v%d–v%d)",
			brokerRelease(v), len(v.ApiKeys), produce[0], produce[1], metadata[0], metadata[1])}
}

// validateOnlyMissing reports the items for missing topics when the broker's
// CreateTopics has no validate_only flag (v0, Kafka 0.10.1): such a request
// would create the topics, and a precheck never changes a cluster. nil when
// the broker can validate.
func validateOnlyMissing(s *topology.Sink, v *kafka.ApiVersionsResponse, missing []string) []Item {
	ct := apiRange(v, apiCreateTopics)
	if ct[1] >= 1 {
		return nil
	}
	items := make([]Item, 0, len(missing))
	for _, t := range missing {
		items = append(items, Item{Name: "sink." + s.Name + ".topic." + t, Status: Warn,
			Detail: fmt.Sprintf("topic %s does not exist yet; whether the broker would accept its creation is not checked: its CreateTopics (v%d–v%d) has no validate-only flag (v1, Kafka 0.10.2), so checking would create the topic", t, ct[0], ct[1]),
			Fix:    fmt.Sprintf("create the topic yourself before the task starts: kafka-topics.sh --bootstrap-server %s --create --topic %s", s.Brokers[0], t)})
	}
	return items
}
