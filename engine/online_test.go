package engine

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicecdc/sluice/actors/snapshot"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/status"
	"github.com/sluicecdc/sluice/topology"
)

// The refusals of POST /snapshot that need no source: not running yet, a
// malformed name, a table no source selects, two sources selecting it, and
// a snapshot of it already queued.
func TestSnapshotHandler_Refusals(t *testing.T) {
	var live Commands
	srv := httptest.NewServer(snapshotHandler(&live))
	defer srv.Close()
	post := func(query string) (int, string) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/snapshot?"+query, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("table=shop.orders"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not running yet") {
		t.Errorf("before the task runs: %d %q", code, body)
	}

	selects := func(db string) func(string, string) bool { return func(d, _ string) bool { return d == db } }
	busy := &snapshot.Online{}
	if err := busy.Add(&snapshot.TablePlan{Table: &change.Table{Schema: "shop", Name: "orders"}}); err != nil {
		t.Fatal(err)
	}
	live.live.Store(&liveTask{task: "t", plan: &plan{sources: []*sourcePlan{
		{cfg: &topology.Source{Name: "a"}, selectTable: selects("shop"), online: busy},
		{cfg: &topology.Source{Name: "b"}, selectTable: selects("both"), online: &snapshot.Online{}},
		{cfg: &topology.Source{Name: "c"}, selectTable: selects("both"), online: &snapshot.Online{}},
	}}})
	for _, tc := range []struct {
		query string
		code  int
		says  string
	}{
		{"table=orders", http.StatusBadRequest, "database.table"},
		{"table=other.orders", http.StatusNotFound, "is not selected by any of its sources (a, b, c)"},
		{"table=shop.orders&source=b", http.StatusNotFound, "is not selected by source b"},
		{"table=both.x", http.StatusBadRequest, "&source=NAME"},
		{"table=shop.orders", http.StatusConflict, "already runs"},
	} {
		if code, body := post(tc.query); code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("%s: %d %q; want %d saying %q", tc.query, code, body, tc.code, tc.says)
		}
	}
}

// POST /snapshot is behind engine.http_token like /status: without the
// bearer token it is refused before the task is asked.
func TestSnapshotHandler_TokenProtected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	var live Commands
	stop, err := status.Serve(addr, "s3cret", status.NewRegistry(), status.Route{Pattern: "POST /snapshot", Handler: snapshotHandler(&live)})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, tc := range []struct {
		token string
		code  int
	}{{"", http.StatusUnauthorized}, {"wrong", http.StatusUnauthorized}, {"s3cret", http.StatusServiceUnavailable}} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/snapshot?table=shop.orders", nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("token %q: %d, want %d", tc.token, resp.StatusCode, tc.code)
		}
	}
}
