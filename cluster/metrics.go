package cluster

import (
	"bytes"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// WriteMetrics renders the metrics of every task this node runs in the
// Prometheus text format, each sample labelled with node and task, so that
// one scrape of any node's status_addr, or of all of them, tells the tasks
// apart. Each family's HELP and TYPE lines come once, before all its
// samples, as the format requires.
func (n *Node) WriteMetrics(w io.Writer) error {
	n.mu.Lock()
	tasks := make([]*running, 0, len(n.running))
	for _, r := range n.running {
		tasks = append(tasks, r)
	}
	n.mu.Unlock()
	slices.SortFunc(tasks, func(a, b *running) int { return strings.Compare(a.owned.Name, b.owned.Name) })

	var e exposition
	now := time.Now()
	var one bytes.Buffer
	for _, r := range tasks {
		one.Reset()
		if err := r.owned.Status.WriteMetrics(&one, now); err != nil {
			return err
		}
		e.add(one.String(), "node="+strconv.Quote(n.cfg.Name)+",task="+strconv.Quote(r.owned.Name))
	}
	_, err := w.Write(e.bytes())
	return err
}

// exposition merges Prometheus texts into one, each family's HELP and TYPE
// lines once, before all its samples.
type exposition struct {
	order   []string          // families, in the order first seen
	heads   map[string][]byte // family → its HELP and TYPE lines
	samples map[string][]byte // family → its samples
}

// add adds text's families, with labels ("" for none) put in front of each
// sample's own.
func (e *exposition) add(text, labels string) {
	if e.heads == nil {
		e.heads, e.samples = map[string][]byte{}, map[string][]byte{}
	}
	family := ""
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
			family, _, _ = strings.Cut(rest, " ")
			if _, seen := e.heads[family]; !seen {
				e.order = append(e.order, family)
				e.heads[family] = nil
			}
		}
		if strings.HasPrefix(line, "#") {
			if !bytes.Contains(e.heads[family], []byte(line+"\n")) {
				e.heads[family] = append(e.heads[family], line+"\n"...)
			}
			continue
		}
		if _, seen := e.heads[family]; !seen {
			e.order = append(e.order, family)
			e.heads[family] = nil
		}
		if labels == "" {
			e.samples[family] = append(append(e.samples[family], line...), '\n')
		} else {
			e.samples[family] = appendLabelled(e.samples[family], line, labels)
		}
	}
}

func (e *exposition) bytes() []byte {
	var out []byte
	for _, f := range e.order {
		out = append(append(out, e.heads[f]...), e.samples[f]...)
	}
	return out
}

// appendLabelled appends the sample line with labels added in front of its
// own.
func appendLabelled(b []byte, line, labels string) []byte {
	name, rest, _ := strings.Cut(line, " ")
	if base, own, ok := strings.Cut(name, "{"); ok {
		b = append(b, base...)
		b = append(b, '{')
		b = append(b, labels...)
		b = append(b, ',')
		b = append(b, own...)
	} else {
		b = append(b, name...)
		b = append(b, '{')
		b = append(b, labels...)
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = append(b, rest...)
	return append(b, '\n')
}
