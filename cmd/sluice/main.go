// Command sluice keeps Kafka in sync with MySQL and MariaDB.
//
//	sluice validate -f topology.yaml    check a topology file
//	sluice run -f topology.yaml         run the task it describes
//
// Each subcommand lives in its own file and registers itself in commands
// from an init function; main only dispatches.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
)

// command is one subcommand.
type command struct {
	// Summary is the one-line description shown by usage.
	Summary string
	// Run executes the subcommand with the arguments after its name and
	// returns the exit code: 0 success, 1 failure, 2 bad usage. ctx is
	// cancelled on SIGINT or SIGTERM.
	Run func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands holds every subcommand by name. Files add theirs with register
// in an init function.
var commands = map[string]*command{}

// register adds a subcommand; registering a name twice is a programming
// error.
func register(name string, c *command) {
	if _, dup := commands[name]; dup {
		panic("sluice: command " + name + " registered twice")
	}
	commands[name] = c
}

// version is set at link time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

func init() {
	register("version", &command{
		Summary: "print the version of this binary",
		Run: func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, versionString())
			return 0
		},
	})
}

func versionString() string {
	v := "sluice " + version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return v
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(stderr, "sluice: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return c.Run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Sluice keeps Kafka in sync with MySQL and MariaDB.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: sluice <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "sluice <command> -h" for a command's flags. The topology file format: docs/topology.md.`)
}
