// Package registrytest is an in-process Confluent-compatible schema registry
// for tests: the REST subset Sluice uses (POST /subjects/{subject}/versions,
// GET /schemas/ids/{id}, GET /subjects, GET /subjects/{subject}/versions),
// with BACKWARD compatibility checked by hamba/avro's schema compatibility,
// optional basic auth, TLS, and injectable failures.
//
// It is not a registry: no deletes, no config endpoints, no references, one
// compatibility level (BACKWARD, or NONE), state in memory.
package registrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hamba/avro/v2"
)

// Server is a running fake registry.
type Server struct {
	*httptest.Server

	// User and Password, when User is set, are required as basic auth.
	User, Password string
	// NoCompat turns the compatibility check off (level NONE).
	NoCompat bool

	mu       sync.Mutex
	schemas  []string         // id-1 → schema text
	byText   map[string]int32 // schema text → id
	subjects map[string][]int32
	requests int
	fail     []int // statuses to answer the next requests with
}

// New starts a fake registry over plain HTTP; it stops with the test.
func New(t testing.TB) *Server {
	t.Helper()
	s := newServer()
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

// NewTLS starts a fake registry over HTTPS with a self-signed certificate
// (its CA is s.Certificate()).
func NewTLS(t testing.TB) *Server {
	t.Helper()
	s := newServer()
	s.Server = httptest.NewTLSServer(s)
	t.Cleanup(s.Close)
	return s
}

func newServer() *Server {
	return &Server{byText: map[string]int32{}, subjects: map[string][]int32{}}
}

// FailNext makes the next len(statuses) requests answer with these HTTP
// statuses.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	s.fail = append(s.fail, statuses...)
	s.mu.Unlock()
}

// Requests is the number of requests served so far.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Versions returns the schema ids registered under subject, oldest first.
func (s *Server) Versions(subject string) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int32(nil), s.subjects[subject]...)
}

// SchemaByID returns the schema text of id.
func (s *Server) SchemaByID(id int32) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || int(id) > len(s.schemas) {
		return "", false
	}
	return s.schemas[id-1], true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"error_code": code, "message": msg})
}

// ServeHTTP implements the REST subset.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.fail) > 0 {
		st := s.fail[0]
		s.fail = s.fail[1:]
		writeError(w, st, st*100, "injected failure")
		return
	}
	if s.User != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.User || p != s.Password {
			writeError(w, http.StatusUnauthorized, 401, "Unauthorized")
			return
		}
	}
	path := r.URL.EscapedPath()
	switch {
	case r.Method == http.MethodGet && path == "/subjects":
		names := make([]string, 0, len(s.subjects))
		for n := range s.subjects {
			names = append(names, n)
		}
		writeJSON(w, http.StatusOK, names)
	case strings.HasPrefix(path, "/schemas/ids/") && r.Method == http.MethodGet:
		id, err := strconv.Atoi(strings.TrimPrefix(path, "/schemas/ids/"))
		if err != nil || id < 1 || id > len(s.schemas) {
			writeError(w, http.StatusNotFound, 40403, "Schema not found")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"schema": s.schemas[id-1]})
	case strings.HasPrefix(path, "/subjects/") && strings.HasSuffix(path, "/versions"):
		subject, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/subjects/"), "/versions"))
		if err != nil {
			writeError(w, http.StatusBadRequest, 400, err.Error())
			return
		}
		switch r.Method {
		case http.MethodGet:
			vs, ok := s.subjects[subject]
			if !ok {
				writeError(w, http.StatusNotFound, 40401, "Subject not found")
				return
			}
			out := make([]int, len(vs))
			for i := range vs {
				out[i] = i + 1
			}
			writeJSON(w, http.StatusOK, out)
		case http.MethodPost:
			s.register(w, r, subject)
		default:
			writeError(w, http.StatusMethodNotAllowed, 405, "method not allowed")
		}
	default:
		writeError(w, http.StatusNotFound, 404, "HTTP 404 Not Found")
	}
}

func (s *Server) register(w http.ResponseWriter, r *http.Request, subject string) {
	var req struct {
		Schema     string `json:"schema"`
		SchemaType string `json:"schemaType"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusUnprocessableEntity, 42203, "Invalid request: "+err.Error())
		return
	}
	if req.SchemaType != "" && req.SchemaType != "AVRO" {
		writeError(w, http.StatusUnprocessableEntity, 42201, "only AVRO here")
		return
	}
	sch, err := avro.ParseWithCache(req.Schema, "", &avro.SchemaCache{})
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, 42201, "Invalid schema: "+err.Error())
		return
	}
	vs := s.subjects[subject]
	for _, id := range vs {
		if s.schemas[id-1] == req.Schema {
			writeJSON(w, http.StatusOK, map[string]int32{"id": id})
			return
		}
	}
	if len(vs) > 0 && !s.NoCompat {
		prev, err := avro.ParseWithCache(s.schemas[vs[len(vs)-1]-1], "", &avro.SchemaCache{})
		if err == nil {
			err = avro.NewSchemaCompatibility().Compatible(sch, prev)
		}
		if err != nil {
			writeError(w, http.StatusConflict, 409, fmt.Sprintf("Schema being registered is incompatible with an earlier schema for subject %q: %v", subject, err))
			return
		}
	}
	id, ok := s.byText[req.Schema]
	if !ok {
		s.schemas = append(s.schemas, req.Schema)
		id = int32(len(s.schemas))
		s.byText[req.Schema] = id
	}
	s.subjects[subject] = append(vs, id)
	writeJSON(w, http.StatusOK, map[string]int32{"id": id})
}
