package faults

import (
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Two testbed/up.sh at once on one bed directory (two `make testbed-up`):
// without a lock both found the bed down and both failed, racing on its
// TLS certificates and data directory (issue 17, defect 11). With the
// lock the second waits for the first, then finds the bed up.
func TestTestbedUp_TwoAtOnceBothSucceed(t *testing.T) {
	needBed(t)
	b := newPrivate(t, "mariadb")
	t.Cleanup(func() { b.script(t, "down.sh") })
	outs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			cmd := exec.Command("bash", filepath.Join(repoRoot(t), "testbed", "up.sh"))
			cmd.Env = b.env
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		})
	}
	wg.Wait()
	waited := 0
	for i := range 2 {
		if errs[i] != nil {
			t.Errorf("up.sh %d: %v\n%s", i, errs[i], outs[i])
		}
		if strings.Contains(outs[i], "waiting for it") {
			waited++
			if !strings.Contains(outs[i], "already up (mariadb "+b.addr+")") {
				t.Errorf("the waiting up.sh did not find the bed up:\n%s", outs[i])
			}
		}
	}
	if waited != 1 {
		t.Errorf("%d of the 2 runs waited for the other, want 1:\n%s\n---\n%s", waited, outs[0], outs[1])
	}
	if _, err := b.admin(t).Execute("SELECT 1"); err != nil {
		t.Errorf("the private MariaDB does not answer: %v", err)
	}
}
