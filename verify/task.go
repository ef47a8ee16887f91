package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/sluicecdc/sluice/internal/kafkatls"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// Report is what verifying a task found.
type Report struct {
	Tables []*TableResult `json:"tables"`
	// Skipped lists tables of the task that were not compared, with why.
	Skipped []string `json:"skipped,omitempty"`
	// Records counts the row records of the compared tables read.
	Records int `json:"records"`
	// Problems lists broken guarantees found while replaying (a key in two
	// partitions, a record of a table the task does not select).
	Problems []string `json:"problems,omitempty"`
}

// Clean reports whether every compared table agrees with its topic.
func (r *Report) Clean() bool {
	for _, t := range r.Tables {
		if !t.Clean() {
			return false
		}
	}
	return len(r.Problems) == 0
}

// TaskOptions select what a task's verification covers.
type TaskOptions struct {
	Options
	// Table, when set ("db.table"), compares that table alone.
	Table string
}

// target is one compared table and where its records are.
type target struct {
	pl    *topology.Pipeline
	table *Table
	topic string
}

// Task compares every table dag selects (or opts.Table) with the topic it
// is written to: each topic is read from its earliest offset with a client
// of its own and replayed, then each table is compared with Compare over a
// connection with the source's own account. Tables whose rows a table rule
// or transform filters, projects, renames or masks are skipped (their topic
// is not meant to equal the table).
func Task(ctx context.Context, dag *topology.DAG, opts TaskOptions) (*Report, error) {
	rep := &Report{}
	var targets []*target
	found := false
	conns := map[*topology.Source]*client.Conn{}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for _, pl := range dag.Pipelines {
		conn := conns[pl.Source]
		if conn == nil {
			c, err := sourcedb.Dial(ctx, pl.Source)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", pl.Source.Name, err)
			}
			conn = c
			conns[pl.Source] = conn
		}
		names, err := sourcedb.ListTables(ctx, conn, func(db, table string) bool {
			_, ok := pl.Source.Objects.Match(db, table)
			return ok
		})
		if err != nil {
			return nil, fmt.Errorf("source %s: listing the selected tables: %w", pl.Source.Name, err)
		}
		for _, n := range names {
			if opts.Table != "" && n.String() != opts.Table {
				continue
			}
			found = true
			topic, why := topicOf(pl, n.Schema, n.Name)
			if why != "" {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (sink %s): %s", n, pl.Sink.Name, why))
				continue
			}
			desc, err := sourcedb.Describe(ctx, conn, n.Schema, n.Name)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", pl.Source.Name, err)
			}
			if desc.Versioning != nil {
				rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: system-versioned; verify compares plain tables only", n))
				continue
			}
			t, err := TableOf(desc)
			if err != nil {
				rep.Skipped = append(rep.Skipped, err.Error())
				continue
			}
			targets = append(targets, &target{pl: pl, table: t, topic: topic})
		}
	}
	if opts.Table != "" && !found {
		return nil, fmt.Errorf("table %s is not selected by the task (--table takes db.table as the source names it)", opts.Table)
	}
	// One read per sink and topic.
	type group struct {
		sink    *topology.Sink
		topic   string
		targets []*target
	}
	groups := map[string]*group{}
	var order []string
	for _, tg := range targets {
		id := tg.pl.Sink.Name + "\x00" + tg.topic
		g := groups[id]
		if g == nil {
			g = &group{sink: tg.pl.Sink, topic: tg.topic}
			groups[id] = g
			order = append(order, id)
		}
		g.targets = append(g.targets, tg)
	}
	for _, id := range order {
		g := groups[id]
		tables := map[string]*Table{}
		keyCols := map[string][]string{}
		for _, tg := range g.targets {
			tables[tg.table.ID()] = tg.table
			keyCols[tg.table.ID()] = tg.table.Key
		}
		dec, err := NewDecoder(g.sink, tables)
		if err != nil {
			return nil, err
		}
		kopts, err := ClientOpts(g.sink)
		if err != nil {
			return nil, err
		}
		rp := NewReplayer(keyCols, dec)
		rp.ApplyResends = true
		// Records of tables not compared (skipped, or not --table) may share
		// the topic: they are left out.
		err = Stream(ctx, g.topic, func(m kafka.Message) error {
			recs, err := dec(m)
			if err != nil || len(recs) == 0 || tables[recs[0].Table] == nil {
				return err
			}
			rp.ApplyDecoded(m.Partition, recs)
			return nil
		}, kopts...)
		if err != nil {
			return nil, fmt.Errorf("sink %s: reading topic %s: %w", g.sink.Name, g.topic, err)
		}
		rep.Records += rp.State.Applied
		for _, p := range rp.State.Problems {
			rep.Problems = append(rep.Problems, g.topic+": "+p)
		}
		for _, tg := range g.targets {
			o := opts.Options
			o.WKBOnly = g.sink.Format == topology.FormatDTSAvro
			res, err := Compare(ctx, conns[tg.pl.Source], tg.table, rp.State.Tables[tg.table.ID()], o)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", tg.pl.Source.Name, err)
			}
			res.Topic = g.topic
			rep.Tables = append(rep.Tables, res)
		}
	}
	sort.Slice(rep.Tables, func(i, j int) bool { return rep.Tables[i].Table < rep.Tables[j].Table })
	return rep, nil
}

// topicOf is the topic the rows of db.table take through pl, or why the
// topic is not meant to equal the table.
func topicOf(pl *topology.Pipeline, db, table string) (topic, why string) {
	rules, _ := pl.Rules(db, table)
	for _, r := range rules {
		c := r.Columns
		switch {
		case r.Filter != nil:
			return "", "a row filter applies (" + r.Filter.String() + "): the topic holds only the rows it keeps"
		case len(c.Include) > 0 || len(c.Exclude) > 0 || len(c.Rename) > 0 || len(c.Mask) > 0:
			return "", "a column rule projects, renames or masks its columns: the topic's rows are not the table's"
		}
	}
	return pl.Topic(db, table), ""
}

// ClientOpts are the franz-go options that reach sink s's cluster: its
// brokers, TLS and SASL.
func ClientOpts(s *topology.Sink) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(s.Brokers...)}
	tc, err := kafkatls.Config(s.TLS)
	if err != nil {
		return nil, fmt.Errorf("sink %s: %w", s.Name, err)
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	var m sasl.Mechanism
	user, pass := s.SASL.User, s.SASL.Password.Value()
	switch s.SASL.Mechanism {
	case topology.SASLNone:
	case topology.SASLPlain:
		m = plain.Auth{User: user, Pass: pass}.AsMechanism()
	case topology.SASLScramSHA256:
		m = scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()
	case topology.SASLScramSHA512:
		m = scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()
	default:
		return nil, fmt.Errorf("sink %s: sasl mechanism %q unknown: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Name, s.SASL.Mechanism)
	}
	if m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// String renders the report for people: one line per table, then the
// first differing keys.
func (r *Report) String() string {
	var b strings.Builder
	for _, t := range r.Tables {
		state := "ok"
		if !t.Clean() {
			state = "DIFFERS"
		}
		fmt.Fprintf(&b, "%-7s %s (topic %s): %d source rows, %d topic rows, %d chunks (%d checked, %d differing): %d missing, %d extra, %d differing\n",
			state, t.Table, t.Topic, t.SourceRows, t.TopicRows, t.Chunks, t.Checked, t.Differing, t.Missing, t.Extra, t.Changed)
		for _, k := range t.MissingKeys {
			fmt.Fprintf(&b, "        missing   %s\n", k)
		}
		for _, k := range t.ExtraKeys {
			fmt.Fprintf(&b, "        extra     %s\n", k)
		}
		for _, k := range t.ChangedKeys {
			fmt.Fprintf(&b, "        differing %s\n", k)
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped %s\n", s)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem %s\n", p)
	}
	fmt.Fprintf(&b, "%d records replayed\n", r.Records)
	return b.String()
}
