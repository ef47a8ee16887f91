package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

// A reload takes a file whose changes the checkpoints survive, and refuses,
// naming the change and its fix, one that names other checkpoints, one the
// engine refuses, and a file that is not valid.
func TestReloadable(t *testing.T) {
	raw, err := os.ReadFile("../../examples/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "quickstart.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(string(raw))
	cur, _, err := topology.Load(file)
	if cur == nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, text, want string
		ok               bool
	}{
		{"unchanged", string(raw), "nothing to do", false},
		{"table added", strings.Replace(string(raw), `tables: ["demo.*"]`, `tables: ["demo.*", "other.t"]`, 1), `selects other.t too`, true},
		{"flavor", strings.Replace(string(raw), "flavor: mariadb", "flavor: mysql", 1), "changed flavor from mariadb to mysql", false},
		{"source renamed", strings.ReplaceAll(string(raw), "demo-db", "demo-db2"), `source \"demo-db\" was renamed to \"demo-db2\"`, false},
		{"name", "name: other\n" + string(raw), "name or engine.checkpoint_dir changed", false},
		{"not valid", strings.Replace(string(raw), "brokers:", "brokerz:", 1), "the file is not valid", false},
	} {
		write(c.text)
		var logs bytes.Buffer
		g := reloadable(file, cur, cur.Name, slog.New(slog.NewTextHandler(&logs, nil)))
		if (g != nil) != c.ok || !strings.Contains(logs.String(), c.want) {
			t.Errorf("%s: took it %v, log %q; want %v and %q", c.name, g != nil, logs.String(), c.ok, c.want)
		}
		if !c.ok && c.want != "nothing to do" && !strings.Contains(logs.String(), "fix=") {
			t.Errorf("%s: refusal without a fix: %s", c.name, logs.String())
		}
	}
}
