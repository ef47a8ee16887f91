// Package cluster runs many tasks over identical Sluice nodes, the way Kafka
// Connect's distributed mode does, with etcd as the one authority on who
// runs what.
//
//   - Membership: each node holds an etcd lease and a member key under it
//     (Members). A node whose lease expires (killed, paused, cut off) is no
//     longer a member; two live nodes cannot share a name.
//   - Ownership: a task is owned through its owner key, created under the
//     owner's lease (Acquire). The key's create revision is the owner's
//     epoch: the etcd checkpoint store commits only while the owner key still
//     has that revision, and the Kafka transactional producer of the new
//     owner fences the old one, so a paused node can never write after its
//     task moved.
//   - Assignment: rendezvous hashing of the task name over the live members
//     picks each task's node (Assign). It is sticky: a task stays with a live
//     owner; only when the owner is gone does the chosen node take it.
//
// It is not protoactor-go's cluster: that one's membership let a cut-off
// node keep running its work for seconds after it moved and never
// re-admitted it (docs/cluster.md). Each node still runs today's actor tree
// for every task it owns.
package cluster
