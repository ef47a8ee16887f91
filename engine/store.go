package engine

import (
	"log/slog"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/topology"
)

// openStore opens the store opts names, else the bbolt file in the
// topology's checkpoint_dir.
func openStore(dag *topology.DAG, opts Options, log *slog.Logger) (store.Store, error) {
	id := storeIdentity(dag, opts.Task)
	if opts.OpenStore != nil {
		return opts.OpenStore(id)
	}
	return boltstore.Open(dag.Engine.CheckpointDir, id, boltstore.Options{Logger: log})
}
