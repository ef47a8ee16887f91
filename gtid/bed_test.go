package gtid

import (
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/topology"
)

// The bed's MariaDB, read as the sluice account, holds its own current
// position and refuses one of a server it never replicated.
func TestRead_Bed_ContainsItsOwnPosition(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	conn := testbed.Connect(t)
	id, err := Identity(conn, topology.FlavorMariaDB)
	if err != nil || !strings.HasSuffix(id, "/0") {
		t.Fatalf("Identity = %q, %v: want server_id/gtid_domain_id", id, err)
	}
	// The position first: other tests write to the shared server, so the
	// state read after it can only be newer.
	r, err := conn.Execute("SELECT @@gtid_binlog_pos")
	if err != nil {
		t.Fatal(err)
	}
	pos, _ := r.GetString(0, 0)
	s, err := Read(conn, topology.FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	if s.Executed == "" {
		t.Fatalf("Read = %+v: want a binlog state", s)
	}
	if err := s.Contains(pos); err != nil {
		t.Fatalf("Contains(its own gtid_binlog_pos %q) = %v (server %+v)", pos, err, s)
	}
	if err := s.Contains("0-4000000000-1"); err == nil {
		t.Fatalf("Contains of a GTID of a server it never heard of = nil (server %+v)", s)
	}
	t.Logf("server %s: %+v", id, s)
}
