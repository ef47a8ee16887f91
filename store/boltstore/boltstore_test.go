package boltstore_test

import (
	"time"

	"testing"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/boltstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

func TestBoltstore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		dir := t.TempDir()
		return func(id store.Identity) (store.Store, error) {
			return boltstore.Open(dir, id, boltstore.Options{LockTimeout: 200 * time.Millisecond})
		}
	})
}
