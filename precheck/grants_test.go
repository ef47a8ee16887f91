package precheck

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestParseGrant_Forms(t *testing.T) {
	for _, tc := range []struct {
		line      string
		ok        bool
		privs     []string
		db, table string
		roles     []string
	}{
		{line: "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR, SHOW VIEW ON *.* TO `sluice`@`127.0.0.1` IDENTIFIED BY PASSWORD '*E1A533DFBBC741EF7FDFD2867424D21725604A91'",
			ok: true, privs: []string{"REPLICATION CLIENT", "REPLICATION SLAVE", "SELECT", "SHOW VIEW"}, db: "*", table: "*"},
		{line: "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`", ok: true, privs: []string{"ALL"}, db: "shop", table: "*"},
		{line: "GRANT SELECT ON `shop`.`orders` TO 'u'@'%'", ok: true, privs: []string{"SELECT"}, db: "shop", table: "orders"},
		{line: "GRANT SELECT ON TABLE `shop`.`orders` TO 'u'@'%'", ok: true, privs: []string{"SELECT"}, db: "shop", table: "orders"},
		{line: "GRANT SELECT (`id`, `name`), INSERT ON `shop`.`users` TO 'u'@'%'", ok: true, privs: []string{"INSERT"}, db: "shop", table: "users"},
		{line: "GRANT USAGE ON *.* TO `u`@`%`", ok: true, privs: []string{"USAGE"}, db: "*", table: "*"},
		{line: "GRANT SELECT,RELOAD,REPLICATION SLAVE,REPLICATION CLIENT ON *.* TO `u`@`%`", ok: true,
			privs: []string{"RELOAD", "REPLICATION CLIENT", "REPLICATION SLAVE", "SELECT"}, db: "*", table: "*"},
		{line: "GRANT REPLICATION REPLICA ON *.* TO u@h", ok: true, privs: []string{"REPLICATION SLAVE"}, db: "*", table: "*"},
		{line: "GRANT SELECT ON `we``ird`.`t on x` TO u@h", ok: true, privs: []string{"SELECT"}, db: "we`ird", table: "t on x"},
		{line: "GRANT SELECT ON shop.* TO u@h", ok: true, privs: []string{"SELECT"}, db: "shop", table: "*"},
		{line: "GRANT `reader`@`%`,`ops` TO `u`@`%`", ok: true, roles: []string{"`reader`@`%`", "`ops`"}},
		{line: "GRANT EXECUTE ON PROCEDURE `shop`.`p` TO u@h", ok: false},
		{line: "REVOKE SELECT ON *.* FROM u", ok: false},
		{line: "GRANT PROXY ON ''@'%' TO 'u'@'%' WITH GRANT OPTION", ok: false},
	} {
		t.Run(tc.line, func(t *testing.T) {
			g, ok := parseGrant(tc.line)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, g)
			}
			if !ok {
				return
			}
			if tc.roles != nil {
				if !g.role || !reflect.DeepEqual(g.roles, tc.roles) {
					t.Fatalf("roles %v (role %v), want %v", g.roles, g.role, tc.roles)
				}
				return
			}
			var privs []string
			for p := range g.privs {
				privs = append(privs, p)
			}
			sort.Strings(privs)
			if !reflect.DeepEqual(privs, tc.privs) || g.db != tc.db || g.table != tc.table {
				t.Fatalf("got %v on %q.%q, want %v on %q.%q", privs, g.db, g.table, tc.privs, tc.db, tc.table)
			}
		})
	}
}

func TestLikeMatch_GrantDatabasePatterns(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"shop", "shop", true},
		{"shop", "shops", false},
		{`shop\_db`, "shop_db", true},
		{`shop\_db`, "shopXdb", false},
		{"shop_db", "shopXdb", true},
		{"shop%", "shop_eu", true},
		{"%", "", true},
		{"s%p", "shop", true},
		{"s%x", "shop", false},
	} {
		if got := likeMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
}

func TestCheckPrivileges_Cases(t *testing.T) {
	orders := tableFact{Schema: "shop", Name: "orders"}
	users := tableFact{Schema: "crm", Name: "users"}
	for _, tc := range []struct {
		name     string
		grants   []string
		selected []tableFact
		want     map[string]Status
		detail   map[string]string
		fix      map[string]string
	}{
		{name: "test bed account",
			grants:   []string{"GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR, SHOW VIEW ON *.* TO `sluice`@`127.0.0.1` IDENTIFIED BY PASSWORD '*E1A5'"},
			selected: []tableFact{orders},
			want:     map[string]Status{"select": Pass, "replication_client": Pass, "replication_slave": Pass, "show_view": Pass}},
		{name: "all privileges",
			grants: []string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"},
			want:   map[string]Status{"select": Pass, "replication_client": Pass, "replication_slave": Pass, "show_view": Pass}},
		{name: "select only",
			grants:   []string{"GRANT SELECT ON *.* TO `ro`@`%`"},
			selected: []tableFact{orders},
			want:     map[string]Status{"select": Pass, "replication_client": Fail, "replication_slave": Fail, "show_view": Warn},
			detail:   map[string]string{"replication_client": "lacks REPLICATION CLIENT", "replication_slave": "lacks REPLICATION SLAVE"},
			fix: map[string]string{"replication_client": "GRANT REPLICATION CLIENT ON *.* TO 'ro'@'%'",
				"replication_slave": "GRANT REPLICATION SLAVE ON *.* TO 'ro'@'%'", "show_view": "GRANT SHOW VIEW ON *.* TO 'ro'@'%'"}},
		{name: "select per database covers its tables only",
			grants: []string{"GRANT USAGE ON *.* TO `ro`@`%`", "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `ro`@`%`",
				"GRANT SELECT, SHOW VIEW ON `shop`.* TO `ro`@`%`"},
			selected: []tableFact{orders, users},
			want:     map[string]Status{"select": Fail, "replication_client": Pass, "replication_slave": Pass, "show_view": Warn},
			detail:   map[string]string{"select": "lacks SELECT on crm.users"},
			fix:      map[string]string{"select": "GRANT SELECT ON `crm`.* TO 'ro'@'%'"}},
		{name: "select per table and per database pattern",
			grants: []string{"GRANT REPLICATION SLAVE, REPLICATION CLIENT, SHOW VIEW ON *.* TO `ro`@`%`",
				"GRANT SELECT ON `sho\\_%`.* TO `ro`@`%`", "GRANT SELECT ON `crm`.`users` TO `ro`@`%`"},
			selected: []tableFact{{Schema: "sho_p", Name: "x"}, users},
			want:     map[string]Status{"select": Pass, "replication_client": Pass, "replication_slave": Pass, "show_view": Pass}},
		{name: "column privileges do not cover a table",
			grants:   []string{"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `ro`@`%`", "GRANT SELECT (`id`) ON `shop`.`orders` TO `ro`@`%`"},
			selected: []tableFact{orders},
			want:     map[string]Status{"select": Fail},
			detail:   map[string]string{"select": "lacks SELECT on shop.orders"}},
		{name: "all on a database is not global",
			grants:   []string{"GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`"},
			selected: []tableFact{orders},
			want:     map[string]Status{"select": Pass, "replication_client": Fail, "replication_slave": Fail, "show_view": Pass}},
		{name: "roles soften failures",
			grants:   []string{"GRANT USAGE ON *.* TO `u`@`%`", "GRANT `cdc` TO `u`@`%`"},
			selected: []tableFact{orders},
			want:     map[string]Status{"select": Warn, "replication_client": Warn, "replication_slave": Warn},
			detail:   map[string]string{"replication_slave": "role(s) `cdc`"}},
		{name: "nothing visible",
			grants: []string{"GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO `u`@`%`"},
			want:   map[string]Status{"select": Warn},
			detail: map[string]string{"select": "cannot tell"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			account := "sluice@127.0.0.1"
			if len(tc.grants) > 0 {
				account = "ro@%"
			}
			items := checkPrivileges(testSource(), account, tc.grants, tc.selected)
			for check, st := range tc.want {
				it := find(t, items, "source.shop-db.privilege."+check)
				wantItem(t, it, st, tc.detail[check], tc.fix[check])
			}
			for _, it := range items {
				if strings.Contains(it.Detail+it.Fix, "*E1A5") || strings.Contains(it.Detail+it.Fix, "IDENTIFIED") {
					t.Errorf("%s leaks the grant's password hash: %s", it.Name, it.Detail)
				}
			}
		})
	}
}
