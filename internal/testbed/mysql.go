package testbed

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
)

const dialTimeout = 5 * time.Second

// MySQL returns where the bed's MariaDB is, after checking that the sluice
// account can log in.
func MySQL(t testing.TB) MySQLConfig {
	t.Helper()
	cfg := mysqlFromEnv(os.Getenv)
	conn, err := client.ConnectWithTimeout(cfg.Addr, cfg.User, cfg.Password, "", dialTimeout)
	if err != nil {
		t.Fatal(unreachable("MariaDB (user "+cfg.User+")", cfg.Addr, err, MySQLLog()))
	}
	_ = conn.Close()
	return cfg
}

// Connect opens a connection as the sluice account, closed in t.Cleanup.
func Connect(t testing.TB) *client.Conn {
	t.Helper()
	cfg := mysqlFromEnv(os.Getenv)
	return connect(t, cfg.User, cfg.Password)
}

// AdminConn opens a connection as the admin account, closed in t.Cleanup.
func AdminConn(t testing.TB) *client.Conn {
	t.Helper()
	cfg := mysqlFromEnv(os.Getenv)
	return connect(t, cfg.AdminUser, cfg.AdminPassword)
}

func connect(t testing.TB, user, password string) *client.Conn {
	t.Helper()
	cfg := mysqlFromEnv(os.Getenv)
	conn, err := client.ConnectWithTimeout(cfg.Addr, user, password, "", dialTimeout)
	if err != nil {
		t.Fatal(unreachable("MariaDB (user "+user+")", cfg.Addr, err, MySQLLog()))
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// AdminExec runs each statement, in order, on one admin connection and
// returns their results. A failing statement fails the test.
func AdminExec(t testing.TB, statements ...string) []*mysql.Result {
	t.Helper()
	conn := AdminConn(t)
	results := make([]*mysql.Result, 0, len(statements))
	for _, s := range statements {
		r, err := conn.Execute(s)
		if err != nil {
			t.Fatalf("testbed: admin statement %q: %v", s, err)
		}
		results = append(results, r)
	}
	return results
}

// NewDatabase creates an empty database named t_<random> and drops it in
// t.Cleanup. It returns the name.
func NewDatabase(t testing.TB) string {
	t.Helper()
	name := "t_" + randomSuffix(t)
	AdminExec(t, "CREATE DATABASE `"+name+"`")
	t.Cleanup(func() {
		cfg := mysqlFromEnv(os.Getenv)
		conn, err := client.ConnectWithTimeout(cfg.Addr, cfg.AdminUser, cfg.AdminPassword, "", dialTimeout)
		if err != nil {
			t.Errorf("testbed: dropping database %s: %v", name, err)
			return
		}
		defer conn.Close()
		if _, err := conn.Execute("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("testbed: dropping database %s: %v", name, err)
		}
	})
	return name
}

// randomSuffix is 12 lower-case hex digits.
func randomSuffix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("testbed: random name: %v", err)
	}
	return hex.EncodeToString(b[:])
}

// BinlogPosition is the server's current binlog file and position, read with
// SHOW MASTER STATUS as the sluice account (which has BINLOG MONITOR).
func BinlogPosition(t testing.TB) mysql.Position {
	t.Helper()
	r, err := Connect(t).Execute("SHOW MASTER STATUS")
	if err != nil {
		t.Fatalf("testbed: SHOW MASTER STATUS: %v", err)
	}
	if r.RowNumber() != 1 {
		t.Fatalf("testbed: SHOW MASTER STATUS returned %d rows; is log_bin on? (log: %s)", r.RowNumber(), MySQLLog())
	}
	file, _ := r.GetString(0, 0)
	pos, _ := r.GetUint(0, 1)
	return mysql.Position{Name: file, Pos: uint32(pos)}
}
