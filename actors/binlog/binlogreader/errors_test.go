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

// Regression (issue 17, defect 11): MariaDB's 4052 was retried forever, so
// two tasks with one server_id kicked each other off every few seconds.
func TestClassifyServerError_ServerIDInUse_NamesTheConflict(t *testing.T) {
	src := &topology.Source{Name: "src", ServerID: 4242}
	for name, server := range map[string]*mysql.MyError{
		"mariadb": {Code: 4052, Message: "A slave with the same server_uuid/server_id is already connected; the first event '.' at 0, the last event read from 'mariadb-bin.000009' at 4155013"},
		"mysql":   {Code: 1236, Message: "A slave with the same server_uuid/server_id as this slave has connected to the master; the first event 'binlog.000002' at 157"},
	} {
		cause := fmt.Errorf("dump: %w", server)
		err := classifyServerError(cause, src, "bin.000009:4")
		if !errkind.IsTerminal(err) {
			t.Errorf("%s: not terminal: %v", name, err)
		}
		want := "another replica (perhaps another Sluice task) is connected with server_id 4242: " +
			"give each task its own server_id under the source in the topology"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q lacks %q", name, err, want)
		}
		if !errors.Is(err, cause) {
			t.Errorf("%s: the server's error is lost: %v", name, err)
		}
	}
}
