package precheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// DefaultMinFreeBytes is the free space below which the checkpoint
// directory check warns.
const DefaultMinFreeBytes = 1 << 30

// checkCheckpointDir checks that the checkpoint directory (or, when it does
// not exist yet, its nearest existing parent, where Sluice will create it)
// takes a new file, and that its file system has room.
func checkCheckpointDir(dir string, minFree uint64) []Item {
	const dirItem, spaceItem = "engine.checkpoint_dir", "engine.free_space"
	if dir == "" {
		return []Item{{Name: dirItem, Status: Fail, Detail: "the topology sets no checkpoint directory",
			Fix: "set engine.checkpoint_dir in the topology"}}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	// The nearest existing ancestor is where a file (or the directory) is
	// created.
	at, created := abs, false
	for {
		fi, err := os.Stat(at)
		if err == nil {
			if !fi.IsDir() {
				return []Item{{Name: dirItem, Status: Fail,
					Detail: fmt.Sprintf("checkpoint directory %s cannot be created or used: %s is a file, not a directory", abs, at),
					Fix:    "set engine.checkpoint_dir to a directory path, or move the file away"}}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return []Item{{Name: dirItem, Status: Fail,
				Detail: fmt.Sprintf("checkpoint directory %s: %v", abs, err),
				Fix:    "set engine.checkpoint_dir to a directory Sluice's user may write"}}
		}
		parent := filepath.Dir(at)
		if parent == at {
			break
		}
		at, created = parent, true
	}
	f, err := os.CreateTemp(at, ".sluice-precheck-*")
	if err != nil {
		what := "checkpoint directory " + abs
		if created {
			what = fmt.Sprintf("checkpoint directory %s does not exist and its parent %s", abs, at)
		}
		fix := fmt.Sprintf("make %s writable by Sluice's user (chown/chmod), or set engine.checkpoint_dir to a writable directory", at)
		switch {
		case errors.Is(err, syscall.EROFS):
			fix = fmt.Sprintf("the file system of %s is read-only: remount it read-write (after repairing it, if the kernel turned it "+
				"read-only after a disk error: see dmesg), or set engine.checkpoint_dir to a directory on a writable file system", at)
		case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
			fix = fmt.Sprintf("the file system of %s is full: free space on it, or set engine.checkpoint_dir to a file system with room", at)
		}
		return []Item{{Name: dirItem, Status: Fail,
			Detail: fmt.Sprintf("%s is not writable: %v", what, err),
			Fix:    fix}}
	}
	name := f.Name()
	_ = f.Close()
	_ = os.Remove(name)
	detail := fmt.Sprintf("checkpoint directory %s is writable", abs)
	if created {
		detail = fmt.Sprintf("checkpoint directory %s will be created in %s, which is writable", abs, at)
	}
	items := []Item{{Name: dirItem, Status: Pass, Detail: detail}}

	free, err := freeBytes(at)
	switch {
	case err != nil:
		items = append(items, Item{Name: spaceItem, Status: Warn, Detail: fmt.Sprintf("cannot measure free space at %s: %v", at, err)})
	case free < minFree:
		items = append(items, Item{Name: spaceItem, Status: Warn,
			Detail: fmt.Sprintf("only %s free at %s (below %s): the checkpoint file and schema history could fill it", bytesText(free), at, bytesText(minFree)),
			Fix:    "free space on that file system or point engine.checkpoint_dir elsewhere"})
	default:
		items = append(items, Item{Name: spaceItem, Status: Pass, Detail: fmt.Sprintf("%s free at %s", bytesText(free), at)})
	}
	return items
}

// bytesText renders a byte count in binary units.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
