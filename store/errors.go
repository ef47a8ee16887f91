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
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("checkpoint store is closed")
	// ErrInvalidUpdate: an Update names no source or table.
	ErrInvalidUpdate = errors.New("invalid checkpoint update")
)

func errEmpty(what, field string) error {
	return fmt.Errorf("%w: a %s with an empty %s", ErrInvalidUpdate, what, field)
}

// CheckIdentity compares the identity recorded in the store at path with the
// one the task runs under. It returns nil when they match, or when only the
// topology hash differs and either the stored one is want's FormerHash or
// allowTopologyChange is set (the caller then records the new hash).
func CheckIdentity(path string, stored, want Identity, allowTopologyChange bool) error {
	if stored.Task != want.Task {
		return fmt.Errorf("%w: %s was written by task %q, and this is task %q; "+
			"give each task its own checkpoint_dir, or move the file away to start this task from scratch",
			ErrForeignTask, path, stored.Task, want.Task)
	}
	former := want.FormerHash != "" && stored.TopologyHash == want.FormerHash
	if stored.TopologyHash != want.TopologyHash && !former && !allowTopologyChange {
		return fmt.Errorf("%w: %s was written by task %q under topology %s, and the topology is now %s "+
			"(a source was renamed, changed flavor, or selects other objects); restore the topology the checkpoints were "+
			"written under, or point engine.checkpoint_dir at a new directory to start this topology from scratch (a new snapshot)",
			ErrTopologyChanged, path, stored.Task, short(stored.TopologyHash), short(want.TopologyHash))
	}
	return nil
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
