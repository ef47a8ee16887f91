package precheck

import (
	"errors"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

func TestCheckTables_PatternsKeysEngines(t *testing.T) {
	all := []tableFact{
		{Schema: "shop", Name: "orders", Engine: "InnoDB", Key: keyPrimary, KeyName: "PRIMARY"},
		{Schema: "shop", Name: "codes", Engine: "InnoDB", Key: keyUnique, KeyName: "uk_code"},
		{Schema: "shop", Name: "log", Engine: "InnoDB"},
		{Schema: "shop", Name: "emails", Engine: "InnoDB", Key: keyUniqueNullable, KeyName: "uk_email"},
		{Schema: "shop", Name: "legacy", Engine: "MyISAM", Key: keyPrimary},
		{Schema: "shop", Name: "cache", Engine: "MEMORY", Key: keyPrimary},
		{Schema: "crm", Name: "users", Engine: "InnoDB", Key: keyPrimary},
	}
	src := testSource()
	src.Objects.Tables = []*topology.TableRule{{Pattern: "shop.*"}, {Pattern: "shop.orders"}, {Pattern: "nosuch.*"}}
	items := checkTables(src, all)
	wantItem(t, find(t, items, "source.shop-db.tables"), Pass, "6 tables selected", "")
	wantItem(t, find(t, items, "source.shop-db.pattern.shop.orders"), Warn, "taken by an earlier pattern", "objects.tables")
	wantItem(t, find(t, items, "source.shop-db.pattern.nosuch.*"), Warn, `"nosuch.*" selects no table`, "remove the pattern")
	wantItem(t, find(t, items, "source.shop-db.key.shop.log"), Warn, "no primary or unique key", "ALTER TABLE `shop`.`log` ADD PRIMARY KEY")
	wantItem(t, find(t, items, "source.shop-db.key.shop.emails"), Warn, "uk_email allows NULL", "NOT NULL")
	wantItem(t, find(t, items, "source.shop-db.engine.shop.legacy"), Warn, "MyISAM, which is not transactional", "ENGINE=InnoDB")
	wantItem(t, find(t, items, "source.shop-db.engine.shop.cache"), Warn, "MEMORY storage engine", "ENGINE=InnoDB")
	for _, it := range items {
		switch it.Name {
		case "source.shop-db.key.shop.orders", "source.shop-db.key.shop.codes", "source.shop-db.keys", "source.shop-db.engines":
			t.Errorf("unexpected item %s: %s", it.Name, it.Detail)
		}
	}

	// Excludes win; a source selecting nothing fails.
	src.Objects.Tables = []*topology.TableRule{{Pattern: "crm.*"}}
	src.Objects.Exclude = []string{"crm.users"}
	items = checkTables(src, all)
	wantItem(t, find(t, items, "source.shop-db.tables"), Fail, `no table matches the source's patterns ("crm.*" minus crm.users) among the 7 tables`, "case-sensitive")
	if len(items) != 1 {
		t.Errorf("a source selecting nothing should give one item, got %v", items)
	}

	// All good: one pass item each for keys and engines.
	src.Objects.Exclude = nil
	items = checkTables(src, all)
	wantItem(t, find(t, items, "source.shop-db.keys"), Pass, "every selected table has a primary key", "")
	wantItem(t, find(t, items, "source.shop-db.engines"), Pass, "InnoDB", "")
}

func TestCheckRetention_Cases(t *testing.T) {
	big := []tableFact{{Schema: "shop", Name: "orders", Rows: 360_000_000}} // 1 h at 100k rows/s
	small := []tableFact{{Schema: "shop", Name: "orders", Rows: 1_000}}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		tables   []tableFact
		rate     int
		capRate  int
		snapshot bool
		window   time.Duration
		status   Status
		detail   string
		fix      string
	}{
		{name: "two days, small", vars: map[string]string{"binlog_expire_logs_seconds": "172800"}, tables: small, snapshot: true,
			status: Pass, detail: "kept 2 days"},
		{name: "mariadb days only", vars: map[string]string{"expire_logs_days": "3.000000"}, tables: small, snapshot: true,
			status: Pass, detail: "kept 3 days"},
		{name: "never purged", vars: map[string]string{"expire_logs_days": "0.000000", "binlog_expire_logs_seconds": "0"}, tables: big, snapshot: true,
			status: Pass, detail: "never purged"},
		{name: "mysql auto purge off", vars: map[string]string{"binlog_expire_logs_seconds": "3600", "binlog_expire_logs_auto_purge": "OFF"}, tables: big, snapshot: true,
			status: Pass, detail: "never purged"},
		{name: "one hour vs one hour snapshot", vars: map[string]string{"binlog_expire_logs_seconds": "3600"}, tables: big, snapshot: true,
			status: Warn, detail: "kept 60 minutes but the snapshot of about 360000000 rows should take about 60 minutes", fix: "SET GLOBAL binlog_expire_logs_seconds=7200"},
		{name: "two hours is enough", vars: map[string]string{"binlog_expire_logs_seconds": "7200"}, tables: big, snapshot: true,
			status: Pass, detail: "kept 2 hours"},
		{name: "rate cap slows the snapshot", vars: map[string]string{"binlog_expire_logs_seconds": "7200"}, tables: big, capRate: 10_000, snapshot: true,
			status: Warn, detail: "at 10000 rows/s", fix: "SET GLOBAL binlog_expire_logs_seconds=72000"},
		{name: "no snapshot", vars: map[string]string{"binlog_expire_logs_seconds": "60"}, tables: big,
			status: Pass, detail: "no snapshot is configured"},
		{name: "shorter than the retry window", vars: map[string]string{"binlog_expire_logs_seconds": "840"}, tables: small, snapshot: true, window: 12 * time.Hour,
			status: Warn, detail: "kept 14 minutes, less than the source's retry window (12 hours)", fix: "SET GLOBAL binlog_expire_logs_seconds=43200"},
		{name: "longer than the retry window", vars: map[string]string{"binlog_expire_logs_seconds": "86400"}, tables: small, snapshot: true, window: 12 * time.Hour,
			status: Pass, detail: "should take a second or less"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testSource()
			src.Phases.Snapshot = tc.snapshot
			src.Phases.MaxRowsPerSecond = tc.capRate
			src.RetryWindow = tc.window
			wantItem(t, checkRetention(src, tc.vars, tc.tables, tc.rate), tc.status, tc.detail, tc.fix)
		})
	}
}

func TestRetention_Variables(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want time.Duration
	}{
		{map[string]string{}, 0},
		{map[string]string{"expire_logs_days": "0.500000"}, 12 * time.Hour},
		{map[string]string{"expire_logs_days": "7", "binlog_expire_logs_seconds": "86400"}, 24 * time.Hour},
		{map[string]string{"expire_logs_days": "7", "binlog_expire_logs_seconds": "0"}, 7 * 24 * time.Hour},
	} {
		if got := retention(tc.vars); got != tc.want {
			t.Errorf("retention(%v) = %s, want %s", tc.vars, got, tc.want)
		}
	}
}

func TestCheckBinlogFile_Cases(t *testing.T) {
	src := testSource()
	logs := []string{"mariadb-bin.000004", "mariadb-bin.000005"}
	wantItem(t, checkBinlogFile(src, "sluice@127.0.0.1", "mariadb-bin.000005", "checkpointed", logs, nil), Pass, "still on the server", "")
	wantItem(t, checkBinlogFile(src, "sluice@127.0.0.1", "mariadb-bin.000002", "checkpointed", logs, nil), Fail,
		"checkpointed binlog file mariadb-bin.000002 is no longer on the server (oldest kept: mariadb-bin.000004)", "new snapshot")
	wantItem(t, checkBinlogFile(src, "sluice@127.0.0.1", "mariadb-bin.000002", "checkpointed", nil, errors.New("Access denied; you need (at least one of) the BINLOG MONITOR privilege(s)")), Warn,
		"SHOW BINARY LOGS failed", "GRANT REPLICATION CLIENT ON *.* TO 'sluice'@'127.0.0.1'")
}

func TestCheckVersion_Flavors(t *testing.T) {
	for _, tc := range []struct {
		flavor  topology.Flavor
		version string
		item    string
		status  Status
		detail  string
		fix     string
	}{
		{topology.FlavorMariaDB, "10.11.19-MariaDB-0+deb12u1-log", "flavor", Pass, "matches", ""},
		{topology.FlavorMariaDB, "10.11.19-MariaDB-0+deb12u1-log", "version", Pass, "10.11.19-MariaDB", ""},
		{topology.FlavorMySQL, "10.11.19-MariaDB-0+deb12u1-log", "flavor", Fail, "topology says flavor mysql but the server is mariadb", "set flavor: mariadb under source shop-db"},
		{topology.FlavorMariaDB, "8.0.36", "flavor", Fail, "server is mysql", "flavor: mysql"},
		{topology.FlavorMySQL, "8.4.0", "version", Pass, "8.4.0 (mysql)", ""},
		{topology.FlavorMySQL, "5.6.51-log", "version", Warn, "older than MySQL 5.7", "upgrade"},
		{topology.FlavorMariaDB, "10.1.48-MariaDB", "version", Warn, "older than MariaDB 10.3", "upgrade"},
		{topology.FlavorMariaDB, "11.4-MariaDB", "version", Pass, "11.4", ""},
	} {
		t.Run(tc.version+"/"+string(tc.flavor)+"/"+tc.item, func(t *testing.T) {
			src := testSource()
			src.Flavor = tc.flavor
			wantItem(t, find(t, checkVersion(src, tc.version), "source.shop-db."+tc.item), tc.status, tc.detail, tc.fix)
		})
	}
}

func TestCheckTables_VersionedByTransaction(t *testing.T) {
	src := testSource()
	items := checkTables(src, []tableFact{
		{Schema: "shop", Name: "trx", Engine: "InnoDB", Key: keyPrimary, Versioning: &change.Versioning{RowEnd: "e", ByTransaction: true}},
		{Schema: "shop", Name: "ts", Engine: "InnoDB", Key: keyPrimary, Versioning: &change.Versioning{}},
	})
	wantItem(t, find(t, items, "source.shop-db.versioning.shop.trx"), Fail, "versioned by transaction id", "objects.exclude: [shop.trx]")
	for _, it := range items {
		if it.Name == "source.shop-db.versioning.shop.ts" {
			t.Errorf("timestamp versioning flagged: %+v", it)
		}
	}
}
