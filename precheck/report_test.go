package precheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func sampleReport() *Report {
	return &Report{Items: []Item{
		{Name: "source.shop-db.connect", Status: Pass, Detail: "connected"},
		{Name: "source.shop-db.binlog_format", Status: Fail, Detail: "binlog_format is STATEMENT; Sluice needs ROW", Fix: "SET GLOBAL binlog_format=ROW"},
		{Name: "source.shop-db.key.shop.log", Status: Warn, Detail: "no key", Fix: "ALTER TABLE"},
		{Name: "source.shop-db.key.shop.audit", Status: Fail, Detail: "made-up failure", Fix: "something"},
		{Name: "engine.checkpoint_dir", Status: Pass, Detail: "writable"},
	}}
}

func TestReport_FailedHonoursIgnore(t *testing.T) {
	r := sampleReport()
	if got := r.Failed(nil); len(got) != 2 {
		t.Fatalf("Failed(nil) = %v, want 2 items", got)
	}
	got := r.Failed([]string{"source.shop-db.binlog_format"})
	if len(got) != 1 || got[0].Name != "source.shop-db.key.shop.audit" {
		t.Fatalf("Failed(ignore binlog_format) = %v", got)
	}
	if got := r.Failed([]string{"source.shop-db.*"}); len(got) != 0 {
		t.Fatalf("a wildcard should ignore both, got %v", got)
	}
	if err := r.Error([]string{"source.shop-db.*"}); err != nil {
		t.Fatalf("Error with everything ignored = %v", err)
	}
	err := r.Error(nil)
	if err == nil || !strings.Contains(err.Error(), "source.shop-db.binlog_format: binlog_format is STATEMENT; Sluice needs ROW → fix: SET GLOBAL binlog_format=ROW") ||
		!strings.Contains(err.Error(), "--ignore NAME") {
		t.Fatalf("Error(nil) = %v", err)
	}
	var pe *Error
	if !asError(err, &pe) || len(pe.Items) != 2 {
		t.Fatalf("Error(nil) is not a *precheck.Error with 2 items: %#v", err)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	if ok {
		*target = e
	}
	return ok
}

func TestReport_IgnoreMarksAndReportsUnused(t *testing.T) {
	r := sampleReport()
	unused := r.Ignore([]string{"source.shop-db.binlog_format", "source.shop-db.binlog_fromat"})
	if len(unused) != 1 || unused[0] != "source.shop-db.binlog_fromat" {
		t.Fatalf("unused = %v", unused)
	}
	if !r.Items[1].Ignored || r.Items[3].Ignored {
		t.Fatalf("marks: %+v", r.Items)
	}
	s := r.Summary(nil)
	if s != (Summary{Passed: 2, Warnings: 1, Failed: 1, Ignored: 1}) || s.OK() {
		t.Fatalf("summary %+v", s)
	}
	r.Ignore([]string{"source.shop-db.key.shop.audit"})
	if s := r.Summary(nil); !s.OK() || s.Ignored != 2 {
		t.Fatalf("summary after ignoring both: %+v", s)
	}
}

func TestReport_WriteText(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteText(&b, []string{"source.shop-db.key.shop.audit"}); err != nil {
		t.Fatal(err)
	}
	want := `PASS source.shop-db.connect         connected
FAIL source.shop-db.binlog_format   binlog_format is STATEMENT; Sluice needs ROW  → fix: SET GLOBAL binlog_format=ROW
WARN source.shop-db.key.shop.log    no key  → fix: ALTER TABLE
FAIL source.shop-db.key.shop.audit  made-up failure  → fix: something  (ignored)
PASS engine.checkpoint_dir          writable
precheck: 2 passed, 1 warning, 1 failed, 1 ignored: fix the failures above or skip one with --ignore NAME
`
	if b.String() != want {
		t.Fatalf("text output:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestReport_JSONShape(t *testing.T) {
	b, err := json.Marshal(sampleReport().Items[1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"source.shop-db.binlog_format","status":"fail","detail":"binlog_format is STATEMENT; Sluice needs ROW","fix":"SET GLOBAL binlog_format=ROW"}`
	if string(b) != want {
		t.Fatalf("json %s, want %s", b, want)
	}
}
