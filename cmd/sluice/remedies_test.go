package main

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Messages send users to commands and flags ("run sluice remove --purge",
// "use --addr"); every one named must exist. The test reads every string
// literal (with the literals it is concatenated to) of the module's Go
// source, and checks each "sluice WORD" names a registered command, each
// flag after it a flag of that command, and each other --flag a flag of
// some command or of another tool the message names (kafka-topics.sh,
// etcdctl, ...).

// proseAfterSluice are words that follow "sluice" in prose ("a newer
// sluice that wrote it"), not commands.
var proseAfterSluice = map[string]bool{
	"that": true, "reads": true, "vs": true, "task": true, "process": true, "did": true, "again": true, "log": true,
	"binary": true,
}

// externalProseFlags are other tools' flags that messages name without
// naming the tool's command just before them.
var externalProseFlags = map[string]string{
	"ssl-mode":          "the mysql client",
	"max-txn-ops":       "etcd",
	"max-request-bytes": "etcd",
}

// externalTool reports whether a word is a command of another tool, whose
// flags follow it.
func externalTool(w string) bool {
	switch w {
	case "etcdctl", "etcd", "mysql", "mariadb", "mysqldump", "kcat", "go", "bbolt", "mv", "rm":
		return true
	}
	return strings.HasSuffix(w, ".sh")
}

var flagRE = regexp.MustCompile(`^(--?)([a-z][a-z0-9-]*)(=.*)?$`)

// commandFlags asks every registered command for its flags (-h prints
// them) and returns them by command.
func commandFlags(t *testing.T) map[string]map[string]bool {
	t.Helper()
	defRE := regexp.MustCompile(`(?m)^\s+-([a-zA-Z0-9][a-zA-Z0-9-]*)`)
	out := map[string]map[string]bool{}
	for name, c := range commands {
		var stdout, stderr bytes.Buffer
		c.Run(context.Background(), []string{"-h"}, &stdout, &stderr)
		flags := map[string]bool{}
		for _, m := range defRE.FindAllStringSubmatch(stderr.String()+stdout.String(), -1) {
			flags[m[1]] = true
		}
		out[name] = flags
	}
	if len(out["run"]) == 0 || !out["run"]["f"] {
		t.Fatalf("sluice run -h listed no -f flag; the flag listing is broken: %v", out["run"])
	}
	return out
}

// literals returns every string constant the Go file at path spells: a
// literal, or literals joined with +, as one string.
func literals(t *testing.T, fset *token.FileSet, path string) []string {
	t.Helper()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var fold func(e ast.Expr) (string, bool)
	fold = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.ParenExpr:
			return fold(e.X)
		case *ast.BinaryExpr:
			if e.Op != token.ADD {
				return "", false
			}
			l, ok := fold(e.X)
			if !ok {
				return "", false
			}
			r, ok := fold(e.Y)
			return l + r, ok
		}
		return "", false
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok {
			if s, ok := fold(e); ok {
				out = append(out, s)
				return false
			}
		}
		return true
	})
	return out
}

// remedyProblems lists what a message names that does not exist.
func remedyProblems(msg string, flags map[string]map[string]bool) []string {
	var problems []string
	words := strings.Fields(msg)
	if len(words) < 2 {
		return nil // a program's argument ("--short"), not a message
	}
	context := "" // the sluice command whose flags follow; "-" another tool's
	for i := 0; i < len(words); i++ {
		raw := words[i]
		w := strings.TrimLeft(raw, "`'\"([{|")
		end := strings.TrimRight(w, "`'\")]},.;:|")
		switch {
		case w == "sluice" && i+1 < len(words):
			// "sluice WORD": a command, unless prose ("a sluice that"), a
			// placeholder ("sluice <command>") or a YAML key after the
			// value ("user: sluice" then "password:").
			raw := strings.TrimLeft(words[i+1], "`'\"(")
			next, _, _ := strings.Cut(strings.TrimRight(raw, "`'\")]},.;:"), "%")
			switch {
			case flags[next] != nil:
				context = next
				i++
			case proseAfterSluice[next] || next == "" || strings.HasSuffix(raw, ":") || strings.ContainsAny(next[:1], "-<["):
				context = ""
			default:
				problems = append(problems, "command \"sluice "+next+"\", which is not registered")
				context = "-" // its flags are not looked at again
				i++
			}
			continue
		case externalTool(end):
			context = "-"
		default:
			if m := flagRE.FindStringSubmatch(end); m != nil {
				name := m[2]
				switch {
				case context == "-":
				case context != "":
					if !flags[context][name] {
						problems = append(problems, "flag "+m[1]+name+" of sluice "+context+", which has no such flag")
					}
				case m[1] == "--" && externalProseFlags[name] == "" && !anyHas(flags, name):
					problems = append(problems, "flag --"+name+", which no sluice command has")
				}
			}
		}
		if q := strings.TrimRight(w, "`'\""); q != "" && strings.ContainsAny(q[len(q)-1:], ",;).") {
			context = "" // a clause ends
		}
	}
	return problems
}

func anyHas(flags map[string]map[string]bool, name string) bool {
	for _, f := range flags {
		if f[name] {
			return true
		}
	}
	return false
}

func TestMessages_NameOnlyCommandsAndFlagsThatExist(t *testing.T) {
	flags := commandFlags(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var bad []string
	scanned := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		scanned++
		rel, _ := filepath.Rel(root, path)
		for _, s := range literals(t, fset, path) {
			for _, p := range remedyProblems(s, flags) {
				bad = append(bad, rel+": "+p+": "+strconv.Quote(s))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned < 50 {
		t.Fatalf("scanned %d Go files under %s; the walk is broken", scanned, root)
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

// The checker itself: it finds what is missing and passes what exists.
func TestRemedyProblems(t *testing.T) {
	flags := map[string]map[string]bool{"run": {"f": true, "ignore": true}, "remove": {"purge": true, "c": true}}
	for _, tc := range []struct {
		msg  string
		want int
	}{
		{"run again with --accept-topology-change, otherwise use a new checkpoint_dir", 1},
		{"sluice run -f FILE --ignore x", 0},
		{"sluice run --purge", 1},
		{"sluice snapshot -f FILE --table db.t", 1},
		{"in a cluster, sluice remove --purge and submit again", 0},
		{"(sluice remove x), or rerun it with --ignore NAME", 0},
		{"kafka-topics.sh --bootstrap-server h --create --topic t", 0},
		{"this sluice reads format 2; run the newer sluice that wrote it", 0},
		{"raise --max-request-bytes on every etcd member", 0},
		{"`sluice run -f FILE --force`", 1},
	} {
		if got := remedyProblems(tc.msg, flags); len(got) != tc.want {
			t.Errorf("%q: %d problems %v, want %d", tc.msg, len(got), got, tc.want)
		}
	}
}
