package faults

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicecdc/sluice/internal/testbed"
)

// Regression: with ignore_ddl (the default) a TRUNCATE TABLE of a selected
// table was dropped without a word, and the topic kept rows the table no
// longer had. It is still dropped (no format here can carry it), but warned
// about and counted in /status and /metrics.
func TestTruncate_IgnoredIsWarnedAndCounted(t *testing.T) {
	needBed(t)
	db := testbed.NewDatabase(t)
	topic := testbed.NewTopic(t, 1)
	broker := testbed.Kafka(t)[0]
	testbed.AdminExec(t, "CREATE TABLE `"+db+"`.t (id BIGINT PRIMARY KEY, n BIGINT, v VARCHAR(64))")
	tp := newTopo(t, "truncate", db, topic)
	p := tp.start(t)
	defer p.term(30 * time.Second)
	testbed.AdminExec(t, "INSERT INTO `"+db+"`.t (id, n, v) VALUES "+rowsValues(1, 10))
	waitForWrites(t, broker, topic, 9, 30*time.Second, p)
	testbed.AdminExec(t, "TRUNCATE TABLE `"+db+"`.t", "INSERT INTO `"+db+"`.t (id, n, v) VALUES "+rowsValues(11, 11))
	waitForWrites(t, broker, topic, 10, 30*time.Second, p)

	metric := `sluice_source_truncates_ignored_total{source="src"} 1`
	deadline := time.Now().Add(10 * time.Second)
	for {
		body := get(t, "http://127.0.0.1:"+strconv.Itoa(tp.HTTPPort)+"/metrics")
		st := get(t, "http://127.0.0.1:"+strconv.Itoa(tp.HTTPPort)+"/status")
		var view struct {
			Sources []struct {
				TruncatesIgnored uint64 `json:"truncates_ignored"`
			} `json:"sources"`
		}
		_ = json.Unmarshal([]byte(st), &view)
		if strings.Contains(body, metric) && len(view.Sources) == 1 && view.Sources[0].TruncatesIgnored == 1 && strings.Contains(p.log(), "TRUNCATE TABLE (or TRUNCATE/DROP PARTITION) of a selected table dropped") &&
			strings.Contains(p.log(), db+".t at ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in /metrics, not 1 truncates_ignored in /status, or no warning naming %s.t in the log:\n%s\n/status:\n%s", metric, db, tail(p.log(), 20), st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
