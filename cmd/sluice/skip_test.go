package main

import (
	"strings"
	"testing"
)

// sluice skip refuses, before it reads anything, a decision without a
// reason, a position it cannot read and a source the topology lacks.
func TestSkip_RefusesIncompleteDecisions(t *testing.T) {
	const file = "../../examples/quickstart.yaml"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no reason", []string{"-f", file, "--at", "mariadb-bin.000012:4711"}, "--reason is required"},
		{"blank reason", []string{"-f", file, "--at", "mariadb-bin.000012:4711", "--reason", "  "}, "--reason is required"},
		{"no position", []string{"-f", file, "--reason", "x"}, "is not a binlog position"},
		{"offset missing", []string{"-f", file, "--at", "mariadb-bin.000012", "--reason", "x"}, "is not a binlog position"},
		{"unknown source", []string{"-f", file, "--source", "nope", "--at", "mariadb-bin.000012:4711", "--reason", "x"}, `no source "nope"`},
		{"no file", []string{"--at", "mariadb-bin.000012:4711", "--reason", "x"}, "use -f FILE"},
		{"cluster without task", []string{"-c", "node.yaml", "--at", "mariadb-bin.000012:4711", "--reason", "x"}, "with -c (a cluster task) give --task NAME"},
		{"cluster with file", []string{"-c", "node.yaml", "--task", "t", "-f", file, "--at", "mariadb-bin.000012:4711", "--reason", "x"}, "and no -f"},
		{"task without cluster", []string{"--task", "t", "--at", "mariadb-bin.000012:4711", "--reason", "x"}, "give -c NODE_FILE too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, append([]string{"skip"}, tc.args...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("code %d, stdout %q, stderr:\n%s\nwant code 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
}
