package memstore_test

import (
	"testing"

	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/store/memstore"
	"github.com/sluicecdc/sluice/store/storetest"
)

func TestMemstore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		d := memstore.NewDisk("mem:" + t.Name())
		return func(id store.Identity) (store.Store, error) {
			return memstore.Open(d, id, memstore.Options{})
		}
	})
}
