package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sluicecdc/sluice/topology"
)

func init() {
	register("validate", &command{
		Summary: "check a topology file and report every problem with its line",
		Run:     runValidate,
	})
}

// validateReport is the --json output.
type validateReport struct {
	File        string               `json:"file"`
	OK          bool                 `json:"ok"`
	Errors      int                  `json:"errors"`
	Warnings    int                  `json:"warnings"`
	Diagnostics topology.Diagnostics `json:"diagnostics"`
	DAG         *topology.DAG        `json:"dag,omitempty"`
}

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sluice validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", "", "topology `file` to check")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	print := fs.Bool("print", false, "print the resolved topology (defaults applied, secrets redacted) as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: sluice validate -f FILE [--json] [--print]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Checks a topology file and prints every error and warning as file:line:col: what; how to fix.")
		fmt.Fprintln(stderr, "Exit status: 0 valid (warnings allowed), 1 errors, 2 bad usage.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !fileArg("validate", fs, file, stderr) {
		return 2
	}
	g, diags, err := topology.Load(*file)
	if err != nil && diags == nil {
		// The file could not be read at all.
		fmt.Fprintf(stderr, "sluice validate: %v\n", err)
		return 1
	}
	if *asJSON {
		rep := validateReport{File: *file, OK: g != nil, Errors: diags.Errors(), Warnings: diags.Warnings(), Diagnostics: diags}
		if rep.Diagnostics == nil {
			rep.Diagnostics = topology.Diagnostics{}
		}
		if *print {
			rep.DAG = g
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "sluice validate: %v\n", err)
			return 1
		}
	} else {
		fmt.Fprint(stdout, diags.String())
		fmt.Fprintln(stdout, summary(*file, g, diags))
		if g != nil {
			for _, p := range g.Pipelines {
				fmt.Fprintf(stdout, "  %s\n", p)
			}
		}
		if *print && g != nil {
			b, err := json.MarshalIndent(g, "", "  ")
			if err != nil {
				fmt.Fprintf(stderr, "sluice validate: %v\n", err)
				return 1
			}
			fmt.Fprintln(stdout, string(b))
		}
	}
	if g == nil {
		return 1
	}
	return 0
}

func summary(file string, g *topology.DAG, diags topology.Diagnostics) string {
	if g == nil {
		return fmt.Sprintf("%s: %s, %s", file, plural(diags.Errors(), "error"), plural(diags.Warnings(), "warning"))
	}
	s := fmt.Sprintf("%s: valid: task %s: %s, %s, %s, %s, %s",
		file, g.Name, plural(len(g.Sources), "source"), plural(len(g.Transforms), "transform"),
		plural(len(g.Routers), "router"), plural(len(g.Sinks), "sink"), plural(len(g.Pipelines), "pipeline"))
	if w := diags.Warnings(); w > 0 {
		s += "; " + plural(w, "warning")
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
