package securitytest

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// sluiceBin is the binary TestMain builds; empty under -short.
var sluiceBin string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		flag.Parse()
		if !testing.Short() {
			dir, err := os.MkdirTemp("", "sluice-securitytest-")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			sluiceBin = filepath.Join(dir, "sluice")
			goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
			if p, err := exec.LookPath("go"); err == nil {
				goBin = p
			}
			out, err := exec.Command(goBin, "build", "-o", sluiceBin, "github.com/sluicecdc/sluice/cmd/sluice").CombinedOutput()
			if err != nil {
				fmt.Fprintf(os.Stderr, "securitytest: building sluice: %v\n%s", err, out)
				return 1
			}
		}
		return m.Run()
	}())
}

func needBed(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
}

// --- bed material ---------------------------------------------------------------

// tlsFile is a file of the bed's TLS material (testbed/lib.sh make_certs),
// failing the test when it is missing.
func tlsFile(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(testbed.BedDir(), "tls", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the bed's TLS material is missing (%v): run `make testbed-up`, which makes it", err)
	}
	return p
}

func envOr(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

// saslBroker is the bed's SASL_SSL listener (SCRAM-SHA-256/512, PLAIN).
func saslBroker(t *testing.T) string {
	t.Helper()
	return reachable(t, envOr("SLUICE_KAFKA_SASL_BROKER", "127.0.0.1:19094"))
}

// sslBroker is the bed's SSL listener, which requires a client certificate.
func sslBroker(t *testing.T) string {
	t.Helper()
	return reachable(t, envOr("SLUICE_KAFKA_SSL_BROKER", "127.0.0.1:19095"))
}

func reachable(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatalf("Kafka listener %s does not answer: %v; run `make testbed-up` (a bed started before it had secured listeners is restarted once; log: %s)", addr, err, testbed.KafkaLog())
	}
	_ = c.Close()
	return addr
}

// secret returns a random string no other test and no log line contains.
func secret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// --- MariaDB accounts ----------------------------------------------------------

// newMySQLUser creates an account with the privileges Sluice needs, a random
// name and the given password; require is "" or a REQUIRE clause (SSL,
// X509). It is dropped in Cleanup.
func newMySQLUser(t *testing.T, password, require string) string {
	t.Helper()
	user := secret(t, "sec_")[:16]
	var stmts []string
	for _, host := range []string{"127.0.0.1", "localhost"} {
		acct := fmt.Sprintf("'%s'@'%s'", user, host)
		create := fmt.Sprintf("CREATE USER %s IDENTIFIED BY '%s'", acct, password)
		if require != "" {
			create += " REQUIRE " + require
		}
		stmts = append(stmts, create, "GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO "+acct)
	}
	testbed.AdminExec(t, stmts...)
	t.Cleanup(func() {
		testbed.AdminExec(t, fmt.Sprintf("DROP USER IF EXISTS '%s'@'127.0.0.1', '%s'@'localhost'", user, user))
	})
	return user
}

// bedSource is a topology source for the bed's MariaDB as the sluice account.
func bedSource(t *testing.T, tls topology.TLS) *topology.Source {
	t.Helper()
	src := testbed.Source(t)
	src.Name, src.TLS = "secure-db", tls
	return src
}

// --- Kafka SCRAM users ---------------------------------------------------------

// scramIterations is the iteration count of the credentials tests create
// (Kafka's minimum is 4096).
const scramIterations = 4096

// newScramUser creates SCRAM-SHA-256 and SCRAM-SHA-512 credentials for a
// random user name with password, through Kafka's AlterUserScramCredentials
// API on the bed's PLAINTEXT listener, and deletes them in Cleanup.
func newScramUser(t *testing.T, password string) string {
	t.Helper()
	user := secret(t, "sec-")[:16]
	// One credential per request: Kafka refuses two for one user in one.
	for _, m := range []struct {
		mech kafka.ScramMechanism
		h    func() hash.Hash
	}{{kafka.ScramMechanismSha256, sha256.New}, {kafka.ScramMechanismSha512, sha512.New}} {
		salt := make([]byte, 16)
		if _, err := rand.Read(salt); err != nil {
			t.Fatal(err)
		}
		salted, err := pbkdf2.Key(m.h, password, salt, scramIterations, m.h().Size())
		if err != nil {
			t.Fatal(err)
		}
		alterScram(t, &kafka.AlterUserScramCredentialsRequest{Upsertions: []kafka.UserScramCredentialsUpsertion{{
			Name: user, Mechanism: m.mech, Iterations: scramIterations, Salt: salt, SaltedPassword: salted}}})
		t.Cleanup(func() {
			alterScram(t, &kafka.AlterUserScramCredentialsRequest{Deletions: []kafka.UserScramCredentialsDeletion{
				{Name: user, Mechanism: m.mech}}})
		})
	}
	// The broker learns new credentials from the metadata log a moment
	// after the controller accepted them.
	time.Sleep(500 * time.Millisecond)
	return user
}

func alterScram(t *testing.T, req *kafka.AlterUserScramCredentialsRequest) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(testbed.Kafka(t)...), Timeout: 20 * time.Second}
	resp, err := c.AlterUserScramCredentials(ctx, req)
	if err != nil {
		t.Fatalf("AlterUserScramCredentials: %v (log: %s)", err, testbed.KafkaLog())
	}
	var errs []error
	for _, r := range resp.Results {
		if r.Error != nil {
			errs = append(errs, fmt.Errorf("user %s: %w", r.User, r.Error))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("AlterUserScramCredentials: %v", err)
	}
}

// --- the sluice binary ------------------------------------------------------------

// result is one finished run of the sluice binary.
type result struct {
	args   []string
	code   int
	out    string // stdout and stderr, interleaved
	took   time.Duration
	killed bool // still running at the timeout, then killed
}

// runSluice runs the sluice binary with args and extra environment, for at
// most timeout, and returns everything it printed.
func runSluice(t *testing.T, env []string, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, out: out.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.killed, r.code = true, -1
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running sluice %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (r result) String() string {
	return fmt.Sprintf("sluice %s: exit %d after %v:\n%s", strings.Join(r.args, " "), r.code, r.took.Round(time.Millisecond), r.out)
}

// freePort is a TCP port free on 127.0.0.1 at the time of the call.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
