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
		ServerID: 200000 + rand.Uint32N(1<<24),
		Start:    topology.StartPosition{Mode: topology.StartLatest},
	}
}
