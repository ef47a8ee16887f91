package partitions

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

// CheckEvery is how often a running sink compares its topics' partition
// counts with Kafka's: a metadata request per sink, cheap beside the writes.
const CheckEvery = 10 * time.Second

// Counts maps a topic to its partition count.
type Counts map[string]int

// Changed lists, sorted by topic, every topic of sink whose count in have
// differs from the one in known. Topics missing from either side (or
// recorded as 0) are not compared (a missing topic is the writer's error to report).
func Changed(sink string, known, have Counts) []*ChangedError {
	topics := make([]string, 0, len(known))
	for t := range known {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var out []*ChangedError
	for _, t := range topics {
		if was, now := known[t], have[t]; was != 0 && now != 0 && was != now {
			out = append(out, &ChangedError{Sink: sink, Topic: t, Was: was, Now: now})
		}
	}
	return out
}

// Check is Changed as one terminal error (nil when nothing changed): the
// task must not write on.
func Check(sink string, known, have Counts) error {
	var errs []error
	for _, c := range Changed(sink, known, have) {
		errs = append(errs, c)
	}
	return errkind.Terminal(errors.Join(errs...))
}

// ChangedError is one topic whose partition count changed.
type ChangedError struct {
	Sink, Topic string
	Was, Now    int
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("sink %q: topic %s has %d partitions but had %d when this task routed its records: keys now hash to other partitions, "+
		"so one key's changes would land in two partitions and per-key order would be lost. Sluice stops rather than write so. "+
		"Fix: recreate topic %s with %d partitions, or take a new snapshot into a fresh topic (docs/partitioning.md, "+
		"\"Changing a topic's partition count\")", e.Sink, e.Topic, e.Now, e.Was, e.Topic, e.Was)
}
