package registry_test

import (
	"context"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/errkind"
)

const recordV1 = `{"type":"record","name":"Value","namespace":"t","fields":[{"name":"id","type":"long"}]}`
const recordV2 = `{"type":"record","name":"Value","namespace":"t","fields":[{"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}`
const recordBad = `{"type":"record","name":"Value","namespace":"t","fields":[{"name":"id","type":"string"}]}`

func client(t *testing.T, cfg registry.Config) *registry.Client {
	t.Helper()
	c, err := registry.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClient_Register_CachesAndReadsBack(t *testing.T) {
	srv := registrytest.New(t)
	c := client(t, registry.Config{URL: srv.URL + "/"})
	ctx := context.Background()
	id, err := c.Register(ctx, "orders-value", recordV1)
	if err != nil {
		t.Fatal(err)
	}
	n := srv.Requests()
	again, err := c.Register(ctx, "orders-value", recordV1)
	if err != nil || again != id {
		t.Fatalf("second Register = %d, %v; want %d", again, err, id)
	}
	if srv.Requests() != n {
		t.Errorf("second Register of the same schema made %d requests, want 0", srv.Requests()-n)
	}
	// A fresh client (no cache) gets the id from the registry.
	got, err := client(t, registry.Config{URL: srv.URL}).Schema(ctx, id)
	if err != nil || got != recordV1 {
		t.Fatalf("Schema(%d) = %q, %v", id, got, err)
	}
	id2, err := c.Register(ctx, "orders-value", recordV2)
	if err != nil || id2 == id {
		t.Fatalf("evolved schema: id %d (first %d), %v", id2, id, err)
	}
	if vs := srv.Versions("orders-value"); len(vs) != 2 {
		t.Errorf("subject versions = %v, want 2", vs)
	}
}

func TestClient_Register_IncompatibleIsTerminal(t *testing.T) {
	srv := registrytest.New(t)
	c := client(t, registry.Config{URL: srv.URL})
	ctx := context.Background()
	if _, err := c.Register(ctx, "s-value", recordV1); err != nil {
		t.Fatal(err)
	}
	_, err := c.Register(ctx, "s-value", recordBad)
	if err == nil || !errkind.IsTerminal(err) || !registry.Incompatible(err) {
		t.Fatalf("incompatible schema: err = %v, want terminal and Incompatible", err)
	}
	if !strings.Contains(err.Error(), "HTTP 409") || !strings.Contains(err.Error(), "compatibility") || !strings.Contains(err.Error(), `"s-value"`) {
		t.Errorf("message does not say what happened: %v", err)
	}
	_, err = c.Register(ctx, "s2-value", `{"type":"record"}`)
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "HTTP 422") {
		t.Errorf("invalid schema: err = %v, want terminal HTTP 422", err)
	}
}

func TestClient_Errors_RetryableOrTerminal(t *testing.T) {
	srv := registrytest.New(t)
	c := client(t, registry.Config{URL: srv.URL})
	ctx := context.Background()
	for _, tc := range []struct {
		status   int
		terminal bool
	}{
		{http.StatusServiceUnavailable, false},
		{http.StatusInternalServerError, false},
		{http.StatusTooManyRequests, false},
		{http.StatusRequestTimeout, false},
		{http.StatusNotFound, true},
		{http.StatusForbidden, true},
	} {
		srv.FailNext(tc.status)
		_, err := c.Register(ctx, "x-value", recordV1)
		if err == nil || errkind.IsTerminal(err) != tc.terminal {
			t.Errorf("HTTP %d: err = %v, terminal %v; want terminal %v", tc.status, err, errkind.IsTerminal(err), tc.terminal)
		}
	}
	// Errors are not cached: the next try succeeds.
	if _, err := c.Register(ctx, "x-value", recordV1); err != nil {
		t.Fatalf("after failures: %v", err)
	}

	// Nothing listening: retryable.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = client(t, registry.Config{URL: "http://" + addr, Timeout: 2 * time.Second}).Register(ctx, "x-value", recordV1)
	if err == nil || errkind.IsTerminal(err) {
		t.Errorf("connection refused: err = %v, want retryable", err)
	}
}

func TestClient_BasicAuth(t *testing.T) {
	srv := registrytest.New(t)
	srv.User, srv.Password = "sluice", "s3cret-pw"
	ctx := context.Background()
	if _, err := client(t, registry.Config{URL: srv.URL, User: "sluice", Password: "s3cret-pw"}).Register(ctx, "a-value", recordV1); err != nil {
		t.Fatalf("right password: %v", err)
	}
	_, err := client(t, registry.Config{URL: srv.URL, User: "sluice", Password: "wrong-pw"}).Register(ctx, "a-value", recordV1)
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "schema_registry.user") {
		t.Fatalf("wrong password: err = %v, want terminal HTTP 401 naming the setting", err)
	}
	if strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestClient_TLS_CAFile(t *testing.T) {
	srv := registrytest.NewTLS(t)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client(t, registry.Config{URL: srv.URL, CAFile: ca}).Register(ctx, "t-value", recordV1); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	_, err := client(t, registry.Config{URL: srv.URL}).Register(ctx, "t-value", recordV1)
	if err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("without the CA file: err = %v, want terminal naming ca_file", err)
	}
	if _, err := registry.New(registry.Config{URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil || !errkind.IsTerminal(err) {
		t.Errorf("missing CA file: err = %v", err)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o600)
	if _, err := registry.New(registry.Config{URL: srv.URL, CAFile: notPEM}); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("CA file without PEM: err = %v", err)
	}
}

func TestNew_BadURL(t *testing.T) {
	for _, u := range []string{"", "registry:8081", "ftp://x", "http://"} {
		if _, err := registry.New(registry.Config{URL: u}); err == nil || !errkind.IsTerminal(err) {
			t.Errorf("URL %q: err = %v, want terminal", u, err)
		}
	}
}

func TestHeader_RoundTrip(t *testing.T) {
	b := registry.AppendHeader([]byte{}, 0x01020304)
	if string(b) != "\x00\x01\x02\x03\x04" {
		t.Fatalf("header = %x", b)
	}
	id, body, err := registry.ParseHeader(append(b, 'x'))
	if err != nil || id != 0x01020304 || string(body) != "x" {
		t.Fatalf("ParseHeader = %d %q %v", id, body, err)
	}
	if _, _, err := registry.ParseHeader([]byte{1, 0, 0, 0, 1}); err == nil {
		t.Error("wrong magic byte accepted")
	}
}
