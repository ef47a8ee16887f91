package topology

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must never panic,
// return a DAG with errors, or return neither a DAG nor an error. Secrets
// resolve from a fixed environment and no file is read.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/valid/*.yaml", "testdata/invalid/*.yaml", "../examples/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			f.Add(mustRead(f, file))
		}
	}
	env := func(k string) (string, bool) { v, ok := testEnv[k]; return v, ok }
	noFiles := func(string) ([]byte, error) { return nil, errors.New("no files while fuzzing") }
	f.Fuzz(func(t *testing.T, data []byte) {
		g, diags := parse("fuzz.yaml", data, env, noFiles)
		switch {
		case diags.Errors() > 0 && g != nil:
			t.Fatal("DAG returned with errors")
		case diags.Errors() == 0 && g == nil:
			t.Fatal("no DAG and no error")
		case g != nil && len(g.Pipelines) == 0:
			t.Fatal("valid DAG without a pipeline")
		}
		for _, d := range diags {
			if d.Message == "" {
				t.Fatal("diagnostic without a message")
			}
		}
	})
}

// FuzzParseFilter checks that the filter parser never panics and that
// String renders what parses back to the same expression.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"a = 1", "a IN (1, 'x') AND (b IS NOT NULL OR c <> 'it''s')", "`we``ird` >= -1.5e3",
		"((a = 1) OR b = 2) AND c = 3", "a = 'x", "a IS", "(((", "a = 1 OR b = 2 OR c = 3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseFilter(s)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Offset < 0 || fe.Offset > len(s) {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		again, err := ParseFilter(e.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", e.String(), s, err)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("%q: String() %q parses to another expression", s, e.String())
		}
	})
}
