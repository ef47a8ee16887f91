package topology

import (
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree against the field declarations of
// spec.go, collecting every diagnostic instead of stopping at the first.
type decoder struct {
	file string // as given, used in diagnostics
	dir  string // relative paths resolve against it
	stem string // file name without extension

	lookupEnv func(string) (string, bool)
	readFile  func(string) ([]byte, error)

	diags Diagnostics
	decls []*decl
	rules map[*TableRule]*ruleInfo
}

// decl is one top-level node as written: where it is and what it reads from.
type decl struct {
	kind     NodeKind
	name     string
	node     *yaml.Node // its mapping
	nameNode *yaml.Node
	from     []ref
	fromNode *yaml.Node
	obj      any // *Source, *Transform, *Router or *Sink
	order    int // position in the file among all declarations
}

// ref is one entry of a from: list.
type ref struct {
	name string
	node *yaml.Node
}

// ruleInfo keeps the places of one table rule for checks made after
// decoding.
type ruleInfo struct {
	node        *yaml.Node
	patternNode *yaml.Node
	pkNode      *yaml.Node // set when partition_key is written
	owner       *decl
}

// scope says where in the file a value sits, for messages.
type scope struct {
	where string // e.g. `sink "main"`, `sasl of sink "main"`; "" at top level
	decl  *decl
	rule  *ruleInfo
}

func (sc scope) in() string {
	if sc.where == "" {
		return "at top level"
	}
	return "in " + sc.where
}

func (sc scope) nested(what string) scope {
	if sc.where == "" {
		sc.where = what
	} else {
		sc.where = what + " of " + sc.where
	}
	return sc
}

func (d *decoder) report(sev Severity, n *yaml.Node, fix, format string, args ...any) {
	diag := Diagnostic{Severity: sev, File: d.file, Message: fmt.Sprintf(format, args...), Fix: fix}
	if n != nil {
		diag.Line, diag.Col = n.Line, n.Column
	}
	d.diags = append(d.diags, diag)
}

func (d *decoder) errorf(n *yaml.Node, fix, format string, args ...any) {
	d.report(SeverityError, n, fix, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, fix, format string, args ...any) {
	d.report(SeverityWarning, n, fix, format, args...)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// example renders a field's example as a fix.
func (f *fieldSpec) fix() string {
	if f.Example == "" {
		return ""
	}
	ex := f.Example
	if strings.Contains(ex, "\n") {
		ex = strings.ReplaceAll(strings.TrimSpace(ex), "\n", " ")
	}
	return "e.g. " + f.Key + ": " + ex
}

// pair is one key/value of a mapping.
type pair struct{ key, value *yaml.Node }

// pairs lists a mapping's pairs, expanding merge keys (<<: *anchor) so that
// explicit keys win over merged ones.
func (d *decoder) pairs(n *yaml.Node, sc scope, depth int) []pair {
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			if depth > 8 {
				d.errorf(k, "flatten the merge chain", "merge keys nested too deeply %s", sc.in())
				continue
			}
			src := resolve(v)
			var maps []*yaml.Node
			switch src.Kind {
			case yaml.MappingNode:
				maps = append(maps, src)
			case yaml.SequenceNode:
				for _, m := range src.Content {
					maps = append(maps, resolve(m))
				}
			}
			if len(maps) == 0 {
				d.errorf(v, "merge only mappings: <<: *anchor", "merge key %s does not name a mapping", sc.in())
			}
			for _, m := range maps {
				if m == nil || m.Kind != yaml.MappingNode {
					at := v
					if m != nil {
						at = m
					}
					d.errorf(at, "merge only mappings: <<: *anchor", "merge key %s does not name a mapping", sc.in())
					continue
				}
				merged = append(merged, d.pairs(m, sc, depth+1)...)
			}
			continue
		}
		out = append(out, pair{k, v})
	}
	if len(merged) == 0 {
		return out
	}
	have := map[string]bool{}
	for _, p := range out {
		have[p.key.Value] = true
	}
	for _, p := range merged {
		if !have[p.key.Value] {
			have[p.key.Value] = true
			out = append(out, p)
		}
	}
	return out
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// object decodes mapping n into dst following spec: unknown and duplicate
// keys are errors, missing required fields are errors, absent fields take
// their declared default.
func (d *decoder) object(spec *objectSpec, n *yaml.Node, sc scope, dst any) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		what, fix := sc.where, "write key: value pairs, one per line"
		if what == "" {
			what, fix = "the topology file", "start it with version: 1 and add sources, sinks, ..."
		}
		d.errorf(n, fix, "%s must be a mapping, not %s", what, kindName(n))
		return
	}
	present := make(map[string]*yaml.Node)
	keys := make(map[string]*yaml.Node)
	suggested := make(map[string]bool) // a typo's "did you mean" is not also reported missing
	for _, p := range d.pairs(n, sc, 0) {
		k := p.key
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "write key: value", "a key %s is %s; keys are plain names", sc.in(), kindName(k))
			continue
		}
		if prev, dup := keys[k.Value]; dup {
			d.errorf(k, "delete one of them", "duplicate key %q %s; first at line %d", k.Value, sc.in(), prev.Line)
			continue
		}
		keys[k.Value] = k
		if spec.Extensible && strings.HasPrefix(k.Value, "x-") {
			continue
		}
		f := spec.field(k.Value)
		if f == nil {
			d.errorf(k, spec.suggest(k.Value), "unknown field %q %s", k.Value, sc.in())
			if c := closest(k.Value, spec.keys()); c != "" {
				suggested[c] = true
			}
			continue
		}
		present[f.Key] = p.value
		f.value.dec(d, f, p.value, sc, dst)
	}
	for _, f := range spec.Fields {
		if _, ok := present[f.Key]; ok {
			continue
		}
		switch {
		case f.Required && suggested[f.Key]:
		case f.Required:
			d.errorf(n, f.fix(), "missing %s %s", f.Key, sc.in())
		case f.Default != "":
			f.value.dec(d, f, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: f.Default, Line: n.Line, Column: n.Column}, sc, dst)
		case f.Implicit:
			f.value.dec(d, f, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}, sc, dst)
		}
	}
	if spec.check != nil {
		spec.check(d, n, sc, dst, present)
	}
}

// scalar returns the text of a scalar field with ${env:} and ${file:}
// references replaced.
func (d *decoder) scalar(f *fieldSpec, n *yaml.Node, sc scope) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, f.fix(), "%s %s must be %s, not %s", f.Key, sc.in(), f.value.article(), kindName(n))
		return "", false
	}
	if n.ShortTag() == "!!null" {
		d.errorf(n, f.fix(), "%s %s has no value", f.Key, sc.in())
		return "", false
	}
	return d.interpolate(f, n, sc)
}

// interpolate replaces ${env:NAME} and ${file:PATH}; $${ is a literal ${.
func (d *decoder) interpolate(f *fieldSpec, n *yaml.Node, sc scope) (string, bool) {
	s := n.Value
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			d.errorf(n, "close it with }, or write $${ for a literal ${", "unterminated reference %q in %s %s", s[i:], f.Key, sc.in())
			return "", false
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		scheme, arg, _ := strings.Cut(ref, ":")
		switch scheme {
		case "env":
			if arg == "" {
				d.errorf(n, "write ${env:NAME}", "empty environment variable name in %s %s", f.Key, sc.in())
				ok = false
				continue
			}
			v, set := d.lookupEnv(arg)
			if !set {
				d.errorf(n, fmt.Sprintf("export %s before running sluice, or write the value", arg), "environment variable %s is not set (%s %s)", arg, f.Key, sc.in())
				ok = false
				continue
			}
			b.WriteString(v)
		case "file":
			if arg == "" {
				d.errorf(n, "write ${file:PATH}", "empty file path in %s %s", f.Key, sc.in())
				ok = false
				continue
			}
			path := d.path(arg)
			data, err := d.readFile(path)
			if err != nil {
				d.errorf(n, "create the file or fix the path (relative paths start at the topology file's directory)", "cannot read %s for %s %s: %v", path, f.Key, sc.in(), unwrapPathErr(err))
				ok = false
				continue
			}
			v := strings.TrimSuffix(string(data), "\n")
			v = strings.TrimSuffix(v, "\r")
			b.WriteString(v)
		default:
			d.errorf(n, "use ${env:NAME} or ${file:PATH}; write $${ for a literal ${", "unknown reference ${%s} in %s %s", ref, f.Key, sc.in())
			ok = false
		}
	}
	return b.String(), ok
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// path makes p absolute against the topology file's directory.
func (d *decoder) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.dir, p)
}

func (d *decoder) integer(f *fieldSpec, n *yaml.Node, sc scope, lo, hi int64) (int64, bool) {
	s, ok := d.scalar(f, n, sc)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	if err != nil {
		d.errorf(n, f.fix(), "%s %s must be an integer, not %q", f.Key, sc.in(), s)
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(n, f.fix(), "%s %d %s is out of range; use %s", f.Key, v, sc.in(), rangeText(lo, hi))
		return 0, false
	}
	return v, true
}

func rangeText(lo, hi int64) string {
	if hi == math.MaxInt64 {
		return fmt.Sprintf("%d or more", lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

func (d *decoder) boolean(f *fieldSpec, n *yaml.Node, sc scope) (bool, bool) {
	s, ok := d.scalar(f, n, sc)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	d.errorf(n, "write "+f.Key+": true or "+f.Key+": false", "%s %s must be true or false, not %q", f.Key, sc.in(), s)
	return false, false
}

var sizeUnits = []struct {
	suffix string
	mult   float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

// ParseSize parses a byte size: a plain integer (bytes) or a number with a
// unit: B, KiB, MiB, GiB, TiB (powers of 1024), KB, MB, GB, TB (powers of
// 1000), K, M, G (powers of 1024, as Kafka and MySQL use them). Units are
// case-insensitive; a space may separate number and unit.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(strings.ReplaceAll(s, "_", ""))
	lower := strings.ToLower(t)
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(lower, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	if t == "" {
		return 0, fmt.Errorf("no number")
	}
	if mult == 1 {
		v, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("not a size")
		}
		if v < 0 {
			return 0, fmt.Errorf("negative")
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a size")
	}
	if f < 0 {
		return 0, fmt.Errorf("negative")
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("too large")
	}
	return int64(v), nil
}

func (d *decoder) size(f *fieldSpec, n *yaml.Node, sc scope, lo int64) (int64, bool) {
	s, ok := d.scalar(f, n, sc)
	if !ok {
		return 0, false
	}
	v, err := ParseSize(s)
	if err != nil {
		d.errorf(n, f.fix()+" (units B, KiB, MiB, GiB, KB, MB, GB)", "%s %s must be a size, not %q", f.Key, sc.in(), s)
		return 0, false
	}
	if v < lo {
		d.errorf(n, f.fix(), "%s %s is %d bytes; it must be at least %d bytes", f.Key, sc.in(), v, lo)
		return 0, false
	}
	return v, true
}

func (d *decoder) duration(f *fieldSpec, n *yaml.Node, sc scope, lo time.Duration) (time.Duration, bool) {
	s, ok := d.scalar(f, n, sc)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			d.errorf(n, f.fix()+" (units ms, s, m, h)", "%s %s is %q, a duration without a unit", f.Key, sc.in(), s)
		} else {
			d.errorf(n, f.fix()+" (units ms, s, m, h)", "%s %s must be a duration, not %q", f.Key, sc.in(), s)
		}
		return 0, false
	}
	if v < lo {
		d.errorf(n, f.fix(), "%s %s is %v; it must be at least %v", f.Key, sc.in(), v, lo)
		return 0, false
	}
	return v, true
}

func (d *decoder) enum(f *fieldSpec, n *yaml.Node, sc scope) (string, bool) {
	s, ok := d.scalar(f, n, sc)
	if !ok {
		return "", false
	}
	for _, e := range f.Enum {
		if s == e {
			return s, true
		}
	}
	fix := "use one of " + strings.Join(f.Enum, ", ")
	if c := closest(s, f.Enum); c != "" {
		fix = fmt.Sprintf("did you mean %q? (one of %s)", c, strings.Join(f.Enum, ", "))
	}
	d.errorf(n, fix, "bad %s %q %s", f.Key, s, sc.in())
	return "", false
}

// stringList decodes a list of strings; a single string is a one-element
// list. It returns the value nodes too, for later messages.
func (d *decoder) stringList(f *fieldSpec, n *yaml.Node, sc scope) ([]string, []*yaml.Node, bool) {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			d.errorf(n, f.fix(), "%s %s has no value", f.Key, sc.in())
			return nil, nil, false
		}
		s, ok := d.scalar(f, n, sc)
		if !ok {
			return nil, nil, false
		}
		return []string{s}, []*yaml.Node{n}, true
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		nodes := make([]*yaml.Node, 0, len(n.Content))
		ok := true
		for _, item := range n.Content {
			s, iok := d.scalar(f, item, sc)
			if !iok {
				ok = false
				continue
			}
			if s == "" {
				d.errorf(item, f.fix(), "empty entry in %s %s", f.Key, sc.in())
				ok = false
				continue
			}
			out = append(out, s)
			nodes = append(nodes, resolve(item))
		}
		return out, nodes, ok
	}
	d.errorf(n, f.fix(), "%s %s must be a list of strings, not %s", f.Key, sc.in(), kindName(n))
	return nil, nil, false
}

// stringMap decodes a mapping of strings to strings.
// A YAML null value reads as nullAs when that is not empty.
func (d *decoder) stringMap(f *fieldSpec, n *yaml.Node, sc scope, nullAs string, each func(k, v string, kn, vn *yaml.Node) bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, f.fix(), "%s %s must be a mapping, not %s", f.Key, sc.in(), kindName(n))
		return
	}
	seen := map[string]bool{}
	for _, p := range d.pairs(n, sc, 0) {
		kn := resolve(p.key)
		if kn.Kind != yaml.ScalarNode || kn.Value == "" {
			d.errorf(p.key, f.fix(), "%s %s has a key that is not a column name", f.Key, sc.in())
			continue
		}
		if seen[kn.Value] {
			d.errorf(kn, "delete one of them", "column %s appears twice in %s %s", kn.Value, f.Key, sc.in())
			continue
		}
		seen[kn.Value] = true
		if vn := resolve(p.value); nullAs != "" && vn.Kind == yaml.ScalarNode && vn.ShortTag() == "!!null" {
			each(kn.Value, nullAs, kn, vn)
			continue
		}
		v, ok := d.scalar(f, p.value, sc)
		if !ok {
			continue
		}
		each(kn.Value, v, kn, resolve(p.value))
	}
}

// hostPort checks "host:port".
func checkHostPort(s string) (problem string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if !strings.Contains(s, ":") {
			return "it has no port"
		}
		return "it is not host:port"
	}
	if host == "" {
		return "it has no host"
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "its port is not a number from 1 to 65535"
	}
	return ""
}

// closest returns the candidate nearest to s by edit distance, or "" when
// none is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		dist := editDistance(strings.ToLower(s), strings.ToLower(c))
		if dist < bestD {
			best, bestD = c, dist
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestD <= limit && bestD < len(s) {
		return best
	}
	// A prefix typo such as "broker" for "brokers".
	for _, c := range candidates {
		if len(s) >= 3 && (strings.HasPrefix(c, s) || strings.HasPrefix(s, c)) {
			return c
		}
	}
	return ""
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
