package precheck

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/topology"
)

// The cluster item opens a probe transactional id under the task's own and
// fails, naming the prefixed ACL to grant, when the principal may not: no
// grant at all, DESCRIBE only, and a literal grant on the task's id alone
// (which the task could use, but the probe cannot prove).
func TestCheckTransactional_Fake_ACLs(t *testing.T) {
	prefixed := kfake.ACL{Resource: kmsg.ACLResourceTypeTransactionalId, Name: "sluice/", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationWrite, Allow: true}
	describe := prefixed
	describe.Operation = kmsg.ACLOperationDescribe
	literal := kfake.ACL{Resource: kmsg.ACLResourceTypeTransactionalId, Name: "sluice/orders/k", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationWrite, Allow: true}
	for _, tc := range []struct {
		name string
		acls []kfake.ACL
		want Status
		says []string
	}{
		{"prefixed write", []kfake.ACL{prefixed}, Pass, []string{"may initialise transactional ids under sluice/orders/k (probe sluice/orders/k/precheck)"}},
		{"no grant", nil, Fail, []string{"may not initialise the probe transactional id sluice/orders/k/precheck"}},
		{"describe only", []kfake.ACL{describe}, Fail, []string{"may not initialise the probe"}},
		{"literal grant on the task's id", []kfake.ACL{literal}, Fail, []string{"a literal grant on exactly sluice/orders/k does not cover the probe"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.EnableACLs(),
				kfake.Superuser("SCRAM-SHA-256", "admin", "admin-pw"), kfake.User("SCRAM-SHA-256", "sluice", "pw", tc.acls...))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			s := &topology.Sink{Name: "k", Brokers: c.ListenAddrs(), MaxMessageBytes: 1 << 20, Oversize: topology.OversizeFail,
				SASL: topology.SASL{Mechanism: topology.SASLScramSHA256, User: "sluice", Password: topology.NewSecret("pw")}}
			it := checkTransactional(context.Background(), s, &Cluster{Task: "orders"}, 10*time.Second)
			t.Logf("%s: %s → %s", it.Status, it.Detail, it.Fix)
			if it.Name != "sink.k.transactional_id" || it.Status != tc.want {
				t.Fatalf("item %s is %s, want %s", it.Name, it.Status, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(it.Detail, s) {
					t.Errorf("detail %q does not say %q", it.Detail, s)
				}
			}
			if tc.want == Fail && !strings.Contains(it.Fix, "--operation Write --transactional-id sluice/ --resource-pattern-type prefixed") {
				t.Errorf("fix %q does not name the prefixed ACL", it.Fix)
			}
		})
	}
}
