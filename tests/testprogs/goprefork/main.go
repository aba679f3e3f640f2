// A prefork net/http server, as Fiber runs one: the parent re-execs itself into N workers
// that share one port through SO_REUSEPORT. Every worker's /read handler draws from the
// global math/rand source, whose mutex is the contended lock of the incident this tool
// comes from. Each worker records Go's own block and mutex profiles (rate 1: every event)
// and writes them at exit, with its request count: the ground truth waitprof's goroutine
// profiles are checked against.
//
// Nothing here waits on a channel or a signal for its lifetime: such a wait would enter Go's
// block profile only when it ends, at exit, while waitprof sees it from the moment the
// recording starts. Stop requests are polled instead (time.Sleep is no block event).
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
	_ "unsafe" // go:linkname
)

// The uprobe's own cost, for bench/go_overhead.py: sync's semaphore release, called with no
// waiter (its fast path returns at once), so each call is the probe's trap and program.
//
//go:linkname semrelease sync.runtime_Semrelease
func semrelease(addr *uint32, handoff bool, skipframes int)

func semreleaseLoop(calls int) {
	time.Sleep(time.Second) // for the probe's attach
	var sema uint32
	for batch := 0; batch < 5; batch++ {
		start := time.Now()
		for i := 0; i < calls; i++ {
			semrelease(&sema, false, 0)
		}
		fmt.Printf("ns_per_call %.1f\n", float64(time.Since(start).Nanoseconds())/float64(calls))
	}
}

var requests atomic.Int64

func listenReusePort(addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
		})
		return err
	}}
	return lc.Listen(context.Background(), "tcp", addr)
}

// Draws: each rand.Int63 takes and releases the global source's mutex.
func read(w http.ResponseWriter, r *http.Request) {
	draws, _ := strconv.Atoi(r.URL.Query().Get("draws"))
	if draws <= 0 {
		draws = 200
	}
	var sum int64
	for i := 0; i < draws; i++ {
		sum += rand.Int63() & 0xff
	}
	requests.Add(1)
	fmt.Fprintf(w, "%d\n", sum)
}

// Returns once SIGTERM or SIGINT has arrived, without ever parking on the signal channel.
func pollForStop() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	for {
		select {
		case <-stop:
			return
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func writeProfile(dir, name string) error {
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s.%d.pb.gz", name, os.Getpid())))
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func worker(addr, dir string) {
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)
	ln, err := listenReusePort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goprefork worker:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/read", read)
	go http.Serve(ln, mux)
	pollForStop()
	// Profiles first: closing the listener would add the server's own exit to them.
	for _, name := range []string{"block", "mutex"} {
		if err := writeProfile(dir, name); err != nil {
			fmt.Fprintln(os.Stderr, "goprefork worker:", err)
			os.Exit(1)
		}
	}
	count := []byte(strconv.FormatInt(requests.Load(), 10) + "\n")
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("requests.%d", os.Getpid())), count, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "goprefork worker:", err)
		os.Exit(1)
	}
}

func main() {
	addr := flag.String("listen", "127.0.0.1:8090", "address the workers share")
	workers := flag.Int("workers", 2, "worker processes")
	dir := flag.String("profiles", ".", "where each worker writes block.PID.pb.gz, mutex.PID.pb.gz, requests.PID")
	loop := flag.Int("semrelease-loop", 0, "bench: time this many calls of sync.runtime_Semrelease, 5 times, and exit")
	flag.Parse()
	if *loop > 0 {
		semreleaseLoop(*loop)
		return
	}
	if os.Getenv("GOPREFORK_WORKER") == "1" {
		worker(*addr, *dir)
		return
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "goprefork:", err)
		os.Exit(1)
	}
	var children []*exec.Cmd
	for i := 0; i < *workers; i++ {
		cmd := exec.Command(self, os.Args[1:]...)
		cmd.Env = append(os.Environ(), "GOPREFORK_WORKER=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "goprefork:", err)
			os.Exit(1)
		}
		children = append(children, cmd)
	}
	fmt.Printf("goprefork: %d workers on %s\n", *workers, *addr)
	pollForStop()
	failed := false
	for _, c := range children {
		c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range children {
		if err := c.Wait(); err != nil {
			fmt.Fprintln(os.Stderr, "goprefork: worker:", err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
