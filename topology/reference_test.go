package topology

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReference_InStep fails when docs/topology.md differs from what the
// declarations generate. Regenerate with
// go run ./cmd/sluice docs > docs/topology.md (or go test -update).
func TestReference_InStep(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	const path = "../docs/topology.md"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatal("docs/topology.md is stale: run go run ./cmd/sluice docs > docs/topology.md")
	}
}

// allSpecs lists every declared mapping.
func allSpecs() []*objectSpec {
	var out []*objectSpec
	seen := map[*objectSpec]bool{}
	var walk func(*objectSpec)
	walk = func(s *objectSpec) {
		if seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
		for _, f := range s.Fields {
			if f.Object != nil {
				walk(f.Object)
			}
		}
	}
	walk(topSpec)
	return out
}

// TestReference_EveryFieldDocumented checks that each declared key has a
// description and an example, and appears in the generated reference.
func TestReference_EveryFieldDocumented(t *testing.T) {
	var b bytes.Buffer
	if err := WriteReference(&b); err != nil {
		t.Fatal(err)
	}
	ref := b.String()
	specs := allSpecs()
	if len(specs) != 16 {
		t.Errorf("%d mappings declared, want 16 (update this test when adding one)", len(specs))
	}
	for _, s := range specs {
		if s.Doc == "" || !strings.Contains(ref, "### "+s.Path+"\n") {
			t.Errorf("mapping %s has no doc or no section", s.Path)
		}
		for _, f := range s.Fields {
			if f.Doc == "" || f.Example == "" {
				t.Errorf("%s.%s lacks a description or an example", s.Path, f.Key)
			}
			if !strings.Contains(ref, "| `"+f.Key+"` |") {
				t.Errorf("%s.%s is not in the reference", s.Path, f.Key)
			}
			if f.Required && (f.Default != "" || f.DefaultDoc != "") {
				t.Errorf("%s.%s is required and has a default", s.Path, f.Key)
			}
			if len(f.Enum) > 0 && f.Default != "" && !contains(f.Enum, f.Default) {
				t.Errorf("%s.%s default %q is not an allowed value", s.Path, f.Key, f.Default)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestReference_ExamplesDecode decodes every field's example, as written
// in the reference, through the field's own decoder: an example that does
// not parse would teach users an error.
func TestReference_ExamplesDecode(t *testing.T) {
	newDst := map[*objectSpec]func() any{
		engineSpec:    func() any { return &Engine{} },
		sourceSpec:    func() any { return &Source{} },
		mysqlTLSSpec:  func() any { return &TLS{} },
		objectsSpec:   func() any { return &Objects{} },
		tableRuleSpec: func() any { return &TableRule{} },
		columnsSpec:   func() any { return &ColumnRules{} },
		phasesSpec:    func() any { return &Phases{} },
		snapshotSpec:  func() any { return &SnapshotSettings{} },
		transformSpec: func() any { return &Transform{} },
		routerSpec:    func() any { return &Router{} },
		sinkSpec:      func() any { return &Sink{} },
		kafkaTLSSpec:  func() any { return &KafkaTLS{} },
		saslSpec:      func() any { return &SASL{} },
		registrySpec:  func() any { return &SchemaRegistry{} },
		debeziumSpec:  func() any { return &DebeziumOptions{} },
	}
	for _, s := range allSpecs() {
		if s == topSpec {
			continue // its examples are abridged lists of whole nodes
		}
		mk := newDst[s]
		if mk == nil {
			t.Fatalf("no constructor for %s", s.Path)
		}
		for _, f := range s.Fields {
			doc := []byte(f.Key + ": " + f.Example + "\n")
			d := &decoder{file: "example", dir: ".", stem: "example", rules: map[*TableRule]*ruleInfo{},
				lookupEnv: func(string) (string, bool) { return "x", true },
				readFile:  func(string) ([]byte, error) { return []byte("x"), nil }}
			root := d.document(doc)
			if root == nil {
				t.Errorf("%s.%s example %q is not YAML: %s", s.Path, f.Key, f.Example, d.diags)
				continue
			}
			sc := scope{where: "example", decl: &decl{}}
			f.value.dec(d, f, root.Content[1], sc, mk())
			for _, diag := range d.diags {
				if diag.Severity == SeverityError && !strings.HasPrefix(diag.Message, "missing ") {
					t.Errorf("%s.%s example %q: %s", s.Path, f.Key, f.Example, diag)
				}
			}
		}
		// The section's own example.
		d := &decoder{file: "example", dir: ".", stem: "example", rules: map[*TableRule]*ruleInfo{},
			lookupEnv: func(string) (string, bool) { return "x", true },
			readFile:  func(string) ([]byte, error) { return []byte("x"), nil }}
		root := d.document([]byte(s.Example))
		if root == nil {
			t.Errorf("%s example is not YAML: %s", s.Path, d.diags)
			continue
		}
		v := root
		if root.Kind == yaml.MappingNode {
			v = root.Content[1]
		}
		items := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			items = v.Content
		}
		for _, item := range items {
			d.object(s, item, scope{where: "example", decl: &decl{}}, mk())
		}
		for _, diag := range d.diags {
			if diag.Severity == SeverityError {
				t.Errorf("%s example: %s", s.Path, diag)
			}
		}
	}
}
