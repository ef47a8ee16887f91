package precheck

import (
	"testing"

	"github.com/sluicecdc/sluice/topology"
)

// goodVars are the test bed's settings.
func goodVars() map[string]string {
	return map[string]string{
		"log_bin": "ON", "binlog_format": "ROW", "binlog_row_image": "FULL",
		"binlog_row_metadata": "FULL", "server_id": "1",
		"expire_logs_days": "2.000000", "binlog_expire_logs_seconds": "172800",
	}
}

func TestCheckVariables_AllGood(t *testing.T) {
	for _, flavor := range []topology.Flavor{topology.FlavorMariaDB, topology.FlavorMySQL} {
		vars := goodVars()
		if flavor == topology.FlavorMySQL {
			vars["binlog_row_value_options"] = ""
		}
		items := checkVariables(testSource(), flavor, vars)
		for _, it := range items {
			if it.Status != Pass {
				t.Errorf("%s: %s: %s %s", flavor, it.Name, it.Status, it.Detail)
			}
		}
		_, hasOpts := vars["binlog_row_value_options"]
		for _, it := range items {
			if it.Name == "source.shop-db.binlog_row_value_options" && !hasOpts {
				t.Errorf("%s: binlog_row_value_options checked on a server without it", flavor)
			}
		}
		if want := 5; flavor == topology.FlavorMySQL && len(items) != want+1 || flavor == topology.FlavorMariaDB && len(items) != want {
			t.Errorf("%s: %d items: %v", flavor, len(items), items)
		}
	}
}

func TestCheckVariables_BadValues(t *testing.T) {
	for _, tc := range []struct {
		name     string
		flavor   topology.Flavor
		set      map[string]string
		unset    []string
		item     string
		status   Status
		detail   string
		fix      string
		serverID uint32
	}{
		{name: "log_bin off", set: map[string]string{"log_bin": "OFF"},
			item: "log_bin", status: Fail, detail: "binary logging is off (log_bin=OFF)", fix: "restart the server"},
		{name: "log_bin missing", unset: []string{"log_bin"},
			item: "log_bin", status: Fail, detail: "log_bin=not set", fix: "log_bin=mysql-bin"},
		{name: "statement", set: map[string]string{"binlog_format": "STATEMENT"},
			item: "binlog_format", status: Fail, detail: "binlog_format is STATEMENT; Sluice needs ROW", fix: "SET GLOBAL binlog_format=ROW"},
		{name: "mixed", set: map[string]string{"binlog_format": "MIXED"},
			item: "binlog_format", status: Fail, detail: "binlog_format is MIXED", fix: "my.cnf"},
		{name: "minimal image", set: map[string]string{"binlog_row_image": "MINIMAL"},
			item: "binlog_row_image", status: Fail, detail: "binlog_row_image is MINIMAL; Sluice needs FULL", fix: "SET GLOBAL binlog_row_image=FULL"},
		{name: "noblob image", set: map[string]string{"binlog_row_image": "NOBLOB"},
			item: "binlog_row_image", status: Fail, detail: "NOBLOB", fix: "binlog_row_image=FULL"},
		{name: "full_nodup image (MariaDB 11)", set: map[string]string{"binlog_row_image": "FULL_NODUP"},
			item: "binlog_row_image", status: Fail, detail: "FULL_NODUP", fix: "binlog_row_image=FULL"},
		{name: "minimal metadata", set: map[string]string{"binlog_row_metadata": "MINIMAL"},
			item: "binlog_row_metadata", status: Warn, detail: "from its schema history", fix: "SET GLOBAL binlog_row_metadata=FULL"},
		{name: "no_log metadata", set: map[string]string{"binlog_row_metadata": "NO_LOG"},
			item: "binlog_row_metadata", status: Warn, detail: "binlog_row_metadata is NO_LOG", fix: "binlog_row_metadata=FULL"},
		{name: "metadata unknown to the server", unset: []string{"binlog_row_metadata"},
			item: "binlog_row_metadata", status: Warn, detail: "has no binlog_row_metadata", fix: "upgrade"},
		{name: "partial json", flavor: topology.FlavorMySQL, set: map[string]string{"binlog_row_value_options": "PARTIAL_JSON"},
			item: "binlog_row_value_options", status: Fail, detail: "PARTIAL_JSON", fix: "SET GLOBAL binlog_row_value_options=''"},
		{name: "server_id 0", set: map[string]string{"server_id": "0"},
			item: "server_id", status: Fail, detail: "server_id is 0", fix: "server_id=1"},
		{name: "server_id clash", set: map[string]string{"server_id": "4242"},
			item: "server_id", status: Fail, detail: "same as the server's own", fix: "e.g. 4243"},
		{name: "server_id clash other", set: map[string]string{"server_id": "7"}, serverID: 7,
			item: "server_id", status: Fail, detail: "is 7, the same", fix: "e.g. 4242"},
		{name: "server_id unreadable", unset: []string{"server_id"},
			item: "server_id", status: Warn, detail: "could not read", fix: "SHOW GLOBAL VARIABLES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars := goodVars()
			for k, v := range tc.set {
				vars[k] = v
			}
			for _, k := range tc.unset {
				delete(vars, k)
			}
			flavor := tc.flavor
			if flavor == "" {
				flavor = topology.FlavorMariaDB
			}
			src := testSource()
			if tc.serverID != 0 {
				src.ServerID = tc.serverID
			}
			items := checkVariables(src, flavor, vars)
			wantItem(t, find(t, items, "source.shop-db."+tc.item), tc.status, tc.detail, tc.fix)
			for _, it := range items {
				if it.Name != "source.shop-db."+tc.item && it.Status != Pass {
					t.Errorf("unrelated item %s is %s: %s", it.Name, it.Status, it.Detail)
				}
			}
		})
	}
}
