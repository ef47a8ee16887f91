package faults

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is a loopback TCP proxy that forwards every connection to a target
// and can cut the network (Cut, Restore) or slow it (SetLatency), the way a
// failed link or a congested one would.
//
// Cut closes the listener, so new connections are refused (ECONNREFUSED),
// and resets every open connection; Restore listens again on the same
// address. Latency delays every chunk of bytes by the given duration in each
// direction without lowering throughput (bytes are queued, not slept on).
//
// A Proxy is safe for concurrent use. It is for tests: it does not bound
// the bytes it queues while delaying.
type Proxy struct {
	target string
	addr   string

	latency  atomic.Int64 // nanoseconds
	accepted atomic.Int64

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	cut   bool
	done  bool
	wg    sync.WaitGroup
}

// NewProxy listens on a free loopback port and forwards to target
// (host:port).
func NewProxy(target string) (*Proxy, error) {
	return NewProxyOn("127.0.0.1:0", target)
}

// NewProxyOn listens on addr (host:port; port 0 for a free one) and
// forwards to target.
func NewProxyOn(addr, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return proxyFrom(ln, target), nil
}

// proxyFrom forwards the connections ln accepts to target. Restore listens
// again in this process's network namespace.
func proxyFrom(ln net.Listener, target string) *Proxy {
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve(ln)
	return p
}

// Addr is the proxy's listen address, host:port.
func (p *Proxy) Addr() string { return p.addr }

// Port is the proxy's listen port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Accepted counts the connections forwarded so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// SetLatency delays every chunk forwarded, in each direction, by d (0: none).
func (p *Proxy) SetLatency(d time.Duration) { p.latency.Store(int64(d)) }

// Cut refuses new connections and resets open ones until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.done {
		return
	}
	p.cut = true
	_ = p.ln.Close()
	for c := range p.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, as a dropped link looks to the peer
		}
		_ = c.Close()
	}
}

// Restore listens again on the same address after Cut.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut || p.done {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.ln = ln
	p.cut = false
	p.wg.Add(1)
	go p.serve(ln)
	return nil
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil
	}
	p.done = true
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

func (p *Proxy) serve(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track registers c; false when the proxy is cut or closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.done {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		return
	}
	defer p.untrack(server)
	p.accepted.Add(1)
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done // either side closing ends both
}

// chunk is bytes read at a time, to be written after the latency.
type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies src to dst, delaying each chunk by the current latency.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{at: time.Now(), data: buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if d := time.Duration(p.latency.Load()); d > 0 {
			time.Sleep(time.Until(c.at.Add(d)))
		}
		if _, err := dst.Write(c.data); err != nil {
			_ = src.Close()
			for range q { // let the reader finish
			}
			return
		}
	}
}

var _ io.Closer = (*Proxy)(nil)
