package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/status"
)

// Two tasks' registries merge into one exposition: each family's HELP and
// TYPE once, every sample with the node and task labels before its own.
func TestWriteMetrics_LabelsEverySampleAndHeadsEachFamilyOnce(t *testing.T) {
	n := NewNode(NodeConfig{Name: "n1"}, nil, nil, slog.New(slog.DiscardHandler))
	for _, task := range []string{"b", "a"} {
		reg := status.NewRegistry()
		reg.Source("src", 1<<20)
		reg.Sink("out")
		n.running[task] = &running{owned: Owned{Name: task, Status: reg}}
	}
	var b bytes.Buffer
	if err := n.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`sluice_sink_records_total{node="n1",task="a",sink="out"} 0` + "\n",
		`sluice_sink_records_total{node="n1",task="b",sink="out"} 0` + "\n",
		`sluice_source_rows_total{node="n1",task="a",source="src"} 0` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Count(out, "# HELP sluice_sink_records_total ") != 1 || strings.Count(out, "# TYPE sluice_freshness_seconds ") != 1 {
		t.Errorf("a family's HELP or TYPE more than once:\n%s", out)
	}
	if a, b := strings.Index(out, `task="a",sink="out"`), strings.Index(out, `task="b",sink="out"`); a > b {
		t.Errorf("tasks out of name order:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "#") && !strings.Contains(line, `{node="n1",task=`) {
			t.Errorf("a sample without the node and task labels: %s", line)
		}
	}
}
