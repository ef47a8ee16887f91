package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch_UnknownCommandPrintsUsage(t *testing.T) {
	code, _, stderr := runCmd(t, "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "validate") {
		t.Fatalf("code %d, stderr:\n%s", code, stderr)
	}
	if code, _, _ := runCmd(t); code != 2 {
		t.Fatalf("no command: code %d, want 2", code)
	}
	if code, stdout, _ := runCmd(t, "help"); code != 0 || !strings.Contains(stdout, "Commands:") {
		t.Fatalf("help: code %d\n%s", code, stdout)
	}
}

func TestValidate_Quickstart(t *testing.T) {
	code, stdout, stderr := runCmd(t, "validate", "-f", "../../examples/quickstart.yaml")
	if code != 0 {
		t.Fatalf("code %d\n%s%s", code, stdout, stderr)
	}
	want := "../../examples/quickstart.yaml: valid: task quickstart: 1 source, 0 transforms, 1 router, 1 sink, 1 pipeline\n  demo-db → local-kafka.router → local-kafka\n"
	if stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const badTopology = `version: 1
sources:
  - name: db
    host: db1
    user: sluice
    server_id: 0
    objects: {tables: [shop.orders]}
sinks:
  - name: main
    from: db
    brokerz: [k:9092]
    topic: shop
    sasl: {mechanism: PLAIN, user: u, password: "${env:SLUICE_CMD_TEST_PW}"}
`

func TestValidate_ErrorsExitOne(t *testing.T) {
	t.Setenv("SLUICE_CMD_TEST_PW", "pw")
	path := writeFile(t, "topo.yaml", badTopology)
	code, stdout, _ := runCmd(t, "validate", "-f", path)
	want := path + ":6:16: server_id 0 in source \"db\" is out of range; use 1 to 4294967295; e.g. server_id: 4242\n" +
		path + ":11:5: unknown field \"brokerz\" in sink \"main\"; did you mean \"brokers\"?\n" +
		path + ":13:11: warning: sasl without tls in sink \"main\" sends credentials over plain TCP; add tls: {} (or tls: {ca_file: ...}) so that credentials are encrypted\n" +
		path + ": 2 errors, 1 warning\n"
	if code != 1 || stdout != want {
		t.Fatalf("code %d, stdout:\n%s\nwant:\n%s", code, stdout, want)
	}
}

func TestValidate_JSON(t *testing.T) {
	t.Setenv("SLUICE_CMD_TEST_PW", "pw")
	path := writeFile(t, "topo.yaml", badTopology)
	code, stdout, _ := runCmd(t, "validate", "--json", "-f", path)
	var rep validateReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if code != 1 || rep.OK || rep.Errors != 2 || rep.Warnings != 1 || len(rep.Diagnostics) != 3 {
		t.Fatalf("code %d, report %+v", code, rep)
	}
	d := rep.Diagnostics[1]
	if d.Line != 11 || d.Col != 5 || d.Severity != "error" || d.Fix != `did you mean "brokers"?` {
		t.Fatalf("diagnostic %+v", d)
	}
}

func TestValidate_PrintRedactsSecrets(t *testing.T) {
	t.Setenv("SLUICE_CMD_TEST_PW", "hunter2-secret")
	text := strings.NewReplacer("server_id: 0", "server_id: 7", "brokerz", "brokers", "    sasl:", "    tls: {}\n    sasl:").Replace(badTopology)
	path := writeFile(t, "topo.yaml", text)
	code, stdout, stderr := runCmd(t, "validate", "--print", "--json", "-f", path)
	if code != 0 {
		t.Fatalf("code %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "hunter2") || !strings.Contains(stdout, `"Password": "[redacted]"`) {
		t.Fatalf("secret shown or not redacted:\n%s", stdout)
	}
	var rep struct {
		OK  bool
		DAG struct {
			Sinks     []struct{ Brokers []string }
			Pipelines []struct{ Source, Router, Sink string }
		} `json:"dag"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.DAG.Pipelines) != 1 || rep.DAG.Pipelines[0].Router != "main.router" || rep.DAG.Sinks[0].Brokers[0] != "k:9092" {
		t.Fatalf("report %+v", rep)
	}
}

func TestValidate_Usage(t *testing.T) {
	if code, _, stderr := runCmd(t, "validate"); code != 2 || !strings.Contains(stderr, "no file") {
		t.Fatalf("code %d\n%s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "validate", "-f", filepath.Join(t.TempDir(), "absent.yaml")); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("code %d\n%s", code, stderr)
	}
}

func TestDocs_MatchesCheckedInReference(t *testing.T) {
	code, stdout, _ := runCmd(t, "docs")
	want, err := os.ReadFile("../../docs/topology.md")
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || stdout != string(want) {
		t.Fatal("sluice docs output differs from docs/topology.md; regenerate it")
	}
}
