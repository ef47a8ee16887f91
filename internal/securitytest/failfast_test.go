package securitytest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Bad security settings through the sluice binary: `sluice precheck` and
// `sluice run` fail within seconds, exit 1 and print one line naming the
// item, the cause and the fix. `sluice run --ignore` past the precheck shows
// what the running task does when the problem appears later.

const failFast = 20 * time.Second // far below every retry window involved

func TestCLI_BadSecurityFailsFast(t *testing.T) {
	needBed(t)
	mysql := testbed.MySQL(t)
	kpw := secret(t, "scram-")
	kuser := newScramUser(t, kpw)
	base := newTask(t, 3, mysql.User, "${env:SEC_DB_PW}", kuser, "${env:SEC_KAFKA_PW}")
	env := []string{"SEC_DB_PW=" + mysql.Password, "SEC_KAFKA_PW=" + kpw}
	ca, other := tlsFile(t, "ca.pem"), tlsFile(t, "other-ca.pem")

	for _, tc := range []struct {
		name   string
		edit   func(tk *task)
		env    []string
		item   string   // the failing precheck item
		want   []string // in the precheck line, and in run's output
		ignore string   // --ignore for a run past the precheck; "" for none
		runErr []string // in the output of that run
	}{
		{
			name: "wrong SCRAM password", env: []string{"SEC_KAFKA_PW=" + secret(t, "wrong-")},
			item:   "sink.secure-kafka.connect",
			want:   []string{"SASL SCRAM-SHA-512 login as \"" + kuser + "\" refused", "correct sasl.user / sasl.password of sink secure-kafka"},
			ignore: "sink.secure-kafka.*",
			runErr: []string{"SASL Authentication Failed", "check the sink's sasl user and password"},
		},
		{
			name:   "wrong Kafka CA",
			edit:   func(tk *task) { tk.KafkaTLS = fmt.Sprintf("{ca_file: %s}", other) },
			item:   "sink.secure-kafka.connect",
			want:   []string{"certificate signed by unknown authority", "point tls.ca_file of sink secure-kafka at the CA"},
			ignore: "sink.secure-kafka.*",
			runErr: []string{"certificate signed by unknown authority", "point ca_file at the CA that signed it"},
		},
		{
			name: "no client certificate for the mutual-TLS listener",
			edit: func(tk *task) {
				tk.Broker, tk.KafkaTLS, tk.Mechanism = sslBroker(t), fmt.Sprintf("{ca_file: %s}", ca), ""
			},
			item:   "sink.secure-kafka.connect",
			want:   []string{"remote error: tls: bad certificate"},
			ignore: "sink.secure-kafka.*",
			runErr: []string{"remote error: tls", "set cert_file and key_file under the sink's tls"},
		},
		{
			name: "TLS to the PLAINTEXT listener",
			edit: func(tk *task) {
				tk.Broker, tk.KafkaTLS = testbed.Kafka(t)[0], fmt.Sprintf("{ca_file: %s}", ca)
				tk.Mechanism = ""
			},
			item: "sink.secure-kafka.connect",
			want: []string{"security protocol"},
		},
		{
			name: "wrong MariaDB CA",
			edit: func(tk *task) { tk.MySQLTLS = fmt.Sprintf("{mode: verify-ca, ca_file: %s}", other) },
			item: "source.secure-db.connect",
			want: []string{"not trusted by the CA in " + other, "point tls.ca_file at the CA that signed"},
		},
		{
			name: "wrong MariaDB server name",
			edit: func(tk *task) {
				tk.MySQLTLS = fmt.Sprintf("{mode: verify-identity, ca_file: %s, server_name: db.wrong.example}", ca)
			},
			item: "source.secure-db.connect",
			want: []string{"not db.wrong.example", "set tls.server_name"},
		},
		{
			name: "TLS disabled for a REQUIRE SSL account",
			edit: func(tk *task) {
				pw := secret(t, "pw-")
				tk.MySQLUser = newMySQLUser(t, pw, "SSL")
				tk.MySQLPass = pw
				tk.MySQLTLS = "{mode: disabled}"
			},
			item: "source.secure-db.connect",
			want: []string{"access denied for user", "if the account requires SSL, set tls.mode"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := *base
			if tc.edit != nil {
				tc.edit(&tk)
			}
			file := tk.write(t, "bad")
			env := append(append([]string{}, env...), tc.env...)

			pre := runSluice(t, env, 2*failFast, "precheck", "-f", file)
			t.Logf("%s", pre)
			if pre.code != 1 || pre.took > failFast {
				t.Errorf("precheck: exit %d after %v; want 1 within %v", pre.code, pre.took, failFast)
			}
			line := lineWith(pre.out, "FAIL "+tc.item)
			if line == "" {
				t.Fatalf("precheck printed no FAIL line for %s", tc.item)
			}
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("precheck line %q lacks %q", line, w)
				}
			}
			if !strings.Contains(line, "fix:") {
				t.Errorf("precheck line %q gives no fix", line)
			}

			run := runSluice(t, env, 2*failFast, "run", "-f", file)
			if run.code != 1 || run.took > failFast {
				t.Errorf("run: exit %d after %v; want 1 within %v\n%s", run.code, run.took, failFast, run)
			}
			if !strings.Contains(run.out, tc.item) {
				t.Errorf("run does not name %s:\n%s", tc.item, run)
			}

			if tc.ignore == "" {
				return
			}
			// Past the precheck: the task itself meets the problem.
			late := runSluice(t, env, 2*failFast, "run", "-f", file, "--ignore", tc.ignore)
			t.Logf("%s", late)
			if late.code != 1 || late.took > failFast {
				t.Errorf("run --ignore %s: exit %d after %v; want 1 within %v (the retry window is not for this)", tc.ignore, late.code, late.took, failFast)
			}
			last := lastLine(late.out)
			for _, w := range tc.runErr {
				if !strings.Contains(last, w) {
					t.Errorf("run --ignore: last line %q lacks %q", last, w)
				}
			}
		})
	}
}

// lineWith is the first line of s that starts with prefix, or "".
func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
