package testbed

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFromEnv_Defaults(t *testing.T) {
	none := func(string) string { return "" }
	got := mysqlFromEnv(none)
	want := MySQLConfig{Addr: "127.0.0.1:33306", User: "sluice", Password: "sluice", AdminUser: "sluice_admin", AdminPassword: "admin"}
	if got != want {
		t.Errorf("mysqlFromEnv() = %+v, want %+v", got, want)
	}
	if got.Host() != "127.0.0.1" || got.Port() != 33306 {
		t.Errorf("Host, Port = %q, %d; want 127.0.0.1, 33306", got.Host(), got.Port())
	}
	if b := kafkaFromEnv(none); !reflect.DeepEqual(b, []string{"127.0.0.1:19092"}) {
		t.Errorf("kafkaFromEnv() = %q", b)
	}
	if e := etcdFromEnv(none); !reflect.DeepEqual(e, []string{"127.0.0.1:32379"}) {
		t.Errorf("etcdFromEnv() = %q", e)
	}
	if d := bedDirFromEnv(none, "/home/x"); d != "/home/x/.cache/sluice-bed" {
		t.Errorf("bedDirFromEnv() = %q", d)
	}
}

func TestFromEnv_Overrides(t *testing.T) {
	env := map[string]string{
		"SLUICE_MYSQL_ADDR":           "db.example:3307",
		"SLUICE_MYSQL_USER":           "u",
		"SLUICE_MYSQL_PASSWORD":       "p",
		"SLUICE_MYSQL_ADMIN_USER":     "au",
		"SLUICE_MYSQL_ADMIN_PASSWORD": "ap",
		"SLUICE_KAFKA_BROKERS":        " a:1, b:2 ,,",
		"SLUICE_ETCD_ENDPOINTS":       "e:1,e:2",
		"SLUICE_BED_DIR":              "/srv/bed",
	}
	getenv := func(k string) string { return env[k] }
	got := mysqlFromEnv(getenv)
	want := MySQLConfig{Addr: "db.example:3307", User: "u", Password: "p", AdminUser: "au", AdminPassword: "ap"}
	if got != want {
		t.Errorf("mysqlFromEnv() = %+v, want %+v", got, want)
	}
	if got.Host() != "db.example" || got.Port() != 3307 {
		t.Errorf("Host, Port = %q, %d", got.Host(), got.Port())
	}
	if b := kafkaFromEnv(getenv); !reflect.DeepEqual(b, []string{"a:1", "b:2"}) {
		t.Errorf("kafkaFromEnv() = %q", b)
	}
	if e := etcdFromEnv(getenv); !reflect.DeepEqual(e, []string{"e:1", "e:2"}) {
		t.Errorf("etcdFromEnv() = %q", e)
	}
	if d := bedDirFromEnv(getenv, "/home/x"); d != "/srv/bed" {
		t.Errorf("bedDirFromEnv() = %q", d)
	}
}

func TestMySQLConfig_Port(t *testing.T) {
	for _, tc := range []struct {
		addr string
		host string
		port uint16
	}{
		{"127.0.0.1:33306", "127.0.0.1", 33306},
		{"[::1]:3307", "::1", 3307},
		{"dbhost", "dbhost", 3306},
		{"dbhost:notaport", "dbhost", 3306},
	} {
		c := MySQLConfig{Addr: tc.addr}
		if c.Host() != tc.host || c.Port() != tc.port {
			t.Errorf("%q: Host, Port = %q, %d; want %q, %d", tc.addr, c.Host(), c.Port(), tc.host, tc.port)
		}
	}
}

func TestUnreachable_NamesTheFix(t *testing.T) {
	msg := unreachable("Kafka", "127.0.0.1:19092", errors.New("connection refused"), "/bed/kafka/kafka.log")
	for _, want := range []string{"Kafka", "127.0.0.1:19092", "connection refused", "make testbed-up", "/bed/kafka/kafka.log"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
