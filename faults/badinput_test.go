package faults

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// TestBadInput_ClearErrorCheckpointIntact runs sluice against a task that
// has a checkpoint, with one thing wrong at a time. Each run must exit
// non-zero with an error that names the problem, and leave the checkpoint
// file byte for byte as it was.
func TestBadInput_ClearErrorCheckpointIntact(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 2)
	w := bedWorkload(t, db, "w1")
	base := newTopo(t, "badinput", db, topic)

	// A first, good run leaves a checkpoint.
	p := base.start(t)
	writes := w.run(2000, 2000)
	if err := writes.wait(time.Minute); err != nil {
		t.Fatal(err)
	}
	waitForWrites(t, base.Brokers, topic, 1999, 30*time.Second, p)
	if code := p.term(30 * time.Second); code != 0 {
		t.Fatalf("good run: exit %d", code)
	}
	good, err := os.ReadFile(base.checkpointFile())
	if err != nil {
		t.Fatal(err)
	}

	suffix := fmt.Sprint(time.Now().UnixNano() % 1_000_000)
	noRepl := "norepl" + suffix
	testbed.AdminExec(t,
		"CREATE USER '"+noRepl+"'@'127.0.0.1' IDENTIFIED BY 'x'",
		"GRANT SELECT, REPLICATION CLIENT, SHOW VIEW ON *.* TO '"+noRepl+"'@'127.0.0.1'")
	t.Cleanup(func() { testbed.AdminExec(t, "DROP USER IF EXISTS '"+noRepl+"'@'127.0.0.1'") })
	oneTopic := testbed.NewTopic(t, 1)

	for _, tc := range []struct {
		name string
		// change alters a copy of the good topology; file, when set, replaces
		// the checkpoint file's contents in a directory of the case's own.
		change func(tp *topo)
		file   func(good []byte) []byte
		want   []string // in the last lines of the output, case-insensitive
	}{
		{name: "wrong password", change: func(tp *topo) { tp.Password = "wrong" },
			want: []string{"access denied", "sluice"}},
		{name: "no REPLICATION SLAVE", change: func(tp *topo) { tp.User, tp.Password = noRepl, "x" },
			want: []string{"replication slave", noRepl}},
		{name: "topic with too few partitions", change: func(tp *topo) { tp.Topic, tp.Partitions = oneTopic, 4 },
			want: []string{oneTopic, "1 partition", "4"}},
		{name: "checkpoint of another task", change: func(tp *topo) { tp.Task = "another-task" },
			want: []string{"another task", "badinput", "another-task", "checkpoints.db"}},
		{name: "corrupt checkpoint", file: func(good []byte) []byte {
			bad := bytes.Clone(good)
			for i := 4096; i < len(bad) && i < 4096*4; i++ {
				bad[i] ^= 0x5a // damage the meta pages and the first data pages
			}
			return bad
		}, want: []string{"checkpoints.db is damaged", "restore it from a backup"}},
		{name: "checkpoint with garbage in its data pages", file: func(good []byte) []byte {
			// Behind intact page headers, so bbolt follows garbage offsets.
			bad := bytes.Clone(good)
			ps := os.Getpagesize()
			rnd := rand.New(rand.NewPCG(1, 2))
			for off := 2 * ps; off+ps <= len(bad); off += ps {
				for i := off + 16; i < off+ps; i++ {
					bad[i] = byte(rnd.Uint32())
				}
			}
			return bad
		}, want: []string{"checkpoints.db is damaged", "restore it from a backup"}},
		{name: "checkpoint that is not a bbolt file", file: func([]byte) []byte {
			return []byte("this is not a checkpoint file\n")
		}, want: []string{"checkpoints.db is damaged", "restore it from a backup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := *base
			tp.HTTPPort = freePort(t)
			if tc.change != nil {
				tc.change(&tp)
			}
			before := good
			if tc.file != nil {
				tp.Dir = t.TempDir()
				before = tc.file(good)
				if err := os.MkdirAll(filepath.Dir(tp.checkpointFile()), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(tp.checkpointFile(), before, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			p := startSluice(t, tp.write(t), filepath.Join(tp.Dir, tc.name+".log"))
			code := p.wait(30 * time.Second)
			out := tail(p.log(), 8)
			if code == 0 {
				t.Fatalf("exit 0, want a failure; output:\n%s", out)
			}
			for _, want := range tc.want {
				if !strings.Contains(strings.ToLower(out), strings.ToLower(want)) {
					t.Errorf("the error does not say %q; output:\n%s", want, out)
				}
			}
			after, err := os.ReadFile(tp.checkpointFile())
			if err != nil {
				t.Fatalf("checkpoint file after the run: %v", err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("the checkpoint file changed (%d bytes before, %d after)", len(before), len(after))
			}
			if strings.Contains(out, "runtime error") || strings.Contains(out, "goroutine ") {
				t.Errorf("the output carries Go's runtime error text:\n%s", out)
			}
			t.Logf("exit %d: %s", code, tail(out, 3))
		})
	}
	// After all that, the good topology still resumes where it stopped.
	p = base.start(t)
	w.run(2000, 1000).wait(time.Minute)
	out := converge(t, base.Brokers, topic, source{conn: testbed.AdminConn(t), db: db, tables: map[string][]string{"w1": {"id"}}}, time.Minute)
	if out.Duplicates != 0 {
		t.Errorf("%d duplicates after the bad runs; the checkpoint should have held", out.Duplicates)
	}
	if code := p.term(30 * time.Second); code != 0 {
		t.Errorf("final SIGTERM: exit %d", code)
	}
}
