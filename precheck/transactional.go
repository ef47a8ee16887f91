package precheck

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sluicecdc/sluice/actors/sink/txwriter"
	"github.com/sluicecdc/sluice/topology"
)

// Cluster is how a cluster node runs a task, for Options.Cluster.
type Cluster struct {
	// Task is the task's name in the cluster: its sinks' transactional ids
	// are txwriter.TransactionalID(Task, sink).
	Task string
}

// ProbeTransactionalID is the transactional id the precheck opens for a
// task's sink: under the sink's own id, never that id itself, which would
// fence the node that runs the task.
func ProbeTransactionalID(task, sink string) string {
	return txwriter.TransactionalID(task, sink) + "/precheck"
}

// checkTransactional proves that the sink's principal may use the task's
// transactional ids: it opens the probe id (an InitProducerID, as a new
// owner's writer does, on an id nobody writes with) and closes it. A
// prefixed grant on "sluice/" covers the probe as it covers the task's id;
// a literal grant on the task's id alone does not, which the failure says.
func checkTransactional(ctx context.Context, s *topology.Sink, c *Cluster, timeout time.Duration) Item {
	name := "sink." + s.Name + ".transactional_id"
	probe, id := ProbeTransactionalID(c.Task, s.Name), txwriter.TransactionalID(c.Task, s.Name)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w, err := txwriter.Open(ctx, txwriter.Config{Sink: s, TransactionalID: probe, RetryFor: time.Second, RequestTimeout: timeout})
	if err == nil {
		_ = w.Close()
		return Item{Name: name, Status: Pass,
			Detail: fmt.Sprintf("the sink's Kafka principal may initialise transactional ids under %s (probe %s)", id, probe)}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"), strings.Contains(msg, "TransactionalId"):
		return Item{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the sink's Kafka principal may not initialise the probe transactional id %s (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); "+
				"a cluster node writes through transactional id %s and would fail the same way (a literal grant on exactly %s does not cover the probe)",
				probe, id, id),
			Fix: "grant WRITE on the transactional ids under sluice/: kafka-acls.sh --bootstrap-server BROKER --add --allow-principal User:NAME " +
				"--operation Write --transactional-id sluice/ --resource-pattern-type prefixed (with a literal grant on " + id +
				" instead, --ignore " + name + ")"}
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(msg, "context deadline exceeded"):
		return Item{Name: name, Status: Fail,
			Detail: fmt.Sprintf("the probe transactional id %s got no producer id within %s: %v", probe, timeout, err),
			Fix: "the broker's transaction coordinator must be available: transaction.state.log.replication.factor no higher than the " +
				"broker count and transaction.state.log.min.isr met (Kafka creates __transaction_state on the first transactional producer)"}
	}
	return Item{Name: name, Status: Fail, Detail: fmt.Sprintf("opening the probe transactional id %s: %v", probe, err),
		Fix: "fix the Kafka error above; a cluster node opens transactional id " + id + " the same way"}
}
