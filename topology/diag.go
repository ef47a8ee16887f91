package topology

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a diagnostic blocks the task.
type Severity string

const (
	// SeverityError makes the topology unusable: Load returns no DAG.
	SeverityError Severity = "error"
	// SeverityWarning points at something probably wrong that still runs.
	SeverityWarning Severity = "warning"
)

// Diagnostic is one problem found in a topology file: where it is, what is
// wrong and how to fix it.
type Diagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"` // 1-based; 0 when the problem has no place (an unreadable file)
	Col      int      `json:"col"`  // 1-based
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

// String renders "file:line:col: message; fix", with "warning: " before the
// message of a warning.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", d.Line, d.Col)
	}
	b.WriteString(": ")
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Fix != "" {
		b.WriteString("; ")
		b.WriteString(d.Fix)
	}
	return b.String()
}

// Diagnostics is every problem found in one file, in file order.
type Diagnostics []Diagnostic

// Errors counts the diagnostics of severity error.
func (ds Diagnostics) Errors() int { return ds.count(SeverityError) }

// Warnings counts the diagnostics of severity warning.
func (ds Diagnostics) Warnings() int { return ds.count(SeverityWarning) }

func (ds Diagnostics) count(s Severity) int {
	n := 0
	for _, d := range ds {
		if d.Severity == s {
			n++
		}
	}
	return n
}

// Err returns nil when there is no error (warnings alone are not errors), or
// an error whose text lists every error, one per line.
func (ds Diagnostics) Err() error {
	var errs []error
	for _, d := range ds {
		if d.Severity == SeverityError {
			errs = append(errs, errors.New(d.String()))
		}
	}
	return errors.Join(errs...)
}

// String renders every diagnostic, one per line.
func (ds Diagnostics) String() string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (ds Diagnostics) sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Line != ds[j].Line {
			return ds[i].Line < ds[j].Line
		}
		return ds[i].Col < ds[j].Col
	})
}
