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
//
// When SLUICE_MEMPROFILE names a file, each SIGUSR1 writes the heap profile
// (in-use and allocated bytes) into it, overwriting the last one.
func init() {
	if path := os.Getenv("SLUICE_MEMPROFILE"); path != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				f, err := os.Create(path)
				if err == nil {
					err = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
				if err != nil {
					fmt.Fprintf(os.Stderr, "sluice: SLUICE_MEMPROFILE=%s: %v\n", path, err)
				}
			}
		}()
	}
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
