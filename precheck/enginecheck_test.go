package precheck

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCheckCheckpointDir_Writable(t *testing.T) {
	dir := t.TempDir()
	items := checkCheckpointDir(dir, 1)
	wantItem(t, find(t, items, "engine.checkpoint_dir"), Pass, dir+" is writable", "")
	wantItem(t, find(t, items, "engine.free_space"), Pass, "free at "+dir, "")
	left, err := os.ReadDir(dir)
	if err != nil || len(left) != 0 {
		t.Fatalf("the check left files behind: %v %v", left, err)
	}
}

func TestCheckCheckpointDir_CreatedLater(t *testing.T) {
	dir := t.TempDir()
	items := checkCheckpointDir(filepath.Join(dir, "a", "b"), 1)
	wantItem(t, find(t, items, "engine.checkpoint_dir"), Pass, "will be created in "+dir, "")
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Fatalf("the check created the directory: %v", err)
	}
}

func TestCheckCheckpointDir_NotWritable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	wantItem(t, find(t, checkCheckpointDir(filepath.Join(file, "cp"), 1), "engine.checkpoint_dir"), Fail, "is a file, not a directory", "engine.checkpoint_dir")

	// A directory the user may not write: mode 0500 for an ordinary user;
	// root ignores modes, so use /proc/self, which nobody can create files in.
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		ro = "/proc/self"
	}
	wantItem(t, find(t, checkCheckpointDir(ro, 1), "engine.checkpoint_dir"), Fail, "is not writable", "make "+ro+" writable")

	wantItem(t, find(t, checkCheckpointDir("", 1), "engine.checkpoint_dir"), Fail, "sets no checkpoint directory", "engine.checkpoint_dir")
}

func TestCheckCheckpointDir_LowSpace(t *testing.T) {
	items := checkCheckpointDir(t.TempDir(), 1<<62)
	wantItem(t, find(t, items, "engine.free_space"), Warn, "below 4.0 EiB", "free space")
}

func TestBytesText(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1 << 30: "1.0 GiB", 3 << 29: "1.5 GiB"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}
