// Package errkind classifies errors for the supervisor: an error is retryable
// unless it was marked terminal.
//
// It also says which errors are timeouts (IsTimeout), for the hints that
// ask whether a server is reachable.
//
// It is a leaf package (standard library only). It is not an error
// catalogue: packages keep their own messages and only mark which errors a
// retry cannot fix (binlog purged past the checkpoint, privileges missing,
// a schema that cannot be encoded).
//
// Sharp edges: the mark survives wrapping with fmt.Errorf("...: %w", err)
// and errors.Join, because IsTerminal walks the chain with errors.As. Wrapping
// with %v (or rebuilding the message) loses it.
package errkind
