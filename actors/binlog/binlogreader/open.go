package binlogreader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/errkind"
	"github.com/sluicecdc/sluice/internal/mysqltls"
	"github.com/sluicecdc/sluice/schema"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// Defaults of the replication connection.
const (
	// DefaultHeartbeat is how often an idle source sends a heartbeat.
	DefaultHeartbeat = 5 * time.Second
	// DefaultReadTimeout is how long a read from the source may stay silent
	// (while Sluice is reading) before the connection counts as lost. It must
	// exceed the heartbeat period.
	DefaultReadTimeout = 30 * time.Second
	// queueEvents bounds the decoded events waiting between the network
	// reader and ReadBatch. When it is full the reader stops reading and TCP
	// pushes back on the source.
	queueEvents = 64
	// netWriteTimeout is set on the dump session so that the source does not
	// drop a replica that stops reading for a while (out of credit).
	netWriteTimeout = 3600
)

// Config configures a Stream.
type Config struct {
	// Source is the server and the account; Start is used when Open gets a
	// zero Resume.
	Source *topology.Source
	// Select says which tables pass; nil passes all. It is called once per
	// distinct table definition and per DDL, not per row. Database-level
	// DDL passes when Source.Objects can select a table of its database
	// (topology.Objects.MatchDatabase), or always when Select is nil.
	Select func(db, table string) bool
	// Logger receives connection-level logs, never per-row ones.
	Logger *slog.Logger
	// HeartbeatPeriod and ReadTimeout default to DefaultHeartbeat and
	// DefaultReadTimeout.
	HeartbeatPeriod time.Duration
	ReadTimeout     time.Duration
	// History, when set, is the source's schema history: every selected
	// TABLE_MAP is matched against the definition at its position (names,
	// keys, signedness and ENUM/SET values come from it when the binlog's
	// row metadata lacks them) and DDL advances it. Nil decodes from the
	// TABLE_MAP alone (col_N names without FULL row metadata).
	History *schema.History
	// XAHoldBytes bounds the binlog bytes of the rows prepared XA
	// transactions hold until their XA COMMIT (default DefaultXAHoldBytes);
	// past it the stream stops with a terminal error.
	XAHoldBytes int
}

// Resume is where a stream starts again: a Mark's position and GTID set and
// the sequence number that follows the Mark's.
type Resume struct {
	Pos     change.Position
	GTIDSet string
	NextSeq uint64
}

// IsZero reports whether no resume point is set.
func (r Resume) IsZero() bool { return r.Pos.IsZero() && r.GTIDSet == "" }

// ResumeFrom returns the resume point just after m.
func ResumeFrom(m *change.Mark) Resume {
	return Resume{Pos: m.Pos, GTIDSet: m.GTIDSet, NextSeq: m.Seq + 1}
}

// Stream reads one source's binlog as batches of changes. It is pull-based:
// nothing is read beyond a small queue of events unless ReadBatch is called.
// A Stream is used by one goroutine (the reader actor); Close may be called
// from any goroutine.
type Stream struct {
	name   string
	flavor string
	log    *slog.Logger
	start  string // the requested start, for errors
	src    *topology.Source

	schema *schema.Tables  // the schema history at the stream's position; nil without one
	rctx   context.Context // the current ReadBatch's context (for re-reads from the server)
	parser *sourcedb.Parser

	syncer    *replication.BinlogSyncer
	events    chan *replication.BinlogEvent
	errc      chan error    // the replication connection's end, once
	done      chan struct{} // closed by Close
	closeOnce sync.Once

	tables   *tableCache
	checksum bool // events carry a CRC32 trailer

	file string
	gset mysql.GTIDSet // executed set; nil when unknown

	// The open transaction.
	inTxn   bool
	txnGTID string
	txnSID  uuid.UUID
	txnTag  mysql.Tag
	txnGNO  int64
	txnMDB  mysql.MariadbGTID
	txnSet  string   // executed set after the open transaction (txnExecuted); "" until asked
	setBuf  []byte   // scratch of txnExecuted
	setDoms []uint32 // scratch of txnExecuted
	txnRow  uint32
	txnTime uint32
	hasGTID bool

	nextSeq uint64

	mark      change.Mark // last transaction boundary (GTIDSet filled when sent)
	markDirty bool        // a boundary was passed since the last Mark sent

	// Work in progress, carried across ReadBatch calls.
	inner    []*replication.BinlogEvent // events of a TRANSACTION_PAYLOAD_EVENT
	innerIdx int
	rows     *replication.RowsEvent
	rowsHdr  *replication.EventHeader
	rowsTab  *tableEntry
	rowsOp   change.Op
	rowsIdx  int

	// dec decodes rows events (decode.go); goMySQLRows makes go-mysql
	// decode them instead, for the tests that compare the two.
	dec         rowDecoder
	goMySQLRows bool
	fullBatch   int // changes of the last batch when it ended full, else 0

	// XA transactions (xa.go): the group being read, the prepared ones in
	// binlog order, and the rows of a committed one still to emit.
	xa          *xaGroup
	prepared    []*xaGroup
	heldBytes   int
	xaHoldLimit int
	release     []heldRows
	releaseHdr  *replication.EventHeader

	fatal    error // the connection ended; reported once the queue is drained
	err      error // sticky: ReadBatch returns it forever
	progress Progress

	warnedDML map[string]bool

	skips map[change.Position]store.Skip // recorded skip decisions ahead (skip.go)
}

// newStream builds a stream around an event queue; Open connects it.
func newStream(cfg Config, nextSeq uint64) *Stream {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src := cfg.Source
	flavor := mysql.MySQLFlavor
	if src.Flavor == topology.FlavorMariaDB {
		flavor = mysql.MariaDBFlavor
	}
	log = log.With(slog.String("source", src.Name))
	if nextSeq == 0 {
		nextSeq = 1
	}
	hold := cfg.XAHoldBytes
	if hold <= 0 {
		hold = DefaultXAHoldBytes
	}
	var dbs func(string) bool
	if cfg.Select != nil {
		dbs = src.Objects.MatchDatabase
	}
	s := &Stream{
		name:        src.Name,
		flavor:      flavor,
		log:         log,
		events:      make(chan *replication.BinlogEvent, queueEvents),
		errc:        make(chan error, 1),
		done:        make(chan struct{}),
		tables:      newTableCache(cfg.Select, dbs, flavor, log),
		src:         src,
		parser:      sourcedb.NewParser(),
		nextSeq:     nextSeq,
		warnedDML:   make(map[string]bool),
		xaHoldLimit: hold,
	}
	s.mark.Seq = nextSeq - 1
	return s
}

// Open connects to the source and starts reading its binlog at from, or, when
// from is zero, at cfg.Source.Start (latest: the current end of the binlog;
// file: a file and position; gtid: a GTID set). With a GTID set, the stream
// resumes by GTID (which survives a failover); otherwise by file and position.
// Sequence numbers start at from.NextSeq (1 when zero).
//
// Errors are terminal (errkind) when a retry cannot help: binlog purged,
// privileges missing, start mode unsupported.
func Open(ctx context.Context, cfg Config, from Resume) (*Stream, error) {
	src := cfg.Source
	if src == nil {
		return nil, errkind.Terminal(errors.New("binlog reader: no source configured"))
	}
	if src.ServerID == 0 {
		return nil, errkind.Terminal(fmt.Errorf("source %q: server_id 0 cannot replicate; set a unique server_id", src.Name))
	}
	s := newStream(cfg, from.NextSeq)

	var pos change.Position
	gtids := from.GTIDSet
	byGTID := false
	switch {
	case !from.IsZero():
		pos = from.Pos
		byGTID = from.GTIDSet != ""
	case src.Start.Mode == topology.StartGTID:
		gtids, byGTID = src.Start.GTID, true
		if gtids == "" {
			return nil, errkind.Terminal(fmt.Errorf("source %q: start mode gtid needs a GTID set", src.Name))
		}
	case src.Start.Mode == topology.StartFilePos:
		pos = change.Position{File: src.Start.File, Pos: src.Start.Pos}
	case src.Start.Mode == topology.StartTimestamp:
		return nil, errkind.Terminal(fmt.Errorf("source %q: start mode timestamp is not supported yet; use latest, file or gtid", src.Name))
	default: // latest, or initial without a snapshot position
		var err error
		if pos, gtids, err = sourcedb.CurrentPosition(ctx, src); err != nil {
			return nil, err
		}
	}
	if pos.Pos < 4 {
		pos.Pos = 4
	}
	if !byGTID && gtids == "" && s.flavor == mysql.MariaDBFlavor {
		// Learn MariaDB's GTID position at the start so that Marks carry it.
		c, err := sourcedb.Dial(ctx, src)
		if err != nil {
			return nil, err
		}
		gtids, err = sourcedb.GTIDAt(c, src, pos)
		c.Close()
		if err != nil {
			return nil, err
		}
	}
	// The executed GTID set is known when given, on MariaDB (looked up
	// above; its positions are per domain), and at MySQL's current
	// position. Otherwise (MySQL from a file position) it stays unknown until
	// the next file's PREVIOUS_GTIDS event, and Marks carry no GTID set.
	latest := from.IsZero() && src.Start.Mode != topology.StartFilePos && src.Start.Mode != topology.StartGTID
	if gtids != "" || byGTID || s.flavor == mysql.MariaDBFlavor || latest {
		g, err := mysql.ParseGTIDSet(s.flavor, gtids)
		if err != nil {
			return nil, errkind.Terminal(fmt.Errorf("source %q: GTID set %q: %w", src.Name, gtids, err))
		}
		s.gset = g
	}
	if cfg.History != nil {
		at := pos
		if byGTID && from.IsZero() {
			at = change.Position{} // a GTID set alone: the newest definitions
		}
		t, err := cfg.History.Open(ctx, at, gtids)
		if err != nil {
			return nil, fmt.Errorf("source %q: schema history: %w", src.Name, err)
		}
		s.schema = t
		s.tables.hist, s.tables.resolve = t, s.resolve
		if err := s.loadSkips(cfg.History, from.Pos); err != nil {
			return nil, err
		}
	}
	s.file = pos.File
	s.mark.Pos = pos
	if byGTID {
		s.start = "GTID set " + gtids
		s.mark.Pos = change.Position{}
	} else {
		s.start = pos.String()
	}

	if err := s.connect(ctx, cfg, pos, byGTID); err != nil {
		return nil, err
	}
	s.log.Info("binlog stream open", slog.String("start", s.start), slog.String("gtid_set", gtids))
	return s, nil
}

// handoff delivers events from go-mysql's reader goroutine into the queue,
// blocking (and so stopping the reads) while the queue is full.
type handoff struct {
	events chan<- *replication.BinlogEvent
	done   <-chan struct{}
}

func (h *handoff) HandleEvent(e *replication.BinlogEvent) error {
	select {
	case h.events <- e:
		return nil
	case <-h.done:
		return errStreamClosed
	}
}

var _ replication.EventHandler = (*handoff)(nil)

func (s *Stream) connect(ctx context.Context, cfg Config, pos change.Position, byGTID bool) error {
	src := cfg.Source
	tc, err := mysqltls.Config(&src.TLS, src.Host)
	if err != nil {
		return err
	}
	hb := cfg.HeartbeatPeriod
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	rt := cfg.ReadTimeout
	if rt <= 0 {
		rt = DefaultReadTimeout
	}
	if rt <= hb {
		rt = 3 * hb
	}
	s.syncer = replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID:  src.ServerID,
		Flavor:    s.flavor,
		Host:      src.Host,
		Port:      uint16(src.Port),
		User:      src.User,
		Password:  src.Password.Value(),
		TLSConfig: tc,
		// DATETIME and TIMESTAMP values come as time.Time and are rendered
		// by normalize (temporal.go): go-mysql's strings cost an
		// fmt.Sprintf per value, a sixth of the catch-up path's CPU.
		ParseTime:               true,
		TimestampStringLocation: time.UTC,
		UseDecimal:              false,
		// Rows events come with their header decoded and their rows left
		// as bytes, for the row decoder (decode.go).
		RowsEventDecodeFunc: rawRows,
		HeartbeatPeriod:     hb,
		ReadTimeout:         rt,
		// go-mysql's own reconnect resumes mid-transaction (file/pos) or
		// replays the open transaction (GTID); the supervisor restarts the
		// reader from its checkpoint instead.
		DisableRetrySync:     true,
		MaxReconnectAttempts: 1,
		// Sluice tracks the executed set itself; go-mysql would clone its
		// own copy onto every XID and QUERY event.
		DiscardGTIDSet: true,
		VerifyChecksum: true,
		// MariaDB 11.4+ leaves LogPos 0 on some events unless asked.
		FillZeroLogPos:            s.flavor == mysql.MariaDBFlavor,
		PayloadDecoderConcurrency: 1,
		EventCacheCount:           1, // unused: events go through SynchronousEventHandler
		Logger:                    s.log,
		SynchronousEventHandler:   &handoff{events: s.events, done: s.done},
		Option: func(c *client.Conn) error {
			_, err := c.Execute("SET SESSION net_write_timeout = " + strconv.Itoa(netWriteTimeout))
			return err
		},
	})
	var st *replication.BinlogStreamer
	if byGTID {
		// go-mysql updates the set it is given: hand it a copy.
		st, err = s.syncer.StartSyncGTID(s.gset.Clone())
	} else {
		st, err = s.syncer.StartSync(mysql.Position{Name: pos.File, Pos: pos.Pos})
	}
	if err != nil {
		s.syncer.Close()
		var me *mysql.MyError
		if errors.As(err, &me) && me.Code == mysql.ER_ACCESS_DENIED_ERROR {
			// MariaDB answers COM_REGISTER_SLAVE without REPLICATION SLAVE
			// with the same error as a wrong password: tell them apart.
			if c, lerr := sourcedb.Dial(ctx, src); lerr == nil {
				c.Close()
				return errkind.Terminal(fmt.Errorf(
					"source %q: the account logs in but may not read the binlog (it lacks REPLICATION SLAVE): "+
						"run GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO the Sluice account: %w", s.name, err))
			}
		}
		return classifyServerError(err, src, s.start)
	}
	go func() {
		// In synchronous mode the streamer only ever delivers the end of
		// the connection.
		_, err := st.GetEvent(context.Background())
		s.errc <- err
	}()
	return nil
}

// Close stops the replication connection. It is safe to call more than once
// and from another goroutine than ReadBatch's.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.syncer != nil {
			s.syncer.Close()
		}
	})
	return nil
}
