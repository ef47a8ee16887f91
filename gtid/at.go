package gtid

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// SameAt says whether at, the GTID position a MariaDB server's binlog has at
// a file and offset (BINLOG_GTID_POS), still is set, the GTID position a
// checkpoint recorded there: for each domain of set, the same originating
// server and sequence number. It is not when the binlog was reset (RESET
// MASTER) or the server restored from a backup since the checkpoint: the
// same file name and offset then hold other transactions.
func SameAt(at, set string) error {
	want, err := mysql.ParseMariadbGTIDSet(set)
	if err != nil {
		return fmt.Errorf("the checkpoint's GTID position %q does not parse as MariaDB's: %w", set, err)
	}
	got, err := mysql.ParseMariadbGTIDSet(at)
	if err != nil {
		return fmt.Errorf("the server's GTID position %q does not parse: %w", at, err)
	}
	gots := got.(*mysql.MariadbGTIDSet).Sets
	wants := want.(*mysql.MariadbGTIDSet).Sets
	for _, d := range sortedDomains(wants) {
		w, g := wants[d], gots[d]
		if g == nil || g.ServerID != w.ServerID || g.SequenceNumber != w.SequenceNumber {
			return fmt.Errorf("there it is now at %s, not at the checkpoint's %s", orNone(at), w)
		}
	}
	return nil
}
