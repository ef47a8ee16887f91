package securitytest

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// capture collects everything sluice printed or served, by label.
type capture struct {
	texts map[string]string
	order []string
}

func (c *capture) add(label, text string) {
	if c.texts == nil {
		c.texts = map[string]string{}
	}
	if _, dup := c.texts[label]; !dup {
		c.order = append(c.order, label)
	}
	c.texts[label] += text
}

// leaks returns "label: secret" for every secret, or its base64 form, found
// in a captured text.
func (c *capture) leaks(secrets []string) []string {
	var out []string
	for _, label := range c.order {
		text := c.texts[label]
		for _, s := range secrets {
			for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))} {
				if strings.Contains(text, form) {
					out = append(out, fmt.Sprintf("%s: contains %q", label, form))
				}
			}
		}
	}
	return out
}

// get fetches url with an optional bearer token.
func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// TestSecrets_NeverPrinted runs sluice validate, precheck and run — a
// working task and failing ones — with unique passwords and a token given
// through ${env:...} and ${file:...}, debug logs in text and JSON, and
// scans everything printed on stdout and stderr and served on /status,
// /metrics and /healthz for the secrets.
func TestSecrets_NeverPrinted(t *testing.T) {
	needBed(t)
	dbPW, kPW, token := secret(t, "dbpw-"), secret(t, "kpw-"), secret(t, "tok-")
	wrongDB, wrongK := secret(t, "wrongdb-"), secret(t, "wrongk-")
	secrets := []string{dbPW, kPW, token, wrongDB, wrongK}
	dbUser := newMySQLUser(t, dbPW, "SSL")
	kUser := newScramUser(t, kPW)

	const rows = 20
	tk := newTask(t, rows, dbUser, "${env:SEC_DB_PW}", kUser, "${file:kafka.pw}")
	tk.HTTPToken = "${env:SEC_HTTP_TOKEN}"
	pwFile := filepath.Join(tk.Dir, "kafka.pw")
	setKafkaPW := func(pw string) {
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	setKafkaPW(kPW)
	good := tk.write(t, "good")
	env := []string{"SEC_DB_PW=" + dbPW, "SEC_HTTP_TOKEN=" + token}
	var c capture
	record := func(r result) result {
		c.add(strings.Join(r.args, " "), r.out)
		return r
	}

	// validate: plain, --json, --print (secrets shown as [redacted]).
	for _, args := range [][]string{{"validate", "-f", good}, {"validate", "-f", good, "--json"}, {"validate", "-f", good, "--print"}} {
		r := record(runSluice(t, env, time.Minute, args...))
		if r.code != 0 {
			t.Errorf("%s", r)
		}
	}
	if p := c.texts["validate -f "+good+" --print"]; strings.Count(p, "[redacted]") < 3 {
		t.Errorf("validate --print shows [redacted] %d times, want 3 (two passwords and the token):\n%s", strings.Count(p, "[redacted]"), p)
	}

	// precheck of the working task, text and JSON.
	for _, args := range [][]string{{"precheck", "-f", good}, {"precheck", "-f", good, "--json"}} {
		if r := record(runSluice(t, env, time.Minute, args...)); r.code != 0 {
			t.Errorf("%s", r)
		}
	}

	// The working task at debug level: snapshot, then binlog; the endpoint
	// served with and without the token.
	run := startRun(t, env, "-f", good, "--log-level", "debug")
	testbed.ReadTopic(t, tk.Topic, rows, 60*time.Second)
	testbed.AdminExec(t, fmt.Sprintf("INSERT INTO `%s`.items VALUES (1000, 'after the snapshot')", tk.DB))
	testbed.ReadTopic(t, tk.Topic, rows+1, 60*time.Second)
	base := "http://" + tk.HTTPAddr
	for _, path := range []string{"/status", "/metrics", "/healthz"} {
		code, body := get(t, base+path, token)
		if code != http.StatusOK {
			t.Errorf("GET %s with the token: %d %s", path, code, body)
		}
		c.add("GET "+path, body)
		code, body = get(t, base+path, "")
		if code != http.StatusUnauthorized {
			t.Errorf("GET %s without the token: %d, want 401", path, code)
		}
		c.add("GET "+path+" without token", body)
	}
	if code := run.stop(t, time.Minute); code != 0 {
		t.Errorf("sluice run exited %d after SIGTERM", code)
	}
	c.add("run -f good --log-level debug", run.out.String())
	if !strings.Contains(c.texts["GET /metrics"], "sluice_") {
		t.Errorf("/metrics served no sluice series:\n%s", c.texts["GET /metrics"])
	}

	// Failing tasks: a wrong MariaDB password (env), a wrong Kafka password
	// (file), each through precheck, run, and run past the precheck, with
	// debug logs in JSON.
	for _, bad := range []struct {
		name   string
		env    []string
		kafka  string
		ignore string
	}{
		{"wrong MariaDB password", []string{"SEC_DB_PW=" + wrongDB, "SEC_HTTP_TOKEN=" + token}, kPW, "source.secure-db.*"},
		{"wrong Kafka password", env, wrongK, "sink.secure-kafka.*"},
	} {
		setKafkaPW(bad.kafka)
		for _, args := range [][]string{
			{"precheck", "-f", good},
			{"precheck", "-f", good, "--json"},
			{"run", "-f", good, "--log-level", "debug", "--log-format", "json"},
			{"run", "-f", good, "--log-level", "debug", "--ignore", bad.ignore},
		} {
			r := runSluice(t, bad.env, time.Minute, args...)
			c.add(bad.name+": "+strings.Join(args, " "), r.out)
			if r.code != 1 {
				t.Errorf("%s: %s", bad.name, r)
			}
		}
	}

	var total int
	for _, l := range c.order {
		total += len(c.texts[l])
	}
	t.Logf("scanned %d outputs, %d bytes, for %d secrets", len(c.order), total, len(secrets))
	if leaks := c.leaks(secrets); len(leaks) > 0 {
		for _, l := range leaks {
			t.Errorf("secret printed: %s", l)
		}
		for _, l := range c.order {
			t.Logf("--- %s\n%s", l, c.texts[l])
		}
	}
	// The scan must have seen real output: the failures name their cause.
	for label, want := range map[string]string{
		"wrong MariaDB password: precheck -f " + good: "access denied for user " + dbUser,
		"wrong Kafka password: precheck -f " + good:   "login as \"" + kUser + "\" refused",
	} {
		if !strings.Contains(c.texts[label], want) {
			t.Errorf("%s lacks %q:\n%s", label, want, c.texts[label])
		}
	}
}
