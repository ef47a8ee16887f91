package etcdstore

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// TaskPrefix is where a cluster whose keys are under cluster (e.g.
// "/sluice") keeps a task's state: "<cluster>/tasks/<task>/", the task's
// name path-escaped.
func TaskPrefix(cluster, task string) string { return cluster + "/tasks/" + url.PathEscape(task) + "/" }

// keys is the layout under one prefix (see the package doc). Source and
// table names are path-escaped, so that a "/" in a name cannot reach into
// another key's space; schema position keys are kept as they are, last in
// their key, so that etcd's byte order is their order.
type keys struct{ p string }

func esc(name string) string { return url.PathEscape(name) }

func (k keys) format() string                   { return k.p + "format" }
func (k keys) identity() string                 { return k.p + "identity" }
func (k keys) lock() string                     { return k.p + "lock" }
func (k keys) sources() string                  { return k.p + "source/" }
func (k keys) source(src string) string         { return k.sources() + esc(src) }
func (k keys) checkpoint(src string) string     { return k.p + "checkpoint/" + esc(src) }
func (k keys) snapshot(src string) string       { return k.p + "snapshot/" + esc(src) }
func (k keys) chunks(src string) string         { return k.p + "chunk/" + esc(src) + "/" }
func (k keys) tableChunks(src, t string) string { return k.chunks(src) + esc(t) + "/" }
func (k keys) chunk(src, t string, id uint32) string {
	return fmt.Sprintf("%s%08x", k.tableChunks(src, t), id)
}
func (k keys) schemas(src, t string) string { return k.p + "schema/" + esc(src) + "/" + esc(t) + "/" }
func (k keys) skips(src string) string      { return k.p + "skip/" + esc(src) + "/" }
func (k keys) journal() string              { return k.p + "journal/" }
func (k keys) piece(i int) string           { return fmt.Sprintf("%s%08x", k.journal(), i) }
func (k keys) committed() string            { return k.p + "journal-committed" }
func (k keys) writer() string               { return k.p + "writer" }

// chunkID reads the chunk ID at the end of a chunk key.
func chunkID(key, prefix string) (uint32, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(key, prefix), 16, 32)
	if err != nil || len(key)-len(prefix) != 8 {
		return 0, fmt.Errorf("chunk key %q", key)
	}
	return uint32(id), nil
}

// names returns the distinct escaped names that start each key after
// prefix (up to the next "/"), unescaped and sorted.
func names(ks [][]byte, prefix string) ([]string, error) {
	var out []string
	last := ""
	for _, k := range ks {
		seg := strings.TrimPrefix(string(k), prefix)
		if i := strings.IndexByte(seg, '/'); i >= 0 {
			seg = seg[:i]
		}
		if seg == last {
			continue
		}
		last = seg
		n, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}
