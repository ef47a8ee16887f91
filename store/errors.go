package store

import (
	"errors"
	"fmt"
)

// Errors a store returns, to be tested with errors.Is. The wrapping error
// carries the details (path, task names, pid) and what to do. All but
// ErrClosed are terminal: retrying cannot help.
var (
	// ErrLocked: another process (or another Open in this process) holds
	// the store.
	ErrLocked = errors.New("checkpoint store is locked")
	// ErrForeignTask: the store belongs to another task.
	ErrForeignTask = errors.New("checkpoint store belongs to another task")
	// ErrTopologyChanged: the store was written under another topology.
	ErrTopologyChanged = errors.New("topology changed since the checkpoint was written")
	// ErrCorrupt: the file is not a readable Sluice checkpoint file.
	ErrCorrupt = errors.New("checkpoint file is corrupt")
	// ErrNewerFormat: the file was written by a newer Sluice.
	ErrNewerFormat = errors.New("checkpoint file has a newer format")
	// ErrServerMismatch: a checkpoint belongs to another server than the one
	// the source is connected to, and that server cannot resume it (see
	// CheckSwitch).
	ErrServerMismatch = errors.New("checkpoint belongs to another server")
	// ErrFenced: the task's ownership moved to another owner since the
	// store was opened (a store whose owner can change, such as etcdstore's,
	// checks it at every commit).
	ErrFenced = errors.New("checkpoint store is owned elsewhere")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("checkpoint store is closed")
	// ErrInvalidUpdate: an Update names no source or table.
	ErrInvalidUpdate = errors.New("invalid checkpoint update")
)

func errEmpty(what, field string) error {
	return fmt.Errorf("%w: a %s with an empty %s", ErrInvalidUpdate, what, field)
}

// Location says where a store keeps a task's state, for the errors that
// say how to fix a refusal.
type Location struct {
	// Name is the place: a file's path, an etcd key prefix.
	Name string
	// Setting is what gives a task a place of its own ("checkpoint_dir").
	Setting string
	// Discard says how to throw the state away ("move the file away").
	Discard string
}

// CheckIdentity compares the identity recorded in the store at loc with the
// one the task runs under. Another task's store is refused; one recorded
// under another topology opens when want.Accept accepts it (the caller then
// records want's topology).
func CheckIdentity(loc Location, stored, want Identity) error {
	if stored.Task != want.Task {
		return fmt.Errorf("%w: %s was written by task %q, and this is task %q; "+
			"if this topology describes that task, set name: %q at the top level of the topology file, "+
			"otherwise give each task its own %s, or %s to start this task from scratch",
			ErrForeignTask, loc.Name, stored.Task, want.Task, stored.Task, loc.Setting, loc.Discard)
	}
	if stored.SameTopology(want) {
		return nil
	}
	if want.Accept == nil {
		return fmt.Errorf("%w: %s was written by task %q under topology %s, and the topology is now %s; "+
			"restore the topology the checkpoints were written under, or give the task a new %s to start this "+
			"topology from scratch (a new snapshot)",
			ErrTopologyChanged, loc.Name, stored.Task, short(stored.TopologyHash), short(want.TopologyHash), loc.Setting)
	}
	return want.Accept(stored.Recorded(), loc)
}

func short(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
