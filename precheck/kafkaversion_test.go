package precheck

import (
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/sluicecdc/sluice/topology"
)

// answer builds the ApiVersions answer a broker of release vs gives.
func answer(vs *kversion.Versions) *kafka.ApiVersionsResponse {
	r := &kafka.ApiVersionsResponse{}
	vs.EachMaxKeyVersion(func(k, v int16) {
		r.ApiKeys = append(r.ApiKeys, kafka.ApiVersionsResponseApiKey{ApiKey: int(k), MinVersion: 0, MaxVersion: int(v)})
	})
	return r
}

func TestBrokerRelease_FromApiVersions(t *testing.T) {
	custom := answer(kversion.V2_7_0())
	// A 2.7 broker with one API of 2.8 is between the two.
	custom.ApiKeys = append(custom.ApiKeys, kafka.ApiVersionsResponseApiKey{ApiKey: 60, MaxVersion: 0})
	// A release after 4.4 raises some API's version.
	newer := answer(kversion.V4_4_0())
	for i := range newer.ApiKeys {
		if newer.ApiKeys[i].ApiKey == apiProduce {
			newer.ApiKeys[i].MaxVersion++
		}
	}
	for _, tc := range []struct {
		name string
		in   *kafka.ApiVersionsResponse
		want string
	}{
		{"0.10.1", answer(kversion.V0_10_1()), "Kafka 0.10.1"},
		{"0.11", answer(kversion.V0_11_0()), "Kafka 0.11.0"},
		{"2.7", answer(kversion.V2_7_0()), "Kafka 2.7"},
		{"3.6", answer(kversion.V3_6_0()), "Kafka 3.6"},
		{"4.0", answer(kversion.V4_0_0()), "Kafka 4.0"},
		{"4.4", answer(kversion.V4_4_0()), "Kafka 4.4"},
		{"newer than known", newer, "at least Kafka 4.4"},
		{"custom", custom, "between Kafka 2.7 and Kafka 2.8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := brokerRelease(tc.in)
			if got != tc.want {
				t.Errorf("brokerRelease = %q, want %q", got, tc.want)
			}
		})
	}
	// Produce v2 alone with Metadata v2 is not yet 0.11 (no record headers).
	it := versionItem(&topology.Sink{Name: "k"}, answer(kversion.V0_10_1()))
	wantItem(t, it, Pass, "Kafka 0.10.1 (from its ApiVersions answer:", "")
	if !strings.Contains(it.Detail, "Produce v0–v2") {
		t.Errorf("detail %q lacks the Produce range", it.Detail)
	}
}

func TestValidateOnlyMissing_CreateTopicsV0(t *testing.T) {
	s := &topology.Sink{Name: "k", Brokers: []string{"b:9092"}}
	// Kafka 0.10.1: CreateTopics v0 only, which creates for real.
	items := validateOnlyMissing(s, answer(kversion.V0_10_1()), []string{"a", "b"})
	if len(items) != 2 {
		t.Fatalf("got %d items, want one per missing topic: %+v", len(items), items)
	}
	wantItem(t, items[0], Warn, "topic a does not exist yet; whether the broker would accept its creation is not checked: its CreateTopics (v0–v0) has no validate-only flag", "--create --topic a")
	// From 0.10.2 on (CreateTopics v1) the validate-only request is sent.
	for _, vs := range []*kversion.Versions{kversion.V0_10_2(), kversion.V2_7_0(), kversion.V4_4_0()} {
		if items := validateOnlyMissing(s, answer(vs), []string{"a"}); items != nil {
			t.Errorf("%s: validate-only skipped: %+v", vs.VersionGuess(), items)
		}
	}
	// No missing topic, nothing to say.
	if items := validateOnlyMissing(s, answer(kversion.V0_10_1()), nil); len(items) != 0 {
		t.Errorf("items without missing topics: %+v", items)
	}
}
