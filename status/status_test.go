package status

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestServe_RefusesNonLoopbackWithoutToken(t *testing.T) {
	if _, err := Serve("0.0.0.0:0", "", NewRegistry()); err == nil || !strings.Contains(err.Error(), "http_token") {
		t.Fatalf("err = %v, want a refusal naming http_token", err)
	}
}

func TestRegistry_View_SnapshotProgressAndLag(t *testing.T) {
	r := NewRegistry()
	s := r.Source("db", 64<<20)
	s.SetPhase(PhaseSnapshot)
	tbl := s.Table("shop.orders", 4, 1000)
	tbl.Rows(500)
	tbl.ChunkDone()
	tbl.ChunkDone()
	now := time.Now()
	s.Read(3, 300, "b.1:40", "0-1-9", uint32(now.Add(-30*time.Second).Unix()))
	v := r.View(now.Add(time.Second))
	src := v.Sources[0]
	if src.Phase != PhaseSnapshot || src.Rows != 3 || src.InflightBytes != 300 || src.Position != "b.1:40" {
		t.Fatalf("source view %+v", src)
	}
	if src.LagSeconds < 30 || src.LagSeconds > 33 {
		t.Fatalf("lag %v, want about 31s", src.LagSeconds)
	}
	tv := src.Tables[0]
	if tv.ChunksDone != 2 || tv.Rows != 500 || tv.ETASeconds <= 0 {
		t.Fatalf("table view %+v", tv)
	}
	s.CaughtUp(now)
	if lag := r.View(now).Sources[0].LagSeconds; lag != 0 {
		t.Fatalf("lag after catching up = %v", lag)
	}
}

func TestRegistry_WriteMetrics_Histogram(t *testing.T) {
	r := NewRegistry()
	now := time.Unix(1000, 0)
	r.Sink("k").Written(10, 1000, 998, now) // 2 s old
	var b bytes.Buffer
	if err := r.WriteMetrics(&b, now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		`sluice_sink_records_total{sink="k"} 10`,
		`sluice_sink_bytes_total{sink="k"} 1000`,
		`sluice_freshness_seconds_bucket{sink="k",le="1"} 0`,
		`sluice_freshness_seconds_bucket{sink="k",le="2.5"} 1`,
		`sluice_freshness_seconds_count{sink="k"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
