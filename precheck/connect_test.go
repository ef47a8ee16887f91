package precheck

import (
	"errors"
	"testing"

	"github.com/sluicecdc/sluice/sourcedb"
)

func TestSourceConnectItem_FromSourceError(t *testing.T) {
	err := &sourcedb.Error{Problem: "access denied for user sluice at 127.0.0.1:33306", Fix: "correct user and password of source shop-db", Err: errors.New("1045")}
	wantItem(t, sourceConnectItem(testSource(), err), Fail, "access denied for user sluice", "correct user and password")
}
