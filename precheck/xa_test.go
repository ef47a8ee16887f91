package precheck

import (
	"errors"
	"testing"
)

func TestCheckXA(t *testing.T) {
	src := testSource()
	wantItem(t, checkXA(src, nil, nil), Pass, "no XA transaction", "")
	wantItem(t, checkXA(src, []string{"X'61',X'',1"}, nil), Warn, "1 XA transaction prepared, not yet committed or rolled back (X'61',X'',1)", "XA RECOVER lists none")
	wantItem(t, checkXA(src, nil, errors.New("denied")), Warn, "XA RECOVER failed", "XA_RECOVER_ADMIN")
}
