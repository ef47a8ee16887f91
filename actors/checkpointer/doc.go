// Package checkpointer is the actor that turns acknowledgements from the
// sinks into durable resume points.
//
// Every batch a source sends is announced here first (BatchSent, with how
// many pipelines must acknowledge it); sinks report BatchAcked per pipeline.
// The Ledger (plain code, ledger.go) keeps the batches in source order and
// releases the prefix whose batches every pipeline acknowledged: their bytes
// go back to the source as credit, and the newest resume mark in that prefix
// becomes durable. The actor commits durable marks to the store at most once
// per interval (one bbolt transaction, one fsync) and once more when it stops.
//
// It is not a watermark over arbitrary sequence ranges: a source's batches are
// the unit of acknowledgement, which keeps the per-row path free of any
// bookkeeping. Marks sit only at transaction boundaries, so a checkpoint never
// splits a transaction.
package checkpointer
