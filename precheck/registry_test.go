package precheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/topology"
)

func TestCheckRegistry_Answers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/subjects" {
			http.NotFound(w, r)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "reg" || p != "right" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `["orders-value"]`)
	}))
	defer srv.Close()
	sink := func(url, password string) *topology.Sink {
		return &topology.Sink{Name: "main", Registry: &topology.SchemaRegistry{URL: url, User: "reg", Password: topology.NewSecret(password)}}
	}
	ctx := context.Background()
	wantItem(t, checkRegistry(ctx, sink(srv.URL+"/", "right"), 5*time.Second), Pass, "answered", "")
	it := checkRegistry(ctx, sink(srv.URL, "wrong"), 5*time.Second)
	wantItem(t, it, Fail, "refused the request as reg (HTTP 401)", "registry.user / registry.password of sink main")
	if strings.Contains(it.Detail+it.Fix, "wrong") {
		t.Errorf("item shows the password: %+v", it)
	}
	wantItem(t, checkRegistry(ctx, sink(srv.URL+"/not-a-registry", "right"), 5*time.Second), Fail, "HTTP 404", "base URL")
	wantItem(t, checkRegistry(ctx, sink(fmt.Sprintf("http://127.0.0.1:%d", closedPort(t)), "right"), 5*time.Second), Fail, "connection refused", "registry.url of sink main")
}
