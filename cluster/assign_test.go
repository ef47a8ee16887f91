package cluster

import (
	"fmt"
	"maps"
	"testing"
)

func tasksN(n int) []string {
	var ts []string
	for i := 0; i < n; i++ {
		ts = append(ts, fmt.Sprintf("task-%d", i))
	}
	return ts
}

func loads(plan map[string]string) map[string]int {
	l := map[string]int{}
	for _, n := range plan {
		l[n]++
	}
	return l
}

// movedBetween counts the tasks whose node differs from one plan to the next.
func movedBetween(before, after map[string]string) int {
	moved := 0
	for task, n := range before {
		if after[task] != n {
			moved++
		}
	}
	return moved
}

func TestPlan_SpreadsEvenly(t *testing.T) {
	plan := Plan(tasksN(6), []string{"a", "b", "c"}, nil)
	if l := loads(plan); l["a"] != 2 || l["b"] != 2 || l["c"] != 2 {
		t.Fatalf("6 tasks on 3 nodes: %v, want 2/2/2", l)
	}
	if !maps.Equal(plan, Plan(tasksN(6), []string{"c", "a", "b"}, nil)) {
		t.Fatal("the plan depends on member order")
	}
}

func TestPlan_StickyAndALostNodeMovesOnlyItsTasks(t *testing.T) {
	tasks := tasksN(6)
	owners := Plan(tasks, []string{"a", "b", "c"}, nil)
	if !maps.Equal(Plan(tasks, []string{"a", "b", "c"}, owners), owners) {
		t.Fatal("a plan with every owner alive moved a task")
	}
	after := Plan(tasks, []string{"a", "b"}, owners)
	for task, n := range owners {
		if n != "c" && after[task] != n {
			t.Fatalf("%s moved from %s to %s although %s is alive", task, n, after[task], n)
		}
	}
	if l := loads(after); l["a"] != 3 || l["b"] != 3 {
		t.Fatalf("after c left: %v, want 3/3", l)
	}
}

func TestPlan_ANewNodeTakesAFairShare(t *testing.T) {
	tasks := tasksN(6)
	owners := Plan(tasks, []string{"a", "b"}, nil)
	after := Plan(tasks, []string{"a", "b", "c"}, owners)
	if l := loads(after); l["a"] != 2 || l["b"] != 2 || l["c"] != 2 {
		t.Fatalf("after c joined: %v, want 2/2/2", l)
	}
	moved := movedBetween(owners, after)
	if moved != 2 {
		t.Fatalf("%d tasks moved when c joined, want 2", moved)
	}
}

func TestPlan_NoMember(t *testing.T) {
	if len(Plan(tasksN(3), nil, nil)) != 0 {
		t.Fatal("tasks planned with no member")
	}
}

// 4 tasks on 2 nodes are 2/2; a third node must get one of them although
// 2 is within ceil(4/3): a fair share is 2/1/1, with one task moved.
func TestPlan_ANewNodeTakesAShareOfAnUnevenSplit(t *testing.T) {
	tasks := tasksN(4)
	owners := Plan(tasks, []string{"a", "b"}, nil)
	after := Plan(tasks, []string{"a", "b", "c"}, owners)
	if l := loads(after); l["c"] != 1 || l["a"]+l["b"] != 3 || l["a"] == 0 || l["b"] == 0 {
		t.Fatalf("after c joined: %v, want c 1 and 2/1 on a and b", l)
	}
	moved := movedBetween(owners, after)
	if moved != 1 {
		t.Fatalf("%d tasks moved when c joined, want 1", moved)
	}
	// Once the moved task is unowned (drained, released), the plan stays.
	free := map[string]string{}
	for task, n := range owners {
		if after[task] == n {
			free[task] = n
		}
	}
	if !maps.Equal(Plan(tasks, []string{"a", "b", "c"}, free), after) {
		t.Fatalf("the plan changed while the moved task was unowned: %v, then %v", after, Plan(tasks, []string{"a", "b", "c"}, free))
	}
	if !maps.Equal(Plan(tasks, []string{"a", "b", "c"}, after), after) {
		t.Fatal("the plan moved a task once every owner was where it planned")
	}
}
