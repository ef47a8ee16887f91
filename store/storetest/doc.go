// Package storetest is the conformance suite every store.Store passes:
// boltstore, etcdstore and memstore run it from their tests with an Opener
// for a fresh location each.
//
// It checks the contract, not an implementation: reads of what was
// committed, all-or-nothing commits, last-write-wins inside one Update,
// chunk resets, schema lookups by position key, copies in and out, the lock,
// task identity checks, and a randomised commit / close / reopen / read-back
// property against a model. BenchCommit is the commit benchmark every
// store runs, so that their numbers compare.
//
// It is not a crash test: killing a process mid-commit is file-specific and
// lives in boltstore's tests.
package storetest
