// static_go_probe: the Go counterpart of static_probe.c, for the launcher
// tests (built by them with CGO_ENABLED=0 when a Go toolchain is present):
// a static Go binary, which no LD_PRELOAD reaches. It starts goroutines on
// several threads, then prints the same line as static_probe:
//
//	pid=N seccomp=N nnp=N capeff=HEX euid=N root=yes|no shadow=yes|no
package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

func field(status, name string) string {
	for _, l := range strings.Split(status, "\n") {
		if strings.HasPrefix(l, name+":") {
			return strings.TrimSpace(l[len(name)+1:])
		}
	}
	return "?"
}

func exists(path string) string {
	if _, err := os.Lstat(path); err == nil {
		return "yes"
	}
	return "no"
}

func main() {
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := 0
			for j := 0; j < 100000; j++ {
				s += j
			}
			_ = s
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile("/proc/self/status")
	st := string(b)
	fmt.Printf("pid=%d seccomp=%s nnp=%s capeff=%s euid=%d root=%s shadow=%s\n", os.Getpid(),
		field(st, "Seccomp"), field(st, "NoNewPrivs"), field(st, "CapEff"), os.Geteuid(),
		exists("/root"), exists("/etc/shadow"))
}
