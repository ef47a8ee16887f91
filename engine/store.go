package engine

import (
	"log/slog"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/topology"
)

// openStore opens the store opts names, else the bbolt file in the
// topology's checkpoint_dir, under the task's identity: a changed topology
// is applied (and logged) or refused there.
func openStore(dag *topology.DAG, opts Options, log *slog.Logger) (store.Store, error) {
	st, _, err := openStoreAccepted(dag, opts, log)
	return st, err
}

// openStoreAccepted is openStore that also returns what the store accepted
// (the selection the checkpoints were written under, for added tables).
func openStoreAccepted(dag *topology.DAG, opts Options, log *slog.Logger) (store.Store, *acceptance, error) {
	id, accepted, err := storeIdentity(dag, opts.Task)
	if err != nil {
		return nil, nil, err
	}
	var st store.Store
	if opts.OpenStore != nil {
		st, err = opts.OpenStore(id)
	} else {
		st, err = boltstore.Open(dag.Engine.CheckpointDir, id, boltstore.Options{Logger: log})
	}
	if err != nil {
		return nil, nil, err
	}
	accepted.report(log)
	return st, accepted, nil
}
