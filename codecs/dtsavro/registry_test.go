package dtsavro

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/linkedin/goavro/v2"

	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/codecs/registry"
	"github.com/sluicecdc/sluice/codecs/registry/registrytest"
	"github.com/sluicecdc/sluice/internal/errkind"
)

func registryEncoder(t *testing.T, srv *registrytest.Server) *Encoder {
	t.Helper()
	cl, err := registry.New(registry.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return New(codec.Options{Now: codectest.Now, Registry: cl})
}

// With a registry, every op's record is the plain record behind the
// Confluent header, and the registered schema (read back by id with another
// client) decodes it with goavro.
func TestEncoder_Registry_WireFormat(t *testing.T) {
	srv := registrytest.New(t)
	framed, plain := registryEncoder(t, srv), New(codec.Options{Now: codectest.Now})
	reader, err := registry.New(registry.Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range codectest.Ops {
		c := codectest.Changes()[op]
		c.Topic = "dts"
		rec, want := codectest.Encode(t, framed, c), codectest.Encode(t, plain, c)
		id, body, err := registry.ParseHeader(rec.Value)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if !bytes.Equal(body, want.Value) || rec.Key != nil {
			t.Errorf("%s: body differs from the plain record", op)
		}
		schema, err := reader.Schema(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		gc, err := goavro.NewCodec(schema)
		if err != nil {
			t.Fatalf("registered schema: %v", err)
		}
		native, rest, err := gc.NativeFromBinary(body)
		if err != nil || len(rest) != 0 {
			t.Fatalf("%s: goavro with the registered schema: %v, %d bytes left", op, err, len(rest))
		}
		if got := native.(map[string]any)["sourcePosition"]; got != "mysql-bin.000003:4567" && op != "snapshot" {
			t.Errorf("%s: sourcePosition %v", op, got)
		}
	}
	if vs := srv.Versions("dts-value"); len(vs) != 1 {
		t.Errorf("dts-value versions = %v, want one", vs)
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("%d registry requests, want 2 (one registration, one read back)", n)
	}
}

func TestEncoder_Registry_Errors(t *testing.T) {
	srv := registrytest.New(t)
	e := registryEncoder(t, srv)
	srv.FailNext(http.StatusBadGateway)
	c := codectest.Changes()["insert"]
	if err := e.Encode(c, &codec.Record{}); err == nil || errkind.IsTerminal(err) {
		t.Fatalf("502: err = %v, want retryable", err)
	}
	srv.FailNext(http.StatusUnauthorized)
	if err := e.Encode(c, &codec.Record{}); err == nil || !errkind.IsTerminal(err) {
		t.Fatalf("401: err = %v, want terminal", err)
	}
	codectest.Encode(t, e, c)
}

func BenchmarkEncode_DTSAvroRegistry(b *testing.B) {
	srv := registrytest.New(b)
	cl, err := registry.New(registry.Config{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	codectest.Bench(b, func() codec.Encoder { return New(codec.Options{Registry: cl, Now: codectest.Now}) })
}
