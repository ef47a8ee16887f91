package precheck

import (
	"fmt"
	"io"
	"path"
	"strings"
)

// Status is the outcome of one check.
type Status string

const (
	// Pass: the requirement holds.
	Pass Status = "pass"
	// Warn: Sluice runs, with a cost or a risk the detail names.
	Warn Status = "warn"
	// Fail: Sluice cannot run correctly until it is fixed (or the item is
	// ignored by name).
	Fail Status = "fail"
)

// Item is the result of one check.
type Item struct {
	// Name is a stable identifier, e.g. "source.shop-db.binlog_format":
	// scope (source, sink, engine), node name, check. --ignore takes it.
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Detail says what was found, in a sentence a new user understands.
	Detail string `json:"detail"`
	// Fix says how to fix a warning or failure: concrete SQL, a config line
	// or a command. Empty for passes.
	Fix string `json:"fix,omitempty"`
	// Ignored is set by Report.Ignore on items an --ignore pattern names.
	Ignored bool `json:"ignored,omitempty"`

	// keyless names the table ({db, table}) of a source.NAME.key item for
	// a table without any key; compacted the compacted topics of a
	// sink.NAME.cleanup_policy item: Run's crossCheckCompaction reads both.
	keyless   [2]string
	compacted map[string]bool
}

// Report is the outcome of Run: every item, in a stable order (sources,
// then sinks, then the engine, each in topology order).
type Report struct {
	Items []Item `json:"items"`
}

// Summary counts a report's items. An ignored failure counts in Ignored,
// not in Failed.
type Summary struct {
	Passed   int `json:"passed"`
	Warnings int `json:"warnings"`
	Failed   int `json:"failed"`
	Ignored  int `json:"ignored"`
}

// OK reports whether nothing un-ignored failed.
func (s Summary) OK() bool { return s.Failed == 0 }

// matchIgnore reports whether an --ignore pattern names item n. A pattern
// is an item name, or a path.Match pattern where '*' spans any characters
// but '/' (names have none), e.g. "source.shop-db.key.*".
func matchIgnore(patterns []string, n string) bool {
	for _, p := range patterns {
		if p == n {
			return true
		}
		if ok, err := path.Match(p, n); err == nil && ok {
			return true
		}
	}
	return false
}

// Ignore marks the items the patterns name as ignored and returns the
// patterns that named no item (most likely typos, worth telling the user).
func (r *Report) Ignore(patterns []string) (unused []string) {
	used := make([]bool, len(patterns))
	for i := range r.Items {
		for j := range patterns {
			if matchIgnore(patterns[j:j+1], r.Items[i].Name) {
				r.Items[i].Ignored = true
				used[j] = true
			}
		}
	}
	for j, p := range patterns {
		if !used[j] {
			unused = append(unused, p)
		}
	}
	return unused
}

// Failed returns the failed items that no ignore pattern names (the items
// that stop `sluice run`). Items already marked Ignored are left out too.
func (r *Report) Failed(ignore []string) []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Status == Fail && !it.Ignored && !matchIgnore(ignore, it.Name) {
			out = append(out, it)
		}
	}
	return out
}

// Summary counts the items, honouring ignore patterns and Ignored marks.
func (r *Report) Summary(ignore []string) Summary {
	var s Summary
	for _, it := range r.Items {
		switch {
		case it.Status == Pass:
			s.Passed++
		case it.Status == Warn:
			s.Warnings++
		case it.Ignored || matchIgnore(ignore, it.Name):
			s.Ignored++
		default:
			s.Failed++
		}
	}
	return s
}

// Error summarises the un-ignored failures as one error (nil when none), for
// `sluice run` to refuse to start with: each failure on its own line with its
// fix, then how to ignore it.
func (r *Report) Error(ignore []string) error {
	failed := r.Failed(ignore)
	if len(failed) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "precheck failed (%d item", len(failed))
	if len(failed) > 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, it := range failed {
		b.WriteString("\n  ")
		b.WriteString(it.Name)
		b.WriteString(": ")
		b.WriteString(it.Detail)
		if it.Fix != "" {
			b.WriteString(" → fix: ")
			b.WriteString(it.Fix)
		}
	}
	b.WriteString("\nfix them and run again, or skip an item with --ignore NAME")
	return &Error{msg: b.String(), Items: failed}
}

// Error is the error of Report.Error; Items are the failures.
type Error struct {
	msg   string
	Items []Item
}

func (e *Error) Error() string { return e.msg }

// WriteText writes one line per item — status, name, detail, fix — and a
// summary line. Names are padded to one column.
func (r *Report) WriteText(w io.Writer, ignore []string) error {
	width := 0
	for _, it := range r.Items {
		width = max(width, len(it.Name))
	}
	var b strings.Builder
	for _, it := range r.Items {
		b.Reset()
		b.WriteString(strings.ToUpper(string(it.Status)))
		b.WriteByte(' ')
		b.WriteString(it.Name)
		b.WriteString(strings.Repeat(" ", width-len(it.Name)+2))
		b.WriteString(it.Detail)
		if it.Fix != "" && it.Status != Pass {
			b.WriteString("  → fix: ")
			b.WriteString(it.Fix)
		}
		if it.Status == Fail && (it.Ignored || matchIgnore(ignore, it.Name)) {
			b.WriteString("  (ignored)")
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, r.Summary(ignore).String()+"\n")
	return err
}

// String is the summary line, e.g. "precheck: 21 passed, 2 warnings, 1
// failed".
func (s Summary) String() string {
	out := fmt.Sprintf("precheck: %d passed, %s, %d failed", s.Passed, plural(s.Warnings, "warning"), s.Failed)
	if s.Ignored > 0 {
		out += fmt.Sprintf(", %d ignored", s.Ignored)
	}
	if s.Failed > 0 {
		out += ": fix the failures above or skip one with --ignore NAME"
	} else if s.Ignored > 0 {
		out += ": ready to run (ignored failures may still break the task)"
	} else {
		out += ": ready to run"
	}
	return out
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
