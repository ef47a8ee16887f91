package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/sluicecdc/sluice/topology"
)

// fileArg settles the topology file of a command: -f FILE, or the one
// positional argument. It reports false (after printing why and the usage)
// when there is none or more than one.
func fileArg(cmd string, fs *flag.FlagSet, file *string, stderr io.Writer) bool {
	if *file == "" && fs.NArg() == 1 {
		*file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sluice %s: unexpected argument %q\n", cmd, fs.Arg(0))
		fs.Usage()
		return false
	}
	if *file == "" {
		fmt.Fprintf(stderr, "sluice %s: no file; use -f FILE\n", cmd)
		fs.Usage()
		return false
	}
	return true
}

// loadValid loads a topology file for a command that needs a valid one: on
// errors it prints them and how to check the file, and returns nil.
// Warnings are returned for the caller to show its way.
func loadValid(cmd, file string, stderr io.Writer) (*topology.DAG, topology.Diagnostics) {
	g, diags, err := topology.Load(file)
	if g != nil {
		return g, diags
	}
	fmt.Fprint(stderr, diags.String())
	if err != nil && diags == nil {
		fmt.Fprintf(stderr, "sluice %s: %v\n", cmd, err)
	}
	fmt.Fprintf(stderr, "sluice %s: %s is not valid; fix the errors above (sluice validate -f %s checks it)\n", cmd, file, file)
	return nil, diags
}
