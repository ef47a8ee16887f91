// Package record is the encoding of the values a store keeps, shared by
// boltstore and etcdstore: JSON, so that `bbolt get` and `etcdctl get` show
// them, in types of their own, so that a renamed Go field never changes a
// stored format.
//
// It is not a store layout: each store keeps its own keys and its own format
// version.
package record
