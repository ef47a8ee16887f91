package topology

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples_Valid parses every file of examples/ with the environment
// variables and secret files they reference, and expects no error and no
// warning.
func TestExamples_Valid(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cascade", "many-to-one", "one-to-many", "one-to-one", "quickstart"}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("examples = %v, want %v", got, want)
	}
	env := func(string) (string, bool) { return "x", true }
	secretFile := func(string) ([]byte, error) { return []byte("x\n"), nil }
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := mustRead(t, f)
			g, diags := parse(f, data, env, secretFile)
			if len(diags) > 0 || g == nil {
				t.Fatalf("diagnostics:\n%s", diags)
			}
			if len(g.Pipelines) == 0 {
				t.Fatal("no pipeline")
			}
		})
	}
}

// TestExamples_Shapes pins the shape each example is named after.
func TestExamples_Shapes(t *testing.T) {
	env := func(string) (string, bool) { return "x", true }
	secretFile := func(string) ([]byte, error) { return []byte("x"), nil }
	load := func(name string) *DAG {
		t.Helper()
		path := "../examples/" + name + ".yaml"
		g, diags := parse(path, mustRead(t, path), env, secretFile)
		if g == nil {
			t.Fatalf("%s: %s", name, diags)
		}
		return g
	}
	paths := func(g *DAG) []string {
		var out []string
		for _, p := range g.Pipelines {
			out = append(out, p.String())
		}
		return out
	}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"quickstart", []string{"demo-db → local-kafka.router → local-kafka"}},
		{"one-to-one", []string{"orders-db → by-key → main"}},
		{"one-to-many", []string{"catalog-db → products-only → per-product → search", "catalog-db → per-table → analytics"}},
		{"many-to-one", []string{"shard-eu → by-tenant → central", "shard-us → by-tenant → central"}},
		{"cascade", []string{"replica → no-test-tenants → no-pii → crm.router → crm"}},
	} {
		if got := paths(load(tc.name)); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s pipelines:\n%s\nwant:\n%s", tc.name, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
