package snapshot

import (
	"reflect"
	"runtime"
	"testing"
)

func TestSlab_Box_IsAnOrdinaryValue(t *testing.T) {
	var (
		ss slab[string]
		bs slab[[]byte]
		is slab[int64]
		fs slab[float64]
	)
	vals := []any{ss.box("héllo"), bs.box([]byte{0, 1, 2}), is.box(-1 << 40), fs.box(2.5), ss.box("")}
	want := []any{"héllo", []byte{0, 1, 2}, int64(-1 << 40), 2.5, ""}
	runtime.GC() // the slots must survive a collection through the interfaces alone
	for i := range vals {
		if reflect.TypeOf(vals[i]) != reflect.TypeOf(want[i]) || !reflect.DeepEqual(vals[i], want[i]) {
			t.Errorf("box %d = %#v, want %#v", i, vals[i], want[i])
		}
	}
	if s, ok := vals[0].(string); !ok || s != "héllo" || vals[0] != any("héllo") {
		t.Errorf("boxed string does not compare as a string: %#v", vals[0])
	}
	if vals[2] != any(int64(-1<<40)) {
		t.Error("boxed int64 does not compare equal")
	}
	m := map[any]int{vals[0]: 1}
	if m["héllo"] != 1 {
		t.Error("boxed string does not hash as a string")
	}
}

func TestSlab_Box_NoAllocationPerValue(t *testing.T) {
	var ss slab[string]
	ss.box("warm")
	allocs := testing.AllocsPerRun(1000, func() { _ = ss.box("x") })
	if allocs > 0.01 {
		t.Errorf("%.3f allocations per boxed value, want about 1/%d", allocs, slabSize)
	}
}
