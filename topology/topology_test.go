package topology

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .want and .json golden files from the current output")

// testEnv is the environment the testdata files see.
var testEnv = map[string]string{
	"SLUICE_TEST_PASSWORD": "s3cret",
	"SLUICE_TEST_TOKEN":    "t0ken",
}

func parseTestFile(t *testing.T, path string) (*DAG, Diagnostics) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }
	return parse(path, data, lookup, readSecretFile)
}

// render drops the file name: the want files hold "line:col: message; fix".
func render(path string, ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(strings.TrimPrefix(d.String(), path+":"))
		b.WriteByte('\n')
	}
	return b.String()
}

// TestParse_Invalid checks, for every file in testdata/invalid, the exact
// text and position of every diagnostic against its .want file.
func TestParse_Invalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d invalid cases", len(files))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			g, diags := parseTestFile(t, path)
			got := render(path, diags)
			wantPath := strings.TrimSuffix(path, ".yaml") + ".want"
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("no .want file: %v", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ\n--- got\n%s--- want\n%s", got, want)
			}
			if got == "" {
				t.Error("an invalid case produced no diagnostic")
			}
			if diags.Errors() > 0 && g != nil {
				t.Error("DAG returned despite errors")
			}
			if diags.Errors() == 0 && g == nil {
				t.Error("no DAG although there are only warnings")
			}
		})
	}
}

func TestLoad_UnreadableFile(t *testing.T) {
	g, diags, err := Load(filepath.Join(t.TempDir(), "absent.yaml"))
	if g != nil || diags != nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, %v, %v; want nil, nil, ErrNotExist", g, diags, err)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The task's name defaults to the file's base name; set, it names the
// default checkpoint_dir, so renaming the file keeps the checkpoints.
func TestParse_TaskName(t *testing.T) {
	const body = `version: 1
%s
sources:
  - name: db
    host: 127.0.0.1
    user: sluice
    server_id: 7
    objects: {tables: [shop.orders]}
sinks:
  - name: k
    from: db
    brokers: [127.0.0.1:19092]
    topic: t
`
	for _, tc := range []struct {
		file, name, wantName, wantDir string
	}{
		{"conf/orders.yaml", "", "orders", "conf/.sluice/orders"},
		{"conf/orders-v2.yml", "name: orders", "orders", "conf/.sluice/orders"},
		{"conf/orders-v2.yml", "name: orders\nengine: {checkpoint_dir: /srv/cp}", "orders", "/srv/cp"},
	} {
		src := strings.Replace(body, "%s", tc.name, 1)
		g, diags := parse(tc.file, []byte(src), func(string) (string, bool) { return "", false }, readSecretFile)
		if g == nil {
			t.Fatalf("%s with %q: %s", tc.file, tc.name, diags)
		}
		if g.Name != tc.wantName || g.Engine.CheckpointDir != tc.wantDir {
			t.Errorf("%s with %q: name %q, checkpoint_dir %q; want %q, %q", tc.file, tc.name, g.Name, g.Engine.CheckpointDir, tc.wantName, tc.wantDir)
		}
	}
	_, diags := parse("a.yaml", []byte(strings.Replace(body, "%s", "name: \"orders/v2\"", 1)), func(string) (string, bool) { return "", false }, readSecretFile)
	if diags.Errors() != 1 || !strings.Contains(diags.String(), `bad name "orders/v2" at top level`) || !strings.Contains(diags.String(), "e.g. name: orders-to-kafka") {
		t.Errorf("a bad task name: %s", diags)
	}
}
