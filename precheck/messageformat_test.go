package precheck

import (
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

func TestFormatBelowV2(t *testing.T) {
	for v, want := range map[string]bool{
		"0.8.2": true, "0.9.0": true, "0.10.0-IV1": true, "0.10.2": true, "0.10.2-IV0": true,
		"0.11.0": false, "0.11.0-IV2": false, "1.0": false, "2.8-IV1": false, "3.0-IV1": false,
		"": false, "garbage": false,
	} {
		if got := formatBelowV2(v); got != want {
			t.Errorf("formatBelowV2(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestMessageFormatItem_Decision(t *testing.T) {
	s := &topology.Sink{Name: "k", Brokers: []string{"b:9092"}}
	for _, tc := range []struct {
		name    string
		c       formatConfigs
		missing []string
		status  Status
		detail  string
		fix     string
	}{
		{"upgraded from 0.10: topic below v2",
			formatConfigs{ibp: "2.7-IV2", brokerFormat: "0.10.2-IV0", topics: map[string]string{"orders": "0.10.2-IV0", "ok": "2.7-IV2"}}, nil,
			Fail, "topic orders has message.format.version=0.10.2-IV0: message format v0/v1 (before Kafka 0.11) cannot carry record headers",
			"kafka-configs.sh --bootstrap-server b:9092 --alter --entity-type topics --entity-name orders --add-config message.format.version=2.7-IV2; set log.message.format.version=2.7-IV2 in every broker's server.properties"},
		{"missing topic inherits the broker's v1",
			formatConfigs{brokerFormat: "0.10.2", topics: map[string]string{}}, []string{"new"},
			Fail, "topics new do not exist yet and would take the brokers' log.message.format.version=0.10.2",
			"set log.message.format.version=0.11.0 in every broker's server.properties"},
		{"all v2", formatConfigs{ibp: "2.7-IV2", brokerFormat: "2.7-IV2", topics: map[string]string{"a": "2.7-IV2", "b": "0.11.0"}}, []string{"new"},
			Pass, "message format v2 (which carries headers) on 2 existing topics", ""},
		{"IBP 3.0 ignores the setting", formatConfigs{ibp: "3.0-IV1", topics: map[string]string{"a": "0.10.2"}}, nil,
			Pass, "inter.broker.protocol.version is 3.0-IV1: every record is stored in message format v2", ""},
		{"Kafka 4 has no setting", formatConfigs{topics: map[string]string{}}, nil,
			Pass, "the brokers report no message.format.version setting", ""},
		{"refused", formatConfigs{topics: map[string]string{}, unreadable: []string{"a (Topic Authorization Failed)"}}, nil,
			Warn, "the message format of a (Topic Authorization Failed) could not be read", "DESCRIBE_CONFIGS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantItem(t, messageFormatItem(s, tc.c, tc.missing), tc.status, tc.detail, tc.fix)
		})
	}
}
