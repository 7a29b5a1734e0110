//go:build !linux

package main

import "syscall"

// childAttr is nothing here: only Linux stops children when their parent
// dies, elsewhere the deferred cleanup is all there is.
func childAttr() *syscall.SysProcAttr { return nil }
