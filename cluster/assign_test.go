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
	moved := 0
	for task, n := range owners {
		if after[task] != n {
			moved++
		}
	}
	if moved != 2 {
		t.Fatalf("%d tasks moved when c joined, want 2", moved)
	}
}

func TestPlan_NoMember(t *testing.T) {
	if len(Plan(tasksN(3), nil, nil)) != 0 {
		t.Fatal("tasks planned with no member")
	}
}
