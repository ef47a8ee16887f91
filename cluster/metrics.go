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

	var order []string             // families, in the order first seen
	heads := map[string][]byte{}   // family → its HELP and TYPE lines
	samples := map[string][]byte{} // family → its samples
	now := time.Now()
	var one bytes.Buffer
	for _, r := range tasks {
		one.Reset()
		if err := r.owned.Status.WriteMetrics(&one, now); err != nil {
			return err
		}
		labels := "node=" + strconv.Quote(n.cfg.Name) + ",task=" + strconv.Quote(r.owned.Name)
		family := ""
		for _, line := range strings.Split(strings.TrimSuffix(one.String(), "\n"), "\n") {
			if rest, ok := strings.CutPrefix(line, "# HELP "); ok {
				family, _, _ = strings.Cut(rest, " ")
				if _, seen := heads[family]; !seen {
					order = append(order, family)
					heads[family] = nil
				}
			}
			if strings.HasPrefix(line, "#") {
				if !bytes.Contains(heads[family], []byte(line+"\n")) {
					heads[family] = append(heads[family], line+"\n"...)
				}
				continue
			}
			samples[family] = appendLabelled(samples[family], line, labels)
		}
	}
	var out []byte
	for _, f := range order {
		out = append(append(out, heads[f]...), samples[f]...)
	}
	_, err := w.Write(out)
	return err
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
