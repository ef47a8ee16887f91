package securitytest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/status"
)

// The HTTP endpoint (engine.http_addr, engine.http_token): loopback by
// default; any other address is refused unless a token is set; with a token,
// every path needs "Authorization: Bearer TOKEN".

func TestHTTP_Serve_RefusesNonLoopbackWithoutToken(t *testing.T) {
	for _, tc := range []struct {
		host    string
		token   string
		refused bool
	}{
		{"127.0.0.1", "", false},
		{"localhost", "", false},
		{"0.0.0.0", "", true},
		{"", "", true}, // ":port" listens on every interface
		{"[::]", "", true},
		{"192.0.2.10", "", true},
		{"status.example.com", "", true},
		{"0.0.0.0", "a-token", false},
		{"", "a-token", false},
	} {
		addr := fmt.Sprintf("%s:%d", tc.host, freePort(t))
		stop, err := status.Serve(addr, tc.token, status.NewRegistry())
		if stop != nil {
			stop()
		}
		switch {
		case tc.refused && err == nil:
			t.Errorf("Serve(%q, token %q) listened; want a refusal", addr, tc.token)
		case tc.refused && !strings.Contains(err.Error(), "set engine.http_token"):
			t.Errorf("Serve(%q): refusal %q does not say to set engine.http_token", addr, err)
		case !tc.refused && err != nil:
			t.Errorf("Serve(%q, token %q): %v", addr, tc.token, err)
		}
	}
}

func TestHTTP_Serve_BearerToken(t *testing.T) {
	token := secret(t, "tok-")
	addr := fmt.Sprintf("0.0.0.0:%d", freePort(t))
	stop, err := status.Serve(addr, token, status.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := strings.Replace("http://"+addr, "0.0.0.0", "127.0.0.1", 1)
	for _, path := range []string{"/status", "/metrics", "/healthz"} {
		for _, tc := range []struct {
			auth string
			want int
		}{
			{"", http.StatusUnauthorized},
			{"Bearer wrong-" + token, http.StatusUnauthorized},
			{"Bearer " + token[:len(token)-1], http.StatusUnauthorized},
			{"Basic " + token, http.StatusUnauthorized},
			{token, http.StatusUnauthorized},
			{"Bearer " + token, http.StatusOK},
		} {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("GET %s with Authorization %q: %d, want %d", path, tc.auth, resp.StatusCode, tc.want)
			}
		}
	}
	// A token in the query string is not a credential.
	if code, _ := get(t, base+"/status?token="+token, ""); code != http.StatusUnauthorized {
		t.Errorf("GET /status?token=...: %d, want 401", code)
	}
}

// TestHTTP_Run_NonLoopback: sluice run refuses 0.0.0.0 without a token
// (validate warns first) and serves it with one, to holders of the token only.
func TestHTTP_Run_NonLoopback(t *testing.T) {
	needBed(t)
	mysql := testbed.MySQL(t)
	kpw := secret(t, "scram-")
	tk := newTask(t, 2, mysql.User, mysql.Password, newScramUser(t, kpw), "${env:SEC_KAFKA_PW}")
	env := []string{"SEC_KAFKA_PW=" + kpw}
	port := freePort(t)
	tk.HTTPAddr = fmt.Sprintf("0.0.0.0:%d", port)
	open := tk.write(t, "open")

	v := runSluice(t, env, time.Minute, "validate", "-f", open)
	if !strings.Contains(v.out, "http_token") {
		t.Errorf("validate does not warn about http_addr without http_token:\n%s", v)
	}
	r := runSluice(t, env, time.Minute, "run", "-f", open)
	t.Logf("%s", r)
	if r.code != 1 || r.took > failFast || !strings.Contains(r.out, "is not a loopback address: set engine.http_token") {
		t.Errorf("run with http_addr 0.0.0.0 and no token: want exit 1 within %v naming engine.http_token; got %s", failFast, r)
	}

	token := secret(t, "tok-")
	tk.HTTPToken = "${env:SEC_HTTP_TOKEN}"
	tk.Dir = t.TempDir() // a checkpoint of its own: the refused run made one
	withToken := tk.write(t, "token")
	run := startRun(t, append(env, "SEC_HTTP_TOKEN="+token), "-f", withToken)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice run output:\n%s", run.out.String())
		}
	})
	testbed.ReadTopic(t, tk.Topic, 2, 60*time.Second)
	url := fmt.Sprintf("http://127.0.0.1:%d/status", port)
	if code, body := get(t, url, token); code != http.StatusOK || !strings.Contains(body, "secure-db") {
		t.Errorf("GET /status with the token: %d %s", code, body)
	}
	if code, body := get(t, url, ""); code != http.StatusUnauthorized || strings.Contains(body, "secure-db") {
		t.Errorf("GET /status without the token: %d %s", code, body)
	}
	if code := run.stop(t, time.Minute); code != 0 {
		t.Errorf("sluice run exited %d after SIGTERM:\n%s", code, run.out.String())
	}
}
