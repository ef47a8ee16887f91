// Package memstore is an in-memory store.Store for tests of the code that
// uses a store (the checkpoint actor, the snapshot coordinator).
//
// A Disk plays the file: it outlives the Store opened on it, so a test can
// commit, close, reopen and read back, and it is locked while a Store is open
// on it, like the bbolt file is. It passes the same conformance suite
// (storetest) as boltstore.
//
// It is not durable and not meant for production: a process exit loses it.
//
// Sharp edges: every byte slice is copied in and out, as in boltstore, so
// tests catch code that keeps references it must not keep.
package memstore
