package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MySQLConfig says where the bed's MariaDB is and which accounts to use.
type MySQLConfig struct {
	Addr          string // host:port
	User          string // the least-privileged account Sluice runs as
	Password      string
	AdminUser     string // an account with every privilege, for test setup
	AdminPassword string
}

// Host is the host part of Addr.
func (c MySQLConfig) Host() string {
	h, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c.Addr
	}
	return h
}

// Port is the port part of Addr, or 3306 when Addr has none.
func (c MySQLConfig) Port() uint16 {
	_, p, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return 3306
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 3306
	}
	return uint16(n)
}

func envOr(getenv func(string) string, key, def string) string {
	if v := strings.TrimSpace(getenv(key)); v != "" {
		return v
	}
	return def
}

func mysqlFromEnv(getenv func(string) string) MySQLConfig {
	return MySQLConfig{
		Addr:          envOr(getenv, "SLUICE_MYSQL_ADDR", "127.0.0.1:33306"),
		User:          envOr(getenv, "SLUICE_MYSQL_USER", "sluice"),
		Password:      envOr(getenv, "SLUICE_MYSQL_PASSWORD", "sluice"),
		AdminUser:     envOr(getenv, "SLUICE_MYSQL_ADMIN_USER", "sluice_admin"),
		AdminPassword: envOr(getenv, "SLUICE_MYSQL_ADMIN_PASSWORD", "admin"),
	}
}

// listOr reads a comma separated list of addresses, or def when key is unset.
func listOr(getenv func(string) string, key, def string) []string {
	var out []string
	for _, a := range strings.Split(envOr(getenv, key, def), ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func kafkaFromEnv(getenv func(string) string) []string {
	return listOr(getenv, "SLUICE_KAFKA_BROKERS", "127.0.0.1:19092")
}

func etcdFromEnv(getenv func(string) string) []string {
	return listOr(getenv, "SLUICE_ETCD_ENDPOINTS", "127.0.0.1:32379")
}

func bedDirFromEnv(getenv func(string) string, home string) string {
	if d := strings.TrimSpace(getenv("SLUICE_BED_DIR")); d != "" {
		return d
	}
	return filepath.Join(home, ".cache", "sluice-bed")
}

// BedDir is the directory that holds the bed's data, logs and pid files.
func BedDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return bedDirFromEnv(os.Getenv, home)
}

// MySQLLog is the path of the bed's MariaDB error log.
func MySQLLog() string { return filepath.Join(BedDir(), "mariadb", "mariadb.log") }

// KafkaLog is the path of the bed's Kafka log.
func KafkaLog() string { return filepath.Join(BedDir(), "kafka", "kafka.log") }

// unreachable is the message a test fails with when a service does not answer.
func unreachable(service, addr string, err error, log string) string {
	return fmt.Sprintf("testbed: %s at %s does not answer: %v; start the test bed with `make testbed-up` (log: %s)",
		service, addr, err, log)
}

// RepoRoot is the module root: the nearest directory above the working
// directory (a test's package directory) that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// runTool runs one of the command line tools the bed installs and returns
// its standard output; a failure or two minutes without an exit fails t.
func runTool(t testing.TB, name string, args []string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testbed: %s not found (%v); `make testbed-up` installs it", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testbed: %s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String()
}
