package precheck

import (
	"fmt"
	"strings"

	"github.com/sluicecdc/sluice/topology"
)

// checkXA warns about XA transactions prepared when a source starts afresh:
// the snapshot cannot see their changes and the binlog from the start point
// misses their XA PREPARE, so if one that changed a selected table commits
// the binlog reader stops (a rollback is harmless). A source resuming from a checkpoint read every
// XA PREPARE it may meet again, so the item is left out then.
func checkXA(src *topology.Source, prepared []string, recoverErr error) Item {
	name := "source." + src.Name + ".xa_prepared"
	switch {
	case recoverErr != nil:
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("XA RECOVER failed, prepared XA transactions not checked: %v", recoverErr),
			Fix:    "on MySQL 8 GRANT XA_RECOVER_ADMIN ON *.* to the account, or check by hand that XA RECOVER lists nothing when the task first starts"}
	case len(prepared) > 0:
		shown := prepared
		if len(shown) > 5 {
			shown = shown[:5]
		}
		return Item{Name: name, Status: Warn,
			Detail: fmt.Sprintf("%s prepared, not yet committed or rolled back (%s): their changes are in no snapshot taken now, and Sluice starting now does not read their XA PREPARE; if one that changed a selected table commits, the binlog reader stops with an error",
				plural(len(prepared), "XA transaction"), strings.Join(shown, " ")),
			Fix: "let the XA coordinator commit or roll them back (XA COMMIT / XA ROLLBACK xid) before the first start, until XA RECOVER lists none"}
	}
	return Item{Name: name, Status: Pass, Detail: "no XA transaction is prepared (XA RECOVER lists none)"}
}
