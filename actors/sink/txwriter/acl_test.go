package txwriter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/topology"
)

// TestWriter_ACLs pins the permissions docs/cluster.md lists for a
// transactional sink, against kfake's authorizer (which checks the
// operations Kafka's does, and lets WRITE imply DESCRIBE as Kafka's does):
// WRITE on the topics and on the transactional id (a prefixed ACL on
// "sluice/" covers every task); no cluster-level IDEMPOTENT_WRITE.
func TestWriter_ACLs(t *testing.T) {
	topicWrite := kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: "t", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationWrite, Allow: true}
	topicDescribe := topicWrite
	topicDescribe.Operation = kmsg.ACLOperationDescribe
	txnWrite := kfake.ACL{Resource: kmsg.ACLResourceTypeTransactionalId, Name: "sluice/", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationWrite, Allow: true}
	txnDescribe := txnWrite
	txnDescribe.Operation = kmsg.ACLOperationDescribe
	for _, tc := range []struct {
		name string
		acls []kfake.ACL
		want string // "" writes; otherwise Open or the commit fails terminally with it
	}{
		{"write on the topic and the transactional id", []kfake.ACL{topicWrite, txnWrite}, ""},
		{"no access to the transactional id", []kfake.ACL{topicWrite}, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"},
		{"describe only on the transactional id", []kfake.ACL{topicWrite, txnDescribe}, "grant it WRITE on the TransactionalId"},
		{"no write on the topic", []kfake.ACL{topicDescribe, txnWrite}, "grant it WRITE (and DESCRIBE) on the topic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fakeCluster(t, kfake.SeedTopics(1, "t"), kfake.EnableSASL(), kfake.EnableACLs(),
				kfake.Superuser("SCRAM-SHA-256", "admin", "admin-pw"), kfake.User("SCRAM-SHA-256", "sluice", "pw", tc.acls...))
			s := testSink(c.ListenAddrs())
			s.SASL = topology.SASL{Mechanism: topology.SASLScramSHA256, User: "sluice", Password: topology.NewSecret("pw")}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			w, err := Open(ctx, Config{Sink: s, TransactionalID: TransactionalID("orders", "main"), RetryFor: 2 * time.Second})
			if err == nil {
				defer w.Close()
				p := w.Submit(msgs("t", "acl", 3, 1))
				_ = w.Commit(ctx)
				err = p.Wait(ctx)
			}
			if err != nil {
				t.Logf("%v", err)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("write with every permission: %v", err)
			case tc.want != "" && (err == nil || !errkind.IsTerminal(err) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want a terminal error with %q", err, tc.want)
			}
		})
	}
}
