// Package codectest is the conformance suite every codec runs, plus the
// fixtures its tests share: a table with every MySQL/MariaDB column type and
// the row values the binlog decoder produces for them (change/value.go), a
// ten-column table for benchmarks, and golden-file helpers.
//
// It is test support: nothing outside tests imports it.
package codectest
