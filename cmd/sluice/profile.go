package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// When SLUICE_CPUPROFILE names a file, the process records a CPU profile
// into it from start until SIGUSR2, SIGTERM or SIGINT (whichever comes
// first), for `go tool pprof`. The benchmark harness sends SIGUSR2 and waits
// a moment before SIGTERM, so that the profile is complete before the
// process exits.
func init() {
	path := os.Getenv("SLUICE_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "sluice: SLUICE_CPUPROFILE=%s: %v\n", path, err)
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR2, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-sig
		pprof.StopCPUProfile()
		f.Close()
		signal.Reset(syscall.SIGUSR2)
	}()
}
