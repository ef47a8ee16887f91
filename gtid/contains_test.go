package gtid

import (
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "8a94f357-aab4-11df-86ab-c80aa9429562"
)

// A MySQL primary A fails over to B: B replicated A's transactions up to
// A:1-100 and wrote its own since.
func TestServer_Contains_MySQL(t *testing.T) {
	replica := &Server{Flavor: topology.FlavorMySQL, Executed: uuidA + ":1-100," + uuidB + ":1-20", Purged: uuidA + ":1-40"}
	for _, tc := range []struct {
		name, set, want string // want: "" resumes, else a part of the refusal
	}{
		{"replicated and kept", uuidA + ":1-77", ""},
		{"up to the last replicated", uuidA + ":1-100", ""},
		{"with the new primary's own", uuidA + ":1-100," + uuidB + ":1-5", ""},
		{"exactly what was purged", uuidA + ":1-40", ""},
		{"not replicated yet", uuidA + ":1-101", "does not contain"},
		{"another primary's history", "9c1a7f2e-0000-11e1-9e33-c80aa9429562:1-5", "does not contain"},
		{"purged past it", uuidA + ":1-39", "gtid_purged " + uuidA + ":1-40 goes past"},
		{"a gap the checkpoint never saw", uuidA + ":1-30:41-50", "goes past"},
		{"tagged set (MySQL 8.4)", uuidA + ":1-40:audit:1-2", "does not contain"},
		{"not a GTID set", "0-1-17", "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkContains(t, replica, tc.set, tc.want)
		})
	}
	tagged := &Server{Flavor: topology.FlavorMySQL, Executed: uuidA + ":1-100:audit:1-3"}
	checkContains(t, tagged, uuidA+":1-50:audit:1-2", "")
}

// A MariaDB primary (server_id 1) fails over to its replica (server_id 2),
// both in domain 0; domain 1 is written elsewhere and replicated to both.
func TestServer_Contains_MariaDB(t *testing.T) {
	replica := &Server{Flavor: topology.FlavorMariaDB, Executed: "0-1-100,0-2-130,1-7-12", Purged: "0-1-40,1-7-3"}
	for _, tc := range []struct {
		name, set, want string
	}{
		{"replicated and kept", "0-1-77,1-7-10", ""},
		{"up to the last replicated", "0-1-100,1-7-12", ""},
		{"written on the new primary since", "0-2-120,1-7-12", ""},
		{"exactly what was purged", "0-1-40,1-7-3", ""},
		{"not replicated yet", "0-1-101,1-7-12", "only up to 0-1-100, before 0-1-101"},
		{"another server's history", "0-9-50,1-7-12", "no transaction of server_id 9 in domain 0"},
		{"an unknown domain", "0-1-50,1-7-12,5-1-3", "no transaction of server_id 1 in domain 5"},
		{"purged past it", "0-1-39,1-7-12", "starts after 0-1-40, past 0-1-39,1-7-12 in domain 0"},
		{"a purged domain it never saw", "0-1-50", "starts after 1-7-3"},
		{"not a position", uuidA + ":1-5", "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkContains(t, replica, tc.set, tc.want)
		})
	}
	// A fresh server with binlogs from its first transaction on.
	fresh := &Server{Flavor: topology.FlavorMariaDB, Executed: "0-3-14", Purged: ""}
	checkContains(t, fresh, "0-3-2", "")
	checkContains(t, fresh, "0-1-10", "no transaction of server_id 1 in domain 0 (gtid_binlog_state 0-3-14)")
}

func checkContains(t *testing.T, s *Server, set, want string) {
	t.Helper()
	err := s.Contains(set)
	switch {
	case want == "" && err != nil:
		t.Fatalf("Contains(%q) = %v, want nil", set, err)
	case want != "" && err == nil:
		t.Fatalf("Contains(%q) = nil, want an error with %q", set, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("Contains(%q) = %v, want it to say %q", set, err, want)
	}
}
