package topology

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxPipelines bounds the paths enumerated through a DAG; a topology that
// fans out beyond it is rejected rather than expanded.
const maxPipelines = 4096

// canRead lists the kinds each kind may name in from:.
var canRead = map[NodeKind][]NodeKind{
	KindTransform: {KindSource, KindTransform},
	KindRouter:    {KindSource, KindTransform},
	KindSink:      {KindRouter, KindSource, KindTransform},
}

type graph struct {
	ins, outs map[*decl][]*decl
	refAt     map[[2]*decl]*yaml.Node // from: entry that made the edge
}

func (dc *decl) ref() NodeRef { return NodeRef{Kind: dc.kind, Name: dc.name} }

func (dc *decl) label() string { return fmt.Sprintf("%s %q", dc.kind, dc.name) }

func (dc *decl) at() *yaml.Node {
	if dc.nameNode != nil {
		return dc.nameNode
	}
	return dc.node
}

// link checks names and from: references, builds edges, cycles,
// reachability and pipelines, then the checks that need whole pipelines.
func (d *decoder) link(g *DAG) {
	byName := map[string]*decl{}
	var names []string
	for _, dc := range d.decls {
		if dc.name == "" {
			continue
		}
		if prev := byName[dc.name]; prev != nil {
			d.errorf(dc.at(), "rename one of them; sources, transforms, routers and sinks share one namespace",
				"duplicate name %q: %s at line %d has it too", dc.name, prev.kind, prev.at().Line)
			continue
		}
		byName[dc.name] = dc
		names = append(names, dc.name)
	}

	gr := &graph{ins: map[*decl][]*decl{}, outs: map[*decl][]*decl{}, refAt: map[[2]*decl]*yaml.Node{}}
	// Reachability errors after a broken reference, a missing from: or a
	// missing sinks list would only repeat that first error.
	refErrors := len(g.Sinks) == 0
	for _, dc := range d.decls {
		if dc.kind != KindSource && dc.fromNode == nil {
			refErrors = true
		}
		for _, r := range dc.from {
			up := byName[r.name]
			switch {
			case up == nil:
				fix := "name a source, transform or router declared in this file"
				if c := closest(r.name, names); c != "" {
					fix = fmt.Sprintf("did you mean %q?", c)
				}
				d.errorf(r.node, fix, "from %q in %s names no node", r.name, dc.label())
				refErrors = true
				continue
			case up == dc:
				d.errorf(r.node, "name the node it reads from", "%s reads from itself", dc.label())
				refErrors = true
				continue
			case !kindIn(up.kind, canRead[dc.kind]):
				d.errorf(r.node, readFix(dc.kind, up.kind), "%s cannot read from %s", dc.label(), up.label())
				refErrors = true
				continue
			}
			gr.ins[dc] = append(gr.ins[dc], up)
			gr.outs[up] = append(gr.outs[up], dc)
			gr.refAt[[2]*decl{up, dc}] = r.node
		}
	}
	cyclic := d.cycles(gr)
	d.implyRouters(g, gr)
	for _, dc := range d.decls {
		for _, up := range gr.ins[dc] {
			g.Edges = append(g.Edges, Edge{From: up.ref(), To: dc.ref()})
		}
	}
	if !refErrors && !cyclic {
		d.reachability(gr)
	}
	if cyclic {
		return
	}
	d.pipelines(g, gr)
	d.checkDDLTopics(g)
	d.checkOverlap(g)
	d.checkKeys(g)
	d.checkServerIDs()
}

func kindIn(k NodeKind, ks []NodeKind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func readFix(down, up NodeKind) string {
	switch {
	case up == KindSink:
		return "sinks end a pipeline; read from the source, transform or router the sink reads from"
	case up == KindRouter:
		return "routers feed sinks only; put the " + string(down) + " before the router"
	}
	return "see the shape source → transform* → router → sink"
}

// cycles reports every cycle among transforms once, at the from: entry
// that closes it.
func (d *decoder) cycles(gr *graph) bool {
	const (
		white = iota
		grey
		black
	)
	color := map[*decl]int{}
	var stack []*decl
	found := false
	var visit func(dc *decl)
	visit = func(dc *decl) {
		color[dc] = grey
		stack = append(stack, dc)
		for _, next := range gr.outs[dc] {
			switch color[next] {
			case white:
				visit(next)
			case grey:
				i := len(stack) - 1
				for stack[i] != next {
					i--
				}
				var path []string
				for _, x := range stack[i:] {
					path = append(path, fmt.Sprintf("%q", x.name))
				}
				path = append(path, fmt.Sprintf("%q", next.name))
				d.errorf(gr.refAt[[2]*decl{dc, next}], "remove one of these from: entries",
					"cycle: transform %s", strings.Join(path, " → "))
				found = true
			}
		}
		stack = stack[:len(stack)-1]
		color[dc] = black
	}
	for _, dc := range d.decls {
		if dc.kind == KindTransform && color[dc] == white {
			visit(dc)
		}
	}
	return found
}

// implyRouters puts a partition0 router between a sink and each source or
// transform it reads directly.
func (d *decoder) implyRouters(g *DAG, gr *graph) {
	var added []*decl
	for _, sink := range d.decls {
		if sink.kind != KindSink {
			continue
		}
		var implied *decl
		ins := gr.ins[sink][:0:0]
		for _, up := range gr.ins[sink] {
			if up.kind == KindRouter {
				ins = append(ins, up)
				continue
			}
			if implied == nil {
				r := &Router{Name: sink.name + ".router", Policy: PolicyPartition0}
				implied = &decl{kind: KindRouter, name: r.Name, node: sink.node, nameNode: sink.nameNode, obj: r, order: sink.order}
				g.Routers = append(g.Routers, r)
				added = append(added, implied)
				ins = append(ins, implied)
				gr.outs[implied] = []*decl{sink}
				gr.refAt[[2]*decl{implied, sink}] = sink.fromNode
			}
			gr.ins[implied] = append(gr.ins[implied], up)
			outs := gr.outs[up]
			for i, x := range outs {
				if x == sink {
					outs[i] = implied
				}
			}
			gr.refAt[[2]*decl{up, implied}] = gr.refAt[[2]*decl{up, sink}]
		}
		if implied != nil {
			gr.ins[sink] = dedupe(ins)
		}
	}
	// Implied routers sit just before their sink in file order.
	for _, r := range added {
		for i, dc := range d.decls {
			if dc.node == r.node && dc.kind == KindSink {
				d.decls = append(d.decls[:i], append([]*decl{r}, d.decls[i:]...)...)
				break
			}
		}
	}
}

func dedupe(ds []*decl) []*decl {
	seen := map[*decl]bool{}
	out := ds[:0]
	for _, x := range ds {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// reachability reports sources that feed nothing and nodes whose rows reach
// no sink.
func (d *decoder) reachability(gr *graph) {
	memo := map[*decl]bool{}
	var reaches func(dc *decl) bool
	reaches = func(dc *decl) bool {
		if v, ok := memo[dc]; ok {
			return v
		}
		memo[dc] = false
		r := dc.kind == KindSink
		for _, next := range gr.outs[dc] {
			r = reaches(next) || r
		}
		memo[dc] = r
		return r
	}
	for _, dc := range d.decls {
		if dc.name == "" || dc.kind == KindSink {
			continue
		}
		switch {
		case len(gr.outs[dc]) == 0 && dc.kind == KindSource:
			d.errorf(dc.at(), fmt.Sprintf("name %q in the from: of a transform, router or sink, or delete the source", dc.name),
				"%s feeds nothing", dc.label())
		case len(gr.outs[dc]) == 0:
			d.errorf(dc.at(), fmt.Sprintf("name %q in the from: of a %s, or delete it", dc.name, nextKinds(dc.kind)),
				"%s feeds nothing", dc.label())
		case !reaches(dc):
			d.errorf(dc.at(), "every path must end in a sink: add a router and a sink after it",
				"%s reaches no sink", dc.label())
		}
	}
}

func nextKinds(k NodeKind) string {
	if k == KindRouter {
		return "sink"
	}
	return "router or sink"
}

// pipelines enumerates every source → transform* → router → sink path in
// file order.
func (d *decoder) pipelines(g *DAG, gr *graph) {
	var path []*Transform
	over := false
	steps := 0 // bounds the walk when paths fan out without reaching routers
	var walk func(src *Source, dc *decl)
	walk = func(src *Source, dc *decl) {
		for _, next := range gr.outs[dc] {
			if steps++; steps > 64*maxPipelines {
				over = true
			}
			if over {
				return
			}
			switch next.kind {
			case KindTransform:
				path = append(path, next.obj.(*Transform))
				walk(src, next)
				path = path[:len(path)-1]
			case KindRouter:
				for _, sink := range gr.outs[next] {
					if len(g.Pipelines) >= maxPipelines {
						over = true
						return
					}
					g.Pipelines = append(g.Pipelines, &Pipeline{
						Source:     src,
						Transforms: append([]*Transform(nil), path...),
						Router:     next.obj.(*Router),
						Sink:       sink.obj.(*Sink),
					})
				}
			}
		}
	}
	for _, dc := range d.decls {
		if dc.kind == KindSource {
			walk(dc.obj.(*Source), dc)
		}
	}
	if over {
		d.errorf(nil, "split the task into several files", "the topology has more than %d source-to-sink paths", maxPipelines)
	}
}

// effectiveTopic is the topic rows of rule r take through p: the rule's,
// then the first overlapping rule of each transform that sets one, else the
// sink's.
func effectiveTopic(p *Pipeline, r *TableRule) string {
	t := r.Topic
	for _, tr := range p.Transforms {
		for _, tr := range tr.Tables {
			if patternsOverlap(tr.Pattern, r.Pattern) {
				if tr.Topic != "" {
					t = tr.Topic
				}
				break
			}
		}
	}
	if t == "" {
		t = p.Sink.Topic
	}
	return t
}

// checkDDLTopics reports a Debezium-envelope sink without ddl_topic whose
// default DDL topic, the source's name, is also a topic its rows go to:
// the schema changes would land in a table's topic, where Debezium's
// consumers fail on them.
func (d *decoder) checkDDLTopics(g *DAG) {
	data := map[*Sink]map[string]bool{}
	for _, p := range g.Pipelines {
		if data[p.Sink] == nil {
			data[p.Sink] = map[string]bool{p.Sink.Topic: true}
		}
		for _, r := range p.Source.Objects.Tables {
			data[p.Sink][effectiveTopic(p, r)] = true
		}
		for _, t := range p.Transforms {
			for _, r := range t.Tables {
				if r.Topic != "" {
					data[p.Sink][r.Topic] = true
				}
			}
		}
	}
	reported := map[*Sink]bool{}
	for _, p := range g.Pipelines {
		if p.Sink.DDLTopic != "" || !p.Sink.Format.DebeziumEnvelope() || !data[p.Sink][p.DDLTopic()] || reported[p.Sink] {
			continue
		}
		reported[p.Sink] = true
		var at *yaml.Node
		for _, dc := range d.decls {
			if dc.obj == any(p.Sink) {
				at = dc.nameNode
			}
		}
		d.errorf(at, "set ddl_topic to a topic of its own (say ddl_topic: "+p.Source.Name+"-schema-changes)",
			"sink %q (format %s) writes DDL of source %q to the topic named for the source, %q, which also receives rows; Debezium consumers fail on schema changes in a table's topic",
			p.Sink.Name, p.Sink.Format, p.Source.Name, p.DDLTopic())
	}
}

// checkOverlap reports two sources writing tables that may be the same
// into one topic of one sink (DTS forbids overlapping objects in
// many-to-one tasks: the stream of one would overwrite the other's rows).
func (d *decoder) checkOverlap(g *DAG) {
	type dest struct {
		sink  *Sink
		topic string
	}
	type writer struct {
		src  *Source
		rule *TableRule
	}
	type key struct {
		a, b *TableRule
		sink *Sink
	}
	// Group every (source, rule) by the sink and topic it writes to, then
	// compare only within a group.
	byDest := map[dest][]writer{}
	var order []dest
	added := map[[3]any]bool{}
	for _, p := range g.Pipelines {
		for _, r := range p.Source.Objects.Tables {
			k := dest{p.Sink, effectiveTopic(p, r)}
			if added[[3]any{k, r, p.Source}] {
				continue
			}
			added[[3]any{k, r, p.Source}] = true
			if _, ok := byDest[k]; !ok {
				order = append(order, k)
			}
			byDest[k] = append(byDest[k], writer{p.Source, r})
		}
	}
	seen := map[key]bool{}
	for _, k := range order {
		ws := byDest[k]
		for i, w1 := range ws {
			for _, w2 := range ws[i+1:] {
				if w1.src == w2.src || seen[key{w1.rule, w2.rule, k.sink}] || !patternsOverlap(w1.rule.Pattern, w2.rule.Pattern) {
					continue
				}
				seen[key{w1.rule, w2.rule, k.sink}] = true
				line := 0
				if i1 := d.rules[w1.rule]; i1 != nil && i1.node != nil {
					line = i1.node.Line
				}
				var at *yaml.Node
				if i2 := d.rules[w2.rule]; i2 != nil {
					at = i2.node
				}
				d.errorf(at, "map one source's tables to another topic, or exclude them from one source",
					"sources %q and %q both write tables matching %s into topic %q of sink %q (the other rule is at line %d)",
					w1.src.Name, w2.src.Name, overlapName(w1.rule.Pattern, w2.rule.Pattern), k.topic, k.sink.Name, line)
			}
		}
	}
}

func overlapName(a, b string) string {
	if a == b {
		return a
	}
	return a + " and " + b
}

// checkKeys reports key-hashing routers that cannot find a key: an
// explicit empty partition_key, or columns_hash without columns.
func (d *decoder) checkKeys(g *DAG) {
	seen := map[[2]any]bool{}
	for _, p := range g.Pipelines {
		pol := p.Router.Policy
		if pol != PolicyPKHash && pol != PolicyColumnsHash {
			continue
		}
		rules := append([]*TableRule(nil), p.Source.Objects.Tables...)
		for _, t := range p.Transforms {
			rules = append(rules, t.Tables...)
		}
		for _, r := range rules {
			info := d.rules[r]
			if info == nil || info.pkNode == nil || len(r.PartitionKey) != 0 || seen[[2]any{r, p.Router}] {
				continue
			}
			seen[[2]any{r, p.Router}] = true
			d.errorf(info.pkNode, "remove partition_key to hash the primary key, or list the columns to hash",
				"partition_key of table rule %q is empty, but router %q hashes keys (policy %s)", r.Pattern, p.Router.Name, pol)
		}
		if pol != PolicyColumnsHash || len(p.Router.Columns) != 0 {
			continue
		}
		for _, r := range p.Source.Objects.Tables {
			if len(r.PartitionKey) != 0 || d.transformKey(p, r) || seen[[2]any{r, p.Router}] {
				continue
			}
			seen[[2]any{r, p.Router}] = true
			var at *yaml.Node
			for _, dc := range d.decls {
				if dc.obj == any(p.Router) {
					at = lookup(dc.node, "policy")
				}
			}
			d.errorf(resolve(at), fmt.Sprintf("add columns: [...] to router %q, or partition_key to the rule", p.Router.Name),
				"router %q hashes columns (columns_hash) but has no columns, and table rule %q of source %q has no partition_key", p.Router.Name, r.Pattern, p.Source.Name)
		}
	}
}

// transformKey reports whether a transform on p sets a partition key for
// tables of rule r.
func (d *decoder) transformKey(p *Pipeline, r *TableRule) bool {
	for _, t := range p.Transforms {
		for _, tr := range t.Tables {
			if patternsOverlap(tr.Pattern, r.Pattern) {
				if len(tr.PartitionKey) > 0 {
					return true
				}
				break
			}
		}
	}
	return false
}

// checkServerIDs reports two sources on one server with one server_id: the
// server would disconnect one replica whenever the other connects.
func (d *decoder) checkServerIDs() {
	type key struct {
		addr string
		id   uint32
	}
	seen := map[key]*decl{}
	for _, dc := range d.decls {
		s, ok := dc.obj.(*Source)
		if !ok || s.ServerID == 0 || s.Host == "" {
			continue
		}
		k := key{s.Addr(), s.ServerID}
		if prev := seen[k]; prev != nil {
			d.errorf(resolve(lookup(dc.node, "server_id")), "give each source its own server_id",
				"sources %q and %q read %s with the same server_id %d; the server would drop one of them", prev.name, dc.name, k.addr, k.id)
			continue
		}
		seen[k] = dc
	}
}
