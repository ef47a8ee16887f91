package status

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve starts the HTTP endpoint of one task on addr and returns a function
// that stops it: /status, /metrics and /healthz, and routes (see Listen for
// addr and token).
func Serve(addr, token string, r *Registry, routes ...Route) (stop func(), err error) {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		WriteJSON(w, r.View(time.Now()))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_ = r.WriteMetrics(w, time.Now())
	})
	return Listen(addr, token, mux, r.SetError)
}

// Route is one more handler Serve serves, behind the same token: the
// engine's commands to the running task (POST /snapshot).
type Route struct {
	Pattern string // as http.ServeMux takes it, e.g. "POST /snapshot"
	Handler http.Handler
}

// WriteJSON answers with v as indented JSON.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Listen serves mux (plus /healthz) on addr and returns a function that
// stops it. A non-loopback addr is refused unless token is set; with a token
// every request must send "Authorization: Bearer <token>". A failure after
// the start goes to onErr.
func Listen(addr, token string, mux *http.ServeMux, onErr func(error)) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("http_addr %q: %w (use host:port, e.g. 127.0.0.1:8765)", addr, err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && token == "" {
		return nil, fmt.Errorf("http_addr %s is not a loopback address: set engine.http_token so that the status endpoint is not open to the network, or bind to 127.0.0.1", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("status endpoint: listen on %s: %w (another sluice task may use it: set engine.http_addr)", addr, err)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	var h http.Handler = mux
	if token != "" {
		want := []byte("Bearer " + token)
		h = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if subtle.ConstantTimeCompare([]byte(req.Header.Get("Authorization")), want) != 1 {
				http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
				return
			}
			mux.ServeHTTP(w, req)
		})
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			onErr(fmt.Errorf("status endpoint: %w", err))
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
