package precheck

import (
	"errors"
	"fmt"

	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// sourceConnectItem turns a failed connection to src into the
// source.NAME.connect item; sourcedb.Dial says what went wrong and how to
// fix it.
func sourceConnectItem(src *topology.Source, err error) Item {
	it := Item{Name: "source." + src.Name + ".connect", Status: Fail}
	var e *sourcedb.Error
	if errors.As(err, &e) {
		it.Detail, it.Fix = e.Problem, e.Fix
		return it
	}
	it.Detail = fmt.Sprintf("cannot connect to %s as %s (source %s): %v", src.Addr(), src.User, src.Name, err)
	return it
}
