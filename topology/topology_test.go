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
