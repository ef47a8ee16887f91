package store

import "fmt"

// TakenOn reports whether the checkpoint was taken on the server named
// server (as ServerUUID records it). A checkpoint that records no server
// (written before servers were recorded) counts as taken on any.
func (cp Checkpoint) TakenOn(server string) bool {
	return cp.ServerUUID == "" || cp.ServerUUID == server
}

// CheckSwitch decides whether cp, taken on another server than the one the
// source is connected to (connected), resumes there. Only a checkpoint with
// a GTID set does, by GTID, and only when the connected server holds that
// set: lacking says why it does not (nil: it does; see package gtid), and is
// not looked at without a GTID set. A refusal is a *SwitchError.
func CheckSwitch(source string, cp Checkpoint, connected string, lacking error) error {
	if cp.GTIDSet == "" {
		return &SwitchError{Source: source, Checkpoint: cp, Server: connected}
	}
	if lacking != nil {
		return &SwitchError{Source: source, Checkpoint: cp, Server: connected, Reason: lacking}
	}
	return nil
}

// SwitchError refuses a checkpoint on another server than the one it was
// taken on. It wraps ErrServerMismatch; What and Fix split its message for
// reports that show them apart (the precheck).
type SwitchError struct {
	Source     string
	Checkpoint Checkpoint
	// Server is the server the source is connected to.
	Server string
	// Reason is why Server cannot resume the checkpoint's GTID set; nil when
	// the checkpoint has none.
	Reason error
}

func (e *SwitchError) Error() string {
	return ErrServerMismatch.Error() + ": " + e.What() + "; " + e.Fix()
}

func (e *SwitchError) Unwrap() error { return ErrServerMismatch }

// What says which checkpoint was refused on which server, and why.
func (e *SwitchError) What() string {
	cp := e.Checkpoint
	if e.Reason == nil {
		return fmt.Sprintf("source %q checkpointed %s on server %s and is now connected to server %s, but the checkpoint has no GTID set: "+
			"only a checkpoint with a GTID set resumes on another server (a binlog file and offset of one server mean nothing on another)",
			e.Source, cp.Pos, cp.ServerUUID, e.Server)
	}
	return fmt.Sprintf("source %q checkpointed GTID set %s on server %s and is now connected to server %s, which cannot resume it: %v",
		e.Source, cp.GTIDSet, cp.ServerUUID, e.Server, e.Reason)
}

// Fix says how to recover.
func (e *SwitchError) Fix() string {
	snapshot := "or take a new snapshot: stop sluice, move the engine.checkpoint_dir directory away (every source of the task starts over), " +
		"set start: initial on the source, and run sluice again"
	if e.Reason == nil {
		return fmt.Sprintf("point source %q back at server %s, %s", e.Source, e.Checkpoint.ServerUUID, snapshot)
	}
	return fmt.Sprintf("point source %q at a server that replicated server %s up to that GTID set and still has its binlogs after it "+
		"(the old primary, or a replica of it with log_slave_updates=ON), %s", e.Source, e.Checkpoint.ServerUUID, snapshot)
}
