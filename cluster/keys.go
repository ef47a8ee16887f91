package cluster

import (
	"strings"

	"github.com/sluicecdc/sluice/store/etcdstore"
)

// The key layout under a cluster's prefix (default "/sluice"), one range per
// kind so that reading the plan never reads checkpoints:
//
//	<prefix>/members/<node>   the node's advertised address, under its lease
//	<prefix>/specs/<task>     the task's topology file, as submitted
//	<prefix>/owners/<task>    the owner node's name, under its lease
//	<prefix>/removed/<task>   set by remove: the owner drains and stops it
//	<prefix>/progress/<task>  the owner's last report of the task's progress (JSON Progress)
//	<prefix>/tasks/<task>/    the task's checkpoints (store/etcdstore.TaskPrefix)
type keys struct{ prefix string }

func (k keys) members() string             { return k.prefix + "/members/" }
func (k keys) member(node string) string   { return k.members() + node }
func (k keys) specs() string               { return k.prefix + "/specs/" }
func (k keys) spec(task string) string     { return k.specs() + task }
func (k keys) owners() string              { return k.prefix + "/owners/" }
func (k keys) owner(task string) string    { return k.owners() + task }
func (k keys) removals() string            { return k.prefix + "/removed/" }
func (k keys) removed(task string) string  { return k.removals() + task }
func (k keys) state(task string) string    { return etcdstore.TaskPrefix(k.prefix, task) }
func (k keys) progresses() string          { return k.prefix + "/progress/" }
func (k keys) progress(task string) string { return k.progresses() + task }

// name is the last part of key under dir.
func name(key []byte, dir string) string { return strings.TrimPrefix(string(key), dir) }
