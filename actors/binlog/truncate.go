package binlog

import "time"

// truncateWarnEvery rate-limits the warning about dropped TRUNCATE TABLE
// statements.
const truncateWarnEvery = time.Minute

// truncates follows the TRUNCATE TABLE (and TRUNCATE or DROP PARTITION)
// statements of selected tables a source drops (ignore_ddl): each one
// leaves the topic with rows the table no longer has, so they are counted
// and warned about, at most once per truncateWarnEvery.
type truncates struct {
	seen     uint64 // the stream's count already handled
	unwarned uint64 // dropped since the last warning
	warned   time.Time
}

// note takes the stream's count at now: how many more were dropped, and
// whether to warn now, about how many.
func (t *truncates) note(total uint64, now time.Time) (dropped uint64, warn bool, count uint64) {
	dropped = total - t.seen
	t.seen = total
	t.unwarned += dropped
	if t.unwarned == 0 || now.Sub(t.warned) < truncateWarnEvery {
		return dropped, false, 0
	}
	count, t.unwarned, t.warned = t.unwarned, 0, now
	return dropped, true, count
}
