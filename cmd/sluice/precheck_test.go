package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/internal/testbed"
)

func TestPrecheck_Usage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"precheck"}, &out, &errb); code != 2 {
		t.Fatalf("no file: exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "no file; use -f FILE") {
		t.Fatalf("stderr %q", errb.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nsources: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	errb.Reset()
	if code := dispatch(context.Background(), []string{"precheck", "-f", bad}, &out, &errb); code != 1 {
		t.Fatalf("invalid file: exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "is not valid") {
		t.Fatalf("stderr %q", errb.String())
	}
}

func TestPrecheck_Bed_ExitCodesIgnoreAndJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	my := testbed.MySQL(t)
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.orders (id INT PRIMARY KEY)")
	topic := testbed.NewTopic(t, 1)
	dir := t.TempDir()
	write := func(partitions int) string {
		f := filepath.Join(dir, fmt.Sprintf("task-%d.yaml", partitions))
		y := fmt.Sprintf(`version: 1
engine: {checkpoint_dir: %q}
sources:
  - {name: shop-db, flavor: mariadb, host: %q, port: %d, user: %q, password: %q, server_id: 4242,
     objects: {tables: [%q]}}
sinks:
  - {name: main, from: shop-db, brokers: [%q], topic: %q, partitions: %d}
`, filepath.Join(dir, "cp"), my.Host(), my.Port(), my.User, my.Password, db+".*", testbed.Kafka(t)[0], topic, partitions)
		if err := os.WriteFile(f, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}

	ok := write(1)
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"precheck", "-f", ok}, &out, &errb); code != 0 {
		t.Fatalf("exit %d on a good topology:\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "PASS source.shop-db.binlog_format") || !strings.Contains(out.String(), "0 failed: ready to run") {
		t.Fatalf("output:\n%s", out.String())
	}
	if strings.Contains(out.String()+errb.String(), my.Password+"\"") {
		t.Fatalf("output shows the password:\n%s", out.String())
	}

	bad := write(3)
	item := "sink.main.topic." + topic
	out.Reset()
	if code := dispatch(context.Background(), []string{"precheck", "-f", bad}, &out, &errb); code != 1 {
		t.Fatalf("exit %d with a topic short of partitions:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "FAIL "+item) || !strings.Contains(out.String(), "--partitions 3") {
		t.Fatalf("output:\n%s", out.String())
	}

	out.Reset()
	errb.Reset()
	if code := dispatch(context.Background(), []string{"precheck", "-f", bad, "--ignore", item, "--ignore", "no.such.item"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d with the failure ignored:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "(ignored)") || !strings.Contains(out.String(), "1 ignored") {
		t.Fatalf("output:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), "--ignore no.such.item names no item") {
		t.Fatalf("stderr %q", errb.String())
	}

	out.Reset()
	if code := dispatch(context.Background(), []string{"precheck", "-f", bad, "--json"}, &out, &errb); code != 1 {
		t.Fatalf("--json: exit %d", code)
	}
	var rep precheckReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out.String())
	}
	if rep.OK || rep.Summary.Failed != 1 || len(rep.Items) < 20 {
		t.Fatalf("--json report: ok %v, summary %+v, %d items", rep.OK, rep.Summary, len(rep.Items))
	}
	for _, it := range rep.Items {
		if it.Name == item && (it.Status != "fail" || it.Fix == "") {
			t.Fatalf("item %+v", it)
		}
	}
}
