package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file holds the machinery of the field declarations; fields.go holds
// the declarations themselves. The decoder, the validator and the reference
// (docs/topology.md) all read the same declarations, so a field exists, has
// a default and is documented in exactly one place.

// objectSpec declares one mapping of the file: its fields and the checks
// that involve several of them.
type objectSpec struct {
	// Path is where the mapping sits, e.g. "sources[].tls"; it titles the
	// reference section.
	Path string
	Doc  string
	// Example is a YAML snippet shown in the reference.
	Example string
	Fields  []*fieldSpec
	// Transparent mappings add nothing to the "in ... of ..." place of a
	// message: "table rule "x" of source "db"", not "... of objects of ...".
	Transparent bool
	// Extensible mappings ignore keys starting with "x-", which hold YAML
	// anchors for reuse (as in Docker Compose files).
	Extensible bool
	// check runs after every field is decoded and defaulted; present holds
	// the value node of each field written in the file.
	check func(d *decoder, n *yaml.Node, sc scope, dst any, present map[string]*yaml.Node)
}

// fieldSpec declares one key of a mapping.
type fieldSpec struct {
	Key string
	Doc string
	// Default is YAML text decoded, exactly as if written, when the key is
	// absent; DefaultDoc describes a default computed from other fields.
	Default    string
	DefaultDoc string
	// Example is YAML text for the value, used in the reference and in
	// "how to fix" hints.
	Example  string
	Required bool
	// Implicit objects are decoded from an empty mapping when absent, so
	// that their own defaults apply.
	Implicit bool
	// Enum lists the allowed values of an enumerated field.
	Enum []string
	// Object is the nested mapping's declaration, for the reference.
	Object *objectSpec
	value  value
}

type decodeFunc func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any)

// value is how one field's YAML value is decoded into its Go field.
type value struct {
	typ string // for the reference: "string", "integer", "size", ...
	dec decodeFunc
}

func (v value) article() string {
	if v.typ != "" && strings.ContainsRune("aeiou", rune(v.typ[0])) {
		return "an " + v.typ
	}
	return "a " + v.typ
}

func (s *objectSpec) field(key string) *fieldSpec {
	for _, f := range s.Fields {
		if f.Key == key {
			return f
		}
	}
	return nil
}

func (s *objectSpec) keys() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Key
	}
	return out
}

func (s *objectSpec) suggest(key string) string {
	if c := closest(key, s.keys()); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return "known fields: " + strings.Join(s.keys(), ", ")
}

// checkFunc returns what is wrong with a string value and how to fix it, or
// two empty strings.
type checkFunc func(s string) (problem, fix string)

func strV[T any](p func(*T) *string, check checkFunc) value {
	return value{typ: "string", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		s, ok := d.scalar(f, n, sc)
		if !ok {
			return
		}
		if check != nil {
			if problem, fix := check(s); problem != "" {
				if fix == "" {
					fix = f.fix()
				}
				d.errorf(resolve(n), fix, "bad %s %q %s: %s", f.Key, s, sc.in(), problem)
				return
			}
		}
		*p(dst.(*T)) = s
	}}
}

// pathV is a file or directory path; a relative path is resolved against
// the topology file's directory.
func pathV[T any](p func(*T) *string) value {
	return value{typ: "path", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if s, ok := d.scalar(f, n, sc); ok {
			if s == "" {
				d.errorf(resolve(n), f.fix(), "%s %s is empty", f.Key, sc.in())
				return
			}
			*p(dst.(*T)) = d.path(s)
		}
	}}
}

func secretV[T any](p func(*T) *Secret) value {
	return value{typ: "secret", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if s, ok := d.scalar(f, n, sc); ok {
			*p(dst.(*T)) = NewSecret(s)
		}
	}}
}

func intV[T any, I ~int | ~int64 | ~uint32](p func(*T) *I, lo, hi int64) value {
	return value{typ: "integer", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if v, ok := d.integer(f, n, sc, lo, hi); ok {
			*p(dst.(*T)) = I(v)
		}
	}}
}

func boolV[T any](p func(*T) *bool) value {
	return value{typ: "boolean", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if v, ok := d.boolean(f, n, sc); ok {
			*p(dst.(*T)) = v
		}
	}}
}

func sizeV[T any, I ~int | ~int64](p func(*T) *I, lo int64) value {
	return value{typ: "size", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if v, ok := d.size(f, n, sc, lo); ok {
			if int64(I(v)) != v || v > math.MaxInt32*int64(1<<20) {
				d.errorf(resolve(n), f.fix(), "%s %s is too large", f.Key, sc.in())
				return
			}
			*p(dst.(*T)) = I(v)
		}
	}}
}

// MaxInflightBytes bounds engine.inflight_bytes.
const MaxInflightBytes = 64 << 30

// FormatSize writes a size in the largest binary unit that divides it
// (64GiB, 1MiB, 1500B), as the topology file accepts it.
func FormatSize(v int64) string {
	for _, u := range []struct {
		unit string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v >= u.mult && v%u.mult == 0 {
			return strconv.FormatInt(v/u.mult, 10) + u.unit
		}
	}
	return strconv.FormatInt(v, 10) + "B"
}

// budgetV is sizeV with an upper bound as well, for a budget of memory:
// a value above hi would let Sluice buffer more than a machine holds
// before it stops reading.
func budgetV[T any](p func(*T) *int64, lo, hi int64, why string) value {
	return value{typ: "size", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		v, ok := d.size(f, n, sc, lo)
		if !ok {
			return
		}
		if v > hi {
			d.errorf(resolve(n), f.fix(), "%s %s is %s; it must be between %s and %s: %s", f.Key, sc.in(), n.Value, FormatSize(lo), FormatSize(hi), why)
			return
		}
		*p(dst.(*T)) = v
	}}
}

func durationV[T any](p func(*T) *time.Duration, lo time.Duration) value {
	return value{typ: "duration", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if v, ok := d.duration(f, n, sc, lo); ok {
			*p(dst.(*T)) = v
		}
	}}
}

func enumV[T any, E ~string](p func(*T) *E) value {
	return value{typ: "enum", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		if v, ok := d.enum(f, n, sc); ok {
			*p(dst.(*T)) = E(v)
		}
	}}
}

func listV[T any](p func(*T) *[]string, check checkFunc) value {
	return value{typ: "list of strings", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		vals, nodes, _ := d.stringList(f, n, sc)
		out := vals[:0:0]
		for i, s := range vals {
			if check != nil {
				if problem, fix := check(s); problem != "" {
					if fix == "" {
						fix = f.fix()
					}
					d.errorf(nodes[i], fix, "bad entry %q in %s %s: %s", s, f.Key, sc.in(), problem)
					continue
				}
			}
			out = append(out, s)
		}
		*p(dst.(*T)) = out
	}}
}

func objV[T, U any](spec *objectSpec, p func(*T) *U) value {
	return value{typ: "mapping", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		nsc := sc
		if !spec.Transparent {
			nsc = sc.nested(f.Key)
		}
		d.object(spec, n, nsc, p(dst.(*T)))
	}}
}

func ptrV[T, U any](spec *objectSpec, p func(*T) **U) value {
	return value{typ: "mapping", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		u := new(U)
		*p(dst.(*T)) = u
		d.object(spec, n, sc.nested(f.Key), u)
	}}
}

// itemsOf returns the items of a list field, reporting anything else.
func (d *decoder) itemsOf(f *fieldSpec, n *yaml.Node, sc scope) []*yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
			d.errorf(n, f.fix(), "%s %s has no value", f.Key, sc.in())
			return nil
		}
		d.errorf(n, f.fix(), "%s %s must be a list, not %s", f.Key, sc.in(), kindName(n))
		return nil
	}
	if len(n.Content) == 0 && f.Required {
		d.errorf(n, f.fix(), "%s %s is empty", f.Key, sc.in())
	}
	return n.Content
}

// scalarText is the plain text of a scalar node, or "".
func scalarText(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// rulesV decodes a list of table rules; a plain string item is a rule with
// only a pattern.
func rulesV[T any](p func(*T) *[]*TableRule) value {
	return value{typ: "list of table rules", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		var rules []*TableRule
		for _, item := range d.itemsOf(f, n, sc) {
			item = resolve(item)
			r := &TableRule{}
			info := &ruleInfo{node: item, owner: sc.decl}
			d.rules[r] = info
			if item.Kind == yaml.ScalarNode && item.ShortTag() != "!!null" {
				info.patternNode = item
				patternField.value.dec(d, patternField, item, sc, r)
				rules = append(rules, r)
				continue
			}
			label := "a table rule"
			if pat := scalarText(lookup(item, "pattern")); pat != "" {
				label = fmt.Sprintf("table rule %q", pat)
			}
			rsc := sc.nested(label)
			rsc.rule = info
			d.object(tableRuleSpec, item, rsc, r)
			rules = append(rules, r)
		}
		*p(dst.(*T)) = rules
	}}
}

// nodesV decodes a top-level list of named nodes.
func nodesV[U any](kind NodeKind, spec *objectSpec, p func(*DAG) *[]*U) value {
	return value{typ: "list of " + string(kind) + "s", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		list := p(dst.(*DAG))
		for i, item := range d.itemsOf(f, n, sc) {
			item = resolve(item)
			dc := &decl{kind: kind, node: item, order: len(d.decls)}
			where := fmt.Sprintf("%s #%d", kind, i+1)
			if nn := lookup(item, "name"); nn != nil {
				dc.nameNode = resolve(nn)
				if name := scalarText(nn); name != "" {
					dc.name = name
					where = fmt.Sprintf("%s %q", kind, name)
				}
			}
			u := new(U)
			dc.obj = u
			d.decls = append(d.decls, dc)
			*list = append(*list, u)
			d.object(spec, item, scope{where: where, decl: dc}, u)
		}
	}}
}

// fromV decodes a from: reference list into the current declaration.
func fromV() value {
	return value{typ: "name or list of names", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		names, nodes, _ := d.stringList(f, n, sc)
		sc.decl.fromNode = resolve(n)
		seen := map[string]bool{}
		for i, name := range names {
			if seen[name] {
				d.errorf(nodes[i], "delete the repeated entry", "%q appears twice in from %s", name, sc.in())
				continue
			}
			seen[name] = true
			sc.decl.from = append(sc.decl.from, ref{name: name, node: nodes[i]})
		}
	}}
}

// filterV parses a row filter, pointing errors at their column inside it.
func filterV[T any](p func(*T) **Expr) value {
	return value{typ: "filter", dec: func(d *decoder, f *fieldSpec, n *yaml.Node, sc scope, dst any) {
		s, ok := d.scalar(f, n, sc)
		if !ok {
			return
		}
		e, err := ParseFilter(s)
		if err != nil {
			n = resolve(n)
			at := *n
			if fe, ok := err.(*FilterError); ok && !strings.Contains(n.Value, "${") {
				switch n.Style {
				case 0, yaml.TaggedStyle:
					if !strings.Contains(s[:fe.Offset], "\n") {
						at.Column += fe.Offset
					}
				case yaml.SingleQuotedStyle:
					if !strings.ContainsAny(s[:fe.Offset], "\n'") {
						at.Column += fe.Offset + 1
					}
				case yaml.DoubleQuotedStyle:
					if !strings.ContainsAny(s[:fe.Offset], "\n\"\\") {
						at.Column += fe.Offset + 1
					}
				}
			}
			d.errorf(&at, "see Filters in docs/topology.md", "bad filter %s: %v", sc.in(), err)
			return
		}
		*p(dst.(*T)) = e
	}}
}
