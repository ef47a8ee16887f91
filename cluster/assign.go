package cluster

import (
	"hash/fnv"
	"slices"
)

// Plan assigns every task to a live member. Every node computes the same
// plan from the same tasks, members and owners, so no leader is needed.
//
// Each member takes floor(tasks/members) tasks, and tasks%members of them
// one more, so that no member has two more than another. A task stays with
// its live owner while the owner is within its share (sticky: nothing moves
// when nothing changed); the other tasks, in name order, go to the member
// with the highest rendezvous score (a hash of task and member) among those
// below their share, so a member's loss moves only its own tasks and a new
// member takes a fair share. Empty when there is no member.
func Plan(tasks, members []string, owners map[string]string) map[string]string {
	plan := make(map[string]string, len(tasks))
	if len(members) == 0 {
		return plan
	}
	base := len(tasks) / len(members)
	extra := len(tasks) % len(members) // members that may hold base+1
	load := make(map[string]int, len(members))
	// fits says whether m may take one more task, and takes it.
	fits := func(m string) bool {
		switch {
		case load[m] < base:
		case load[m] == base && extra > 0:
			extra--
		default:
			return false
		}
		load[m]++
		return true
	}
	sorted := slices.Sorted(slices.Values(tasks))
	var rest, over []string
	// Owners keep up to their base share first, then the extra places go
	// to owners in task name order, so that who keeps base+1 is decided
	// the same way on every node.
	for _, t := range sorted {
		if o := owners[t]; slices.Contains(members, o) && load[o] < base {
			plan[t] = o
			load[o]++
		} else {
			over = append(over, t)
		}
	}
	for _, t := range over {
		if o := owners[t]; slices.Contains(members, o) && fits(o) {
			plan[t] = o
			continue
		}
		rest = append(rest, t)
	}
	for _, t := range rest {
		best, bestScore := "", uint64(0)
		for _, m := range members {
			if load[m] > base || (load[m] == base && extra == 0) {
				continue
			}
			if s := score(t, m); best == "" || s > bestScore || (s == bestScore && m < best) {
				best, bestScore = m, s
			}
		}
		fits(best)
		plan[t] = best
	}
	return plan
}

// score is the rendezvous score of task on member.
func score(task, member string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(task))
	h.Write([]byte{0})
	h.Write([]byte(member))
	x := h.Sum64()
	// FNV's bits vary little for short inputs: mix them.
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
