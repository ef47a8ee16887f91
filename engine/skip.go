package engine

import (
	"fmt"
	"log/slog"

	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// RecordSkip records an operator's decision to skip one DDL statement of a
// source (sluice skip) in the task's checkpoint store. The task must be
// stopped: a running one holds the store (store.ErrLocked). A topology
// change the store accepts is recorded and logged to log (nil: not logged).
func RecordSkip(dag *topology.DAG, task, source string, sk store.Skip, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(dag, Options{Task: task}, log)
	if err != nil {
		return err
	}
	var u store.Update
	u.PutSkip(source, sk)
	if err := st.Commit(&u); err != nil {
		st.Close()
		return err
	}
	return st.Close()
}

// reportSkips shows a source's recorded skip decisions in its status.
func reportSkips(st store.Store, source string, stat *status.Source) error {
	list, err := st.Skips(source)
	if err != nil {
		return fmt.Errorf("source %q: skip decisions: %w", source, err)
	}
	views := make([]status.SkipView, len(list))
	for i, sk := range list {
		views[i] = status.SkipView{Position: sk.Pos.String(), Digest: sk.Digest, Statement: sk.Statement,
			Reason: sk.Reason, Who: sk.Who, At: sk.At}
	}
	stat.SetSkips(views)
	return nil
}
