package binlogreader

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

func TestSetNames_Masks(t *testing.T) {
	elems := []string{"a", "b", "c"}
	for _, tc := range []struct {
		mask uint64
		want string
	}{{0, ""}, {1, "a"}, {4, "c"}, {5, "a,c"}, {7, "a,b,c"}, {8, ""}, {9, "a"}} {
		if got := setNames(tc.mask, elems); got != tc.want {
			t.Errorf("setNames(%b) = %q, want %q", tc.mask, got, tc.want)
		}
	}
}

func TestCharsetOf_Collations(t *testing.T) {
	for id, want := range map[uint64]string{
		45: "utf8mb4", 46: "utf8mb4", 224: "utf8mb4", 255: "utf8mb4", 33: "utf8mb3", 192: "utf8mb3",
		8: "latin1", 47: "latin1", 63: "binary", 11: "ascii", 65: "ascii",
		1069: "utf8mb4", 2304: "utf8mb4", 9999: "unknown-9999",
	} {
		if got := charsetOf(id); got != want {
			t.Errorf("charsetOf(%d) = %q, want %q", id, got, want)
		}
	}
}

func TestClassifyServerError_TerminalCases(t *testing.T) {
	wrap := func(code uint16, msg string) error {
		return fmt.Errorf("dump: %w", &mysql.MyError{Code: code, Message: msg})
	}
	for _, tc := range []struct {
		name     string
		err      error
		terminal bool
		mentions []string
	}{
		{"purged file", wrap(1236, "Could not find first log file name in binary log index file"), true,
			[]string{"bin.000003:4", "snapshot", "checkpoint"}},
		{"purged gtid", wrap(1236, "Could not find GTID state requested by slave in any binlog files. Probably the slave state is too old and required binlog files have been purged."), true,
			[]string{"snapshot"}},
		{"mysql gtid purged", wrap(1236, "Cannot replicate because the source purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new replica from backup. Consider increasing the source's binary log expiration period. The GTID set sent by the replica is '', and the missing transactions are 'x'. The master has purged binary logs containing GTIDs that the slave requires."), true,
			[]string{"snapshot"}},
		{"replication privilege", wrap(1227, "Access denied; you need (at least one of) the REPLICATION SLAVE privilege(s) for this operation"), true,
			[]string{"REPLICATION SLAVE", "GRANT"}},
		{"password", wrap(1045, "Access denied for user 'sluice'@'localhost' (using password: YES)"), true,
			[]string{"password"}},
		{"connection lost", errors.New("io.ReadFull(header) failed: connection reset"), false, nil},
		{"other server error", wrap(1205, "Lock wait timeout exceeded"), false, nil},
	} {
		err := classifyServerError(tc.err, &topology.Source{Name: "src"}, "bin.000003:4")
		if errkind.IsTerminal(err) != tc.terminal {
			t.Errorf("%s: terminal = %v, want %v (%v)", tc.name, errkind.IsTerminal(err), tc.terminal, err)
		}
		for _, m := range tc.mentions {
			if !strings.Contains(err.Error(), m) {
				t.Errorf("%s: %q does not mention %q", tc.name, err, m)
			}
		}
		if !errors.Is(err, tc.err) && !strings.Contains(err.Error(), tc.err.Error()) {
			t.Errorf("%s: original error lost: %v", tc.name, err)
		}
	}
}
