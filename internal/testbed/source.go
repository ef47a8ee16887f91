package testbed

import (
	"math/rand/v2"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

// Source is a topology source for the bed's MariaDB as the sluice account
// (DTS privileges only), starting at the latest position, with a replica
// server_id of its own: MariaDB drops an older replica connection that
// registers the same id.
func Source(t testing.TB) *topology.Source {
	t.Helper()
	cfg := MySQL(t)
	return &topology.Source{
		Name:     "bed",
		Flavor:   topology.FlavorMariaDB,
		Host:     cfg.Host(),
		Port:     int(cfg.Port()),
		User:     cfg.User,
		Password: topology.NewSecret(cfg.Password),
		ServerID: ServerID(),
		Start:    topology.StartPosition{Mode: topology.StartLatest},
	}
}

// ServerID returns a replica server_id for one bed test. Test binaries of
// several packages (and several checkouts) share the bed's MariaDB at once, and
// the server drops a replica when another connects with its server_id, so the
// ids are drawn at random from a range of 2^30: two live replicas collide with
// a chance of about one in a billion, not one in a thousand.
func ServerID() uint32 { return 1<<20 + rand.Uint32N(1<<30) }
