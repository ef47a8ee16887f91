package topology

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestParse_Valid resolves every file of testdata/valid and compares the
// DAG, as JSON, with its golden .json file.
func TestParse_Valid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			g, diags := parseTestFile(t, path)
			if g == nil || len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", diags)
			}
			got, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(path, ".yaml") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if want := mustRead(t, golden); string(got) != string(want) {
				t.Errorf("resolved DAG differs from %s; rerun with -update and review the diff\n%s", golden, got)
			}
		})
	}
}

// TestParse_DefaultsRoundTrip writes out every default of minimal.yaml and
// expects the same DAG: the declared defaults are the applied ones.
func TestParse_DefaultsRoundTrip(t *testing.T) {
	minimal, d1 := parseTestFile(t, "testdata/valid/minimal.yaml")
	explicit, d2 := parseTestFile(t, "testdata/valid/explicit_defaults.yaml")
	if minimal == nil || explicit == nil {
		t.Fatalf("diagnostics:\n%s%s", d1, d2)
	}
	a, _ := json.MarshalIndent(minimal, "", "  ")
	b, _ := json.MarshalIndent(explicit, "", "  ")
	if string(a) != string(b) {
		t.Fatalf("explicit defaults resolve differently:\n--- minimal\n%s\n--- explicit\n%s", a, b)
	}
}

// TestParse_Secrets checks that references resolve, that the values are
// usable, and that no rendering of the DAG shows them.
func TestParse_Secrets(t *testing.T) {
	g, diags := parseTestFile(t, "testdata/valid/full.yaml")
	if g == nil {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	if got := g.Sources[0].Password.Value(); got != "s3cret" {
		t.Errorf("env secret = %q", got)
	}
	if got := g.Sinks[0].SASL.Password.Value(); got != "file-secret" {
		t.Errorf("file secret = %q (trailing newline must go)", got)
	}
	if got := g.Engine.HTTPToken.Value(); got != "t0ken" {
		t.Errorf("token = %q", got)
	}
	js, _ := json.Marshal(g)
	for _, s := range []string{"s3cret", "file-secret", "t0ken"} {
		if strings.Contains(string(js), s) {
			t.Errorf("JSON shows secret %q", s)
		}
	}
}

// TestParse_FullDetails pins values the golden file shows less directly.
func TestParse_FullDetails(t *testing.T) {
	g, diags := parseTestFile(t, "testdata/valid/full.yaml")
	if g == nil {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	eu, us := g.Sources[0], g.Sources[1]
	if eu.Flavor != FlavorMariaDB || us.Flavor != FlavorMariaDB || eu.User != "sluice" {
		t.Error("merge key <<: *db not applied")
	}
	if eu.TLS.ServerName != "db-eu.internal" {
		t.Errorf("verify-identity server_name = %q, want the host", eu.TLS.ServerName)
	}
	if eu.TLS.CAFile != filepath.Join("testdata/valid", "certs/ca.pem") {
		t.Errorf("relative ca_file = %q, want it under the file's directory", eu.TLS.CAFile)
	}
	if eu.Phases.Snapshot || eu.Phases.SchemaSync || eu.Phases.IgnoreDDL || !eu.Phases.Incremental {
		t.Errorf("eu phases = %+v", eu.Phases)
	}
	if us.Start.Mode != StartFilePos || us.Start.Pos != 4 || us.Phases.Snapshot {
		t.Errorf("us start = %+v, snapshot %v; want file at pos 4, no snapshot", us.Start, us.Phases.Snapshot)
	}
	if eu.Phases.MaxBytesPerSecond != 1572864 {
		t.Errorf("1.5MiB = %d", eu.Phases.MaxBytesPerSecond)
	}
	if r := eu.Objects.Tables[1]; r.Pattern != "shop.*" || r.Topic != "" {
		t.Errorf("shorthand rule = %+v", r)
	}
	want := "status IN ('paid', 'it''s') AND (amount >= 10.5 OR vip IS NOT NULL)"
	if got := eu.Objects.Tables[0].Filter.String(); got != want {
		t.Errorf("filter = %s", got)
	}
	if g.Sinks[1].TLS.Enabled || !g.Sinks[0].TLS.Enabled {
		t.Error("tls enabled flags wrong")
	}
	var paths []string
	for _, p := range g.Pipelines {
		paths = append(paths, p.String())
	}
	wantPaths := []string{
		"eu → t1 → t2 → by-cols → main",
		"eu → t1 → t2 → audit.router → audit",
		"eu → by-table → audit",
		"us → t1 → t2 → by-cols → main",
		"us → t1 → t2 → audit.router → audit",
	}
	if strings.Join(paths, "\n") != strings.Join(wantPaths, "\n") {
		t.Errorf("pipelines:\n%s", strings.Join(paths, "\n"))
	}
}

// TestParse_PathExplosionBounded pins the bound on pipeline enumeration: a
// chain of diamonds has 2^40 paths and must be rejected, not walked.
func TestParse_PathExplosionBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nsources:\n  - {name: s, host: h, user: u, server_id: 1, objects: {tables: [a.b]}}\ntransforms:\n")
	prev := "s"
	for i := range 40 {
		fmt.Fprintf(&b, "  - {name: l%d, from: %s, tables: [a.b]}\n  - {name: r%d, from: %s, tables: [a.b]}\n", i, prev, i, prev)
		fmt.Fprintf(&b, "  - {name: j%d, from: [l%d, r%d], tables: [a.b]}\n", i, i, i)
		prev = fmt.Sprintf("j%d", i)
	}
	fmt.Fprintf(&b, "sinks:\n  - {name: k, from: %s, brokers: [\"h:1\"], topic: t}\n", prev)
	start := time.Now()
	g, diags := parse("diamonds.yaml", []byte(b.String()), os.LookupEnv, readSecretFile)
	if g != nil || !strings.Contains(diags.String(), "more than 4096 source-to-sink paths") {
		t.Fatalf("diamonds accepted or wrong error:\n%s", diags)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
}

func BenchmarkParse_Full(b *testing.B) {
	data := mustRead(b, "testdata/valid/full.yaml")
	lookup := func(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }
	b.ReportAllocs()
	for b.Loop() {
		if g, diags := parse("testdata/valid/full.yaml", data, lookup, readSecretFile); g == nil {
			b.Fatal(diags)
		}
	}
}

// A snapshot without parallelism reads one chunk per Go processor, at most
// maxDefaultReaders; a set parallelism is kept.
func TestSnapshotSettings_Readers(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	for _, tc := range []struct{ procs, parallelism, want int }{
		{1, 0, 1}, {2, 0, 2}, {4, 0, 4}, {16, 0, maxDefaultReaders}, {2, 8, 8}, {16, 1, 1},
	} {
		runtime.GOMAXPROCS(tc.procs)
		if got := (SnapshotSettings{Parallelism: tc.parallelism}).Readers(); got != tc.want {
			t.Errorf("GOMAXPROCS %d, parallelism %d: Readers() = %d, want %d", tc.procs, tc.parallelism, got, tc.want)
		}
	}
}
