package gtid

import (
	"fmt"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/topology"
)

// Ordinal numbers the transaction boundary at which set was executed: on
// MySQL the number of transactions in the set, on MariaDB the sum of the
// sequence numbers of its domains. Every transaction raises it, so it grows
// along a binlog, and it is the same on every server at the boundary after
// the same transactions, whatever their binlog files are called.
func Ordinal(flavor topology.Flavor, set string) (uint64, error) {
	g, err := mysql.ParseGTIDSet(string(flavor), set)
	if err != nil {
		return 0, fmt.Errorf("GTID set %q: %w", set, err)
	}
	var n uint64
	switch g := g.(type) {
	case *mysql.MysqlGTIDSet:
		for _, tags := range *g {
			for _, intervals := range tags {
				for _, in := range intervals {
					n += uint64(in.Stop - in.Start)
				}
			}
		}
	case *mysql.MariadbGTIDSet:
		for _, gtid := range g.Sets {
			n += gtid.SequenceNumber
		}
	}
	return n, nil
}
