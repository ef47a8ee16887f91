package precheck

import (
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

// testSource is a source selecting shop.* with server_id 4242.
func testSource() *topology.Source {
	return &topology.Source{
		Name: "shop-db", Flavor: topology.FlavorMariaDB, Host: "127.0.0.1", Port: 33306,
		User: "sluice", ServerID: 4242,
		Objects: topology.Objects{Tables: []*topology.TableRule{{Pattern: "shop.*"}}},
		Phases:  topology.Phases{Snapshot: true, Incremental: true},
	}
}

// find returns the item named name, failing the test when absent.
func find(t *testing.T, items []Item, name string) Item {
	t.Helper()
	for _, it := range items {
		if it.Name == name {
			return it
		}
	}
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	t.Fatalf("no item %s among %v", name, names)
	return Item{}
}

// wantItem checks an item's status and that its detail and fix contain the
// given fragments.
func wantItem(t *testing.T, it Item, status Status, detail, fix string) {
	t.Helper()
	if it.Status != status {
		t.Errorf("%s: status %s, want %s (detail: %s)", it.Name, it.Status, status, it.Detail)
	}
	if !strings.Contains(it.Detail, detail) {
		t.Errorf("%s: detail %q does not contain %q", it.Name, it.Detail, detail)
	}
	if !strings.Contains(it.Fix, fix) {
		t.Errorf("%s: fix %q does not contain %q", it.Name, it.Fix, fix)
	}
	if status != Pass && it.Fix == "" {
		t.Errorf("%s: %s without a fix", it.Name, status)
	}
}
