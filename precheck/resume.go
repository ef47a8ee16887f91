package precheck

import (
	"errors"
	"fmt"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// checkResume checks that the server can resume the source's checkpoint cp,
// as the engine will decide (store.CheckSwitch): on the server it was taken
// on, that its binlog file is still there; on another (a failover), that the
// server has its GTID set and the binlogs after it.
func checkResume(src *topology.Source, f *sourceFacts, cp store.Checkpoint) []Item {
	name := "source." + src.Name + ".checkpoint_server"
	if f.IdentityErr != nil {
		return []Item{{Name: name, Status: Warn,
			Detail: fmt.Sprintf("cannot tell which server this is, so whether it can resume the checkpoint: %v", f.IdentityErr)}}
	}
	if cp.TakenOn(f.Identity) {
		items := []Item{{Name: name, Status: Pass, Detail: "the checkpoint is this server's (" + f.Identity + ")"}}
		if cp.ServerUUID == "" {
			items[0].Detail = "the checkpoint records no server (an earlier Sluice wrote it): taken as this server's (" + f.Identity + ")"
		}
		if cp.Pos.File != "" {
			items = append(items, checkBinlogFile(src, f.Account, cp.Pos.File, "checkpointed", f.Logs, f.LogsErr))
		}
		return items
	}
	if cp.GTIDSet != "" && f.GTIDErr != nil {
		return []Item{{Name: name, Status: Warn,
			Detail: fmt.Sprintf("the checkpoint was taken on server %s and this is server %s; whether this one has its GTID set %s cannot be told: %v",
				cp.ServerUUID, f.Identity, cp.GTIDSet, f.GTIDErr),
			Fix: "GRANT REPLICATION CLIENT ON *.* TO " + quoteAccount(f.Account) + " (MariaDB 10.5+ also calls it BINLOG MONITOR)"}}
	}
	var lacking error
	if cp.GTIDSet != "" {
		lacking = f.GTID.Contains(cp.GTIDSet)
	}
	var se *store.SwitchError
	if err := store.CheckSwitch(src.Name, cp, f.Identity, lacking); errors.As(err, &se) {
		return []Item{{Name: name, Status: Fail, Detail: se.What(), Fix: se.Fix()}}
	}
	return []Item{{Name: name, Status: Pass,
		Detail: fmt.Sprintf("the checkpoint was taken on server %s; this server (%s) has its GTID set %s and the binlogs after it: the source resumes here by GTID",
			cp.ServerUUID, f.Identity, cp.GTIDSet)}}
}
