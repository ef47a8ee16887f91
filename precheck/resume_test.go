package precheck

import (
	"errors"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/gtid"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

func TestCheckResume_Cases(t *testing.T) {
	src := testSource()
	at := change.Position{File: "mariadb-bin.000005", Pos: 1234}
	primary := "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	const here = "8a94f357-aab4-11df-86ab-c80aa9429562"
	replica := &gtid.Server{Flavor: topology.FlavorMySQL, Executed: primary + ":1-100", Purged: primary + ":1-40"}
	facts := func(srv *gtid.Server, err error) *sourceFacts {
		return &sourceFacts{Account: "sluice@127.0.0.1", Logs: []string{"mariadb-bin.000005"}, Identity: here, GTID: srv, GTIDErr: err}
	}
	for _, tc := range []struct {
		name        string
		cp          store.Checkpoint
		f           *sourceFacts
		status      Status
		detail, fix string
		items       int
	}{
		{"this server's", store.Checkpoint{Pos: at, ServerUUID: here}, facts(replica, nil), Pass, "the checkpoint is this server's", "", 2},
		{"no server recorded", store.Checkpoint{Pos: at}, facts(nil, errors.New("unused")), Pass, "records no server", "", 2},
		{"switched, resumable", store.Checkpoint{Pos: at, GTIDSet: primary + ":1-77", ServerUUID: primary}, facts(replica, nil), Pass, "resumes here by GTID", "", 1},
		{"switched, purged past it", store.Checkpoint{Pos: at, GTIDSet: primary + ":1-30", ServerUUID: primary}, facts(replica, nil), Fail, "gtid_purged " + primary + ":1-40 goes past", "new snapshot", 1},
		{"switched, not replicated", store.Checkpoint{Pos: at, GTIDSet: primary + ":1-177", ServerUUID: primary}, facts(replica, nil), Fail, "does not contain", "log_slave_updates", 1},
		{"switched without GTID set", store.Checkpoint{Pos: at, ServerUUID: primary}, facts(nil, errors.New("unused")), Fail, "no GTID set", "back at server " + primary, 1},
		{"switched, history unreadable", store.Checkpoint{Pos: at, GTIDSet: primary + ":1-77", ServerUUID: primary}, facts(nil, errors.New("Access denied")), Warn, "cannot be told: Access denied", "GRANT REPLICATION CLIENT", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := checkResume(src, tc.f, tc.cp)
			if len(items) != tc.items {
				t.Fatalf("%d items, want %d: %+v", len(items), tc.items, items)
			}
			wantItem(t, items[0], tc.status, tc.detail, tc.fix)
		})
	}
}
