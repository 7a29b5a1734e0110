package main

import "syscall"

// childAttr has the kernel stop a child when this program dies, even
// killed outright, when no deferred cleanup runs: no server outlives a run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
