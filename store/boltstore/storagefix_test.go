package boltstore

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A commit that fails on the file system says what is wrong with it and
// how to go on, whether bbolt wraps the errno or only formats its text
// ("mmap allocate error: read-only file system").
func TestStorageFix(t *testing.T) {
	const path = "/data/ck/checkpoints.db"
	for _, tc := range []struct {
		name string
		err  error
		want string // "" : no advice
	}{
		{"ENOSPC wrapped", &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}, "is full"},
		{"EDQUOT", fmt.Errorf("x: %w", syscall.EDQUOT), "is full"},
		{"EROFS as text", errors.New("mmap allocate error: " + syscall.EROFS.Error()), "is read-only"},
		{"EIO", &os.PathError{Op: "write", Path: path, Err: syscall.EIO}, "failed to write"},
		{"other", errors.New("database not open"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := storageFix(path, tc.err)
			if tc.want == "" {
				if got != "" {
					t.Fatalf("advice for %v: %s", tc.err, got)
				}
				return
			}
			for _, w := range []string{tc.want, "/data/ck", "checkpoint_dir", "resumes from the last committed checkpoint"} {
				if !strings.Contains(got, w) {
					t.Errorf("advice %q lacks %q", got, w)
				}
			}
		})
	}
}
