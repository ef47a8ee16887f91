package verify

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

// msg builds a Canal JSON record of db.t with columns id and n.
func msg(p int, off int64, seq uint64, typ string, id, n int) kafka.Message {
	v := fmt.Sprintf(`{"database":"db","table":"t","type":%q,"isDdl":false,"data":[{"id":"%d","n":"%d"}]}`, typ, id, n)
	return kafka.Message{Partition: p, Offset: off, Value: []byte(v),
		Headers: []kafka.Header{{Key: "sluice.seq", Value: []byte(strconv.FormatUint(seq, 10))}}}
}

func TestAuditTopic(t *testing.T) {
	keys := map[string][]string{"db.t": {"id"}}
	for _, tc := range []struct {
		name     string
		msgs     []kafka.Message
		resent   int
		rewinds  int
		problems []string // substrings, in order
		orphans  int
		deleted  int
	}{
		{name: "clean", msgs: []kafka.Message{
			msg(0, 0, 1, "INSERT", 1, 0), msg(0, 1, 2, "UPDATE", 1, 1), msg(0, 2, 3, "UPDATE", 1, 2), msg(0, 3, 4, "DELETE", 1, 2),
			msg(1, 0, 5, "INIT", 2, 7), msg(1, 1, 6, "UPDATE", 2, 3), msg(1, 2, 7, "UPDATE", 2, 4),
		}},
		{name: "restart re-sends identical records", msgs: []kafka.Message{
			msg(0, 0, 1, "INSERT", 1, 0), msg(0, 1, 2, "UPDATE", 1, 1), msg(0, 2, 3, "UPDATE", 1, 2),
			msg(0, 3, 2, "UPDATE", 1, 1), msg(0, 4, 3, "UPDATE", 1, 2), msg(0, 5, 4, "UPDATE", 1, 3),
		}, resent: 2, rewinds: 1},
		{name: "re-send differs", msgs: []kafka.Message{
			msg(0, 0, 1, "INSERT", 1, 0), msg(0, 1, 2, "UPDATE", 1, 1), msg(0, 2, 2, "UPDATE", 1, 5),
		}, resent: 1, rewinds: 1, problems: []string{"re-sent seq 2 differs"}},
		{name: "lost update", msgs: []kafka.Message{
			msg(0, 0, 1, "INSERT", 1, 0), msg(0, 1, 3, "UPDATE", 1, 2),
		}, problems: []string{"sets n=2 after 0"}},
		{name: "reordered", msgs: []kafka.Message{
			msg(0, 0, 1, "UPDATE", 1, 5), msg(0, 1, 2, "UPDATE", 1, 7), msg(0, 2, 3, "UPDATE", 1, 6),
		}, problems: []string{"sets n=7 after 5", "sets n=6 after 7"}, orphans: 1},
		{name: "change after delete", msgs: []kafka.Message{
			msg(0, 0, 1, "DELETE", 1, 5), msg(0, 1, 2, "UPDATE", 1, 6),
		}, problems: []string{"UPDATE (seq 2) after its DELETE"}, orphans: 1},
		{name: "row deleted before its chunk was read", msgs: []kafka.Message{
			msg(0, 0, 1, "UPDATE", 1, 2), msg(0, 1, 2, "UPDATE", 1, 3), msg(0, 2, 3, "DELETE", 1, 3),
		}, deleted: 1},
		{name: "key in two partitions", msgs: []kafka.Message{
			msg(0, 0, 1, "INSERT", 1, 0), msg(1, 0, 2, "UPDATE", 1, 1),
		}, problems: []string{"key db.t/1 in partitions 0 and 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := AuditTopic(tc.msgs, keys, "n")
			if err != nil {
				t.Fatal(err)
			}
			if a.Records != len(tc.msgs) || a.Resent != tc.resent || len(a.Rewinds) != tc.rewinds {
				t.Errorf("records, resent, rewinds = %d, %d, %d; want %d, %d, %d (%+v)",
					a.Records, a.Resent, len(a.Rewinds), len(tc.msgs), tc.resent, tc.rewinds, a.Rewinds)
			}
			if a.Orphans != tc.orphans || a.DeletedBeforeRead != tc.deleted {
				t.Errorf("orphans, deleted before read = %d, %d; want %d, %d", a.Orphans, a.DeletedBeforeRead, tc.orphans, tc.deleted)
			}
			if len(a.Problems) != len(tc.problems) {
				t.Fatalf("problems = %q, want %d matching %q", a.Problems, len(tc.problems), tc.problems)
			}
			for i, want := range tc.problems {
				if !strings.Contains(a.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, a.Problems[i], want)
				}
			}
		})
	}
}
