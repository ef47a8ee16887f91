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
	// distinct table definition, not per row.
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

// Progress reports where a stream is, for status and lag.
type Progress struct {
	// Pos is the last transaction boundary read.
	Pos change.Position
	// CommitTime is the commit time (Unix seconds) of the last transaction read.
	CommitTime uint32
	// CaughtUpAt is when the source last sent a heartbeat while the stream
	// was at a transaction boundary with nothing queued: the stream had read
	// everything the source had written. Zero until then.
	CaughtUpAt time.Time
	// Events and Changes count binlog events read and changes emitted.
	Events, Changes uint64
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

	fatal    error // the connection ended; reported once the queue is drained
	err      error // sticky: ReadBatch returns it forever
	progress Progress

	warnedDML map[string]bool
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
	s := &Stream{
		name:      src.Name,
		flavor:    flavor,
		log:       log,
		events:    make(chan *replication.BinlogEvent, queueEvents),
		errc:      make(chan error, 1),
		done:      make(chan struct{}),
		tables:    newTableCache(cfg.Select, flavor, log),
		src:       src,
		nextSeq:   nextSeq,
		warnedDML: make(map[string]bool),
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
		if pos, gtids, err = CurrentPosition(ctx, src); err != nil {
			return nil, err
		}
	}
	if pos.Pos < 4 {
		pos.Pos = 4
	}
	if !byGTID && gtids == "" && s.flavor == mysql.MariaDBFlavor {
		// Learn MariaDB's GTID position at the start so that Marks carry it.
		c, err := connect(ctx, src)
		if err != nil {
			return nil, err
		}
		gtids, err = mariadbGTIDAt(c, src, pos)
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
		ServerID:                src.ServerID,
		Flavor:                  s.flavor,
		Host:                    src.Host,
		Port:                    uint16(src.Port),
		User:                    src.User,
		Password:                src.Password.Value(),
		TLSConfig:               tc,
		ParseTime:               false,
		TimestampStringLocation: time.UTC,
		UseDecimal:              false,
		HeartbeatPeriod:         hb,
		ReadTimeout:             rt,
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
			if c, lerr := connect(ctx, src); lerr == nil {
				c.Close()
				return errkind.Terminal(fmt.Errorf(
					"source %q: the account logs in but may not read the binlog (it lacks REPLICATION SLAVE): "+
						"run GRANT SELECT, REPLICATION CLIENT, REPLICATION SLAVE, SHOW VIEW ON *.* TO the Sluice account: %w", s.name, err))
			}
		}
		return classifyServerError(err, s.name, s.start)
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

// Progress returns the stream's progress. Call it from ReadBatch's goroutine.
func (s *Stream) Progress() Progress { return s.progress }

// ReadBatch returns the next changes, in binlog order.
//
// It blocks until it has at least one change or a new Mark, or until maxWait
// passes; then it returns what it has, possibly an empty batch without Mark.
// It stops filling once batch.Bytes >= maxBytes, even inside a transaction:
// the rest follows in the next batches. batch.Mark, when set, is the last
// transaction boundary passed in this call.
//
// An error ends the stream: retryable ones (connection lost) and terminal
// ones (errkind) alike; the caller restarts from its checkpoint. ctx
// cancellation returns what was read so far, or ctx.Err() when nothing was.
func (s *Stream) ReadBatch(ctx context.Context, maxBytes int, maxWait time.Duration) (*change.Batch, error) {
	return s.read(ctx, maxBytes, maxWait, false)
}

// ReadToBoundary is ReadBatch that also returns as soon as a transaction
// ends: a graceful shutdown uses it to finish the transaction in progress
// without starting the next one.
func (s *Stream) ReadToBoundary(ctx context.Context, maxBytes int, maxWait time.Duration) (*change.Batch, error) {
	return s.read(ctx, maxBytes, maxWait, true)
}

func (s *Stream) read(ctx context.Context, maxBytes int, maxWait time.Duration, toBoundary bool) (*change.Batch, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.rctx = ctx
	b := &change.Batch{Source: s.name, Changes: make([]change.Change, 0, 64)}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for b.Bytes < maxBytes {
		if s.rows != nil {
			s.drainRows(b, maxBytes)
			continue
		}
		var ev *replication.BinlogEvent
		if s.innerIdx < len(s.inner) {
			ev = s.inner[s.innerIdx]
			s.innerIdx++
			if err := s.handle(ev, b, true); err != nil {
				return s.fail(err)
			}
			if toBoundary && s.markDirty && s.rows == nil && s.innerIdx >= len(s.inner) {
				return s.finish(b), nil
			}
			continue
		}
		s.inner, s.innerIdx = nil, 0

		select {
		case ev = <-s.events:
		default:
			if len(b.Changes) > 0 || s.markDirty {
				return s.finish(b), nil
			}
			if s.fatal != nil {
				return s.fail(s.fatal)
			}
			if timer == nil {
				timer = time.NewTimer(maxWait)
			}
			select {
			case ev = <-s.events:
			case err := <-s.errc:
				s.fatal = s.connectionEnded(err)
				continue // drain what was queued before the end
			case <-timer.C:
				return s.finish(b), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-s.done:
				return s.fail(errStreamClosed)
			}
		}
		if err := s.handle(ev, b, false); err != nil {
			return s.fail(err)
		}
		if toBoundary && s.markDirty && s.rows == nil && s.innerIdx >= len(s.inner) {
			return s.finish(b), nil
		}
	}
	return s.finish(b), nil
}

func (s *Stream) connectionEnded(err error) error {
	select {
	case <-s.done:
		return errStreamClosed
	default:
	}
	if errors.Is(err, replication.ErrSyncClosed) || errors.Is(err, errStreamClosed) {
		return errStreamClosed
	}
	return classifyServerError(err, s.name, s.where())
}

// where describes the stream's position for errors.
func (s *Stream) where() string {
	p := change.Position{File: s.file, Pos: s.mark.Pos.Pos}
	if s.mark.Pos.File == "" {
		return s.start
	}
	return p.String()
}

func (s *Stream) fail(err error) (*change.Batch, error) {
	s.err = err
	return nil, err
}

// finish attaches the Mark of the last boundary passed, if any.
func (s *Stream) finish(b *change.Batch) *change.Batch {
	if s.markDirty {
		m := s.mark
		if s.gset != nil {
			m.GTIDSet = s.gset.String()
		}
		b.Mark = &m
		s.markDirty = false
	}
	return b
}

// executed is the GTID set executed at the last transaction boundary read;
// "" when unknown.
func (s *Stream) executed() string {
	if s.gset == nil {
		return ""
	}
	return s.gset.String()
}

// handle applies one event to the stream state, appending changes to b.
// inner is true for events unpacked from a TRANSACTION_PAYLOAD_EVENT.
func (s *Stream) handle(ev *replication.BinlogEvent, b *change.Batch, inner bool) error {
	s.progress.Events++
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RowsEvent:
		if h.EventType == replication.PARTIAL_UPDATE_ROWS_EVENT {
			return errkind.Terminal(fmt.Errorf(
				"source %q writes partial JSON updates (PARTIAL_UPDATE_ROWS_EVENT at %s:%d), which Sluice cannot apply: "+
					"SET GLOBAL binlog_row_value_options='' on the source and take a new snapshot of the affected tables",
				s.name, s.file, h.LogPos))
		}
		t := s.tables.byID[e.TableID]
		if t == nil {
			return fmt.Errorf("binlog of source %q at %s:%d: rows event for table id %d without TABLE_MAP", s.name, s.file, h.LogPos, e.TableID)
		}
		if !t.selected || len(e.Rows) == 0 {
			return nil
		}
		op := change.OpInsert
		switch e.Type() {
		case replication.EnumRowsEventTypeUpdate:
			op = change.OpUpdate
		case replication.EnumRowsEventTypeDelete:
			op = change.OpDelete
		}
		s.rows, s.rowsHdr, s.rowsTab, s.rowsOp, s.rowsIdx = e, h, t, op, 0
	case *replication.TableMapEvent:
		at := change.Position{File: s.file, Pos: h.LogPos - h.EventSize}
		if _, err := s.tables.observe(e, tableDef(ev.RawData, s.checksum && !inner), at); err != nil {
			return err
		}
	case *replication.XIDEvent:
		s.endTxn(h)
	case *replication.QueryEvent:
		return s.query(e, h, b)
	case *replication.MariadbGTIDEvent:
		s.beginGroup(h)
		s.hasGTID = true
		s.txnMDB = e.GTID
		s.txnGTID = e.GTID.String()
		s.inTxn = !e.IsStandalone()
	case *replication.GTIDEvent:
		s.mysqlGTID(e, mysql.Tag{}, h)
	case *replication.GtidTaggedLogEvent:
		s.mysqlGTID(&e.GTIDEvent, e.Tag, h)
	case *replication.TransactionPayloadEvent:
		s.inner, s.innerIdx = e.Events, 0
	case *replication.RotateEvent:
		s.file = string(e.NextLogName)
		if !s.inTxn {
			s.mark.Pos = change.Position{File: s.file, Pos: uint32(e.Position)}
			// A real rotate (not the fake one a dump starts with) moves the
			// resume point to the next file: worth a Mark.
			if h.Timestamp != 0 && h.LogPos != 0 {
				s.markDirty = true
			}
		}
	case *replication.FormatDescriptionEvent:
		if !inner {
			s.checksum = e.ChecksumAlgorithm == replication.BINLOG_CHECKSUM_ALG_CRC32
		}
	case *replication.PreviousGTIDsEvent:
		// At a file start it is the exact executed set: adopt it when the
		// start position did not tell.
		if s.gset == nil && !s.inTxn && s.flavor == mysql.MySQLFlavor {
			if g, err := mysql.ParseMysqlGTIDSet(e.GTIDSets); err == nil {
				s.gset = g
			}
		}
	case *replication.HeartbeatEvent:
		if !s.inTxn && s.rows == nil && len(s.events) == 0 {
			s.progress.CaughtUpAt = time.Now()
		}
	case *replication.GenericEvent:
		switch h.EventType {
		case replication.INCIDENT_EVENT:
			return errkind.Terminal(fmt.Errorf(
				"source %q logged an incident at %s:%d (changes may be missing from its binlog): "+
					"check the source's error log, then take a new snapshot (delete the checkpoint or set the start position)",
				s.name, s.file, h.LogPos))
		case replication.XA_PREPARE_LOG_EVENT:
			s.endTxn(h)
		}
	}
	return nil
}

// tableDef is the TABLE_MAP body without the header, the 6-byte table id and
// the checksum: equal bytes mean an equal table definition.
func tableDef(raw []byte, checksum bool) []byte {
	end := len(raw)
	if checksum {
		end -= replication.BinlogChecksumLength
	}
	start := replication.EventHeaderSize + 6
	if end < start {
		return nil
	}
	return raw[start:end]
}

func (s *Stream) beginGroup(h *replication.EventHeader) {
	s.inTxn = false
	s.txnRow = 0
	s.txnTime = h.Timestamp
	s.txnGTID = ""
	s.txnGNO = 0
}

func (s *Stream) mysqlGTID(e *replication.GTIDEvent, tag mysql.Tag, h *replication.EventHeader) {
	s.beginGroup(h)
	s.hasGTID = true
	if e.ImmediateCommitTimestamp != 0 {
		s.txnTime = uint32(e.ImmediateCommitTimestamp / 1_000_000)
	}
	u, err := uuid.FromBytes(e.SID)
	if err != nil || u == uuid.Nil { // ANONYMOUS_GTID_LOG_EVENT: GTIDs off
		return
	}
	s.txnSID, s.txnTag, s.txnGNO = u, tag, e.GNO
	if tag.String() != "" {
		s.txnGTID = u.String() + ":" + tag.String() + ":" + strconv.FormatInt(e.GNO, 10)
	} else {
		s.txnGTID = u.String() + ":" + strconv.FormatInt(e.GNO, 10)
	}
}

// endTxn records a transaction boundary at the end of the event h.
func (s *Stream) endTxn(h *replication.EventHeader) {
	if s.gset != nil && s.txnGTID != "" {
		switch g := s.gset.(type) {
		case *mysql.MariadbGTIDSet:
			gt := s.txnMDB
			_ = g.AddSet(&gt) // only fails on a domain mismatch, impossible here
		case *mysql.MysqlGTIDSet:
			g.AddGTIDWithTag(s.txnSID, s.txnTag, s.txnGNO)
		}
	}
	s.mark.Seq = s.nextSeq - 1
	s.mark.Pos = change.Position{File: s.file, Pos: h.LogPos}
	s.mark.Time = h.Timestamp
	s.markDirty = true
	s.progress.Pos = s.mark.Pos
	s.progress.CommitTime = h.Timestamp
	s.inTxn = false
	s.hasGTID = false
	s.txnGTID = ""
	s.txnRow = 0
	s.txnTime = 0
}

// query handles a QUERY event: transaction markers, DDL, and (a
// misconfiguration) statement-logged DML.
func (s *Stream) query(e *replication.QueryEvent, h *replication.EventHeader, b *change.Batch) error {
	switch classifyQuery(e.Query) {
	case queryBegin:
		if !s.hasGTID { // no GTID event opened this group (GTIDs off, old server)
			s.beginGroup(h)
		}
		s.inTxn = true
		return nil
	case queryCommit:
		s.endTxn(h)
		return nil
	case queryXAMarker:
		return nil
	case queryDDL:
		sql := string(e.Query)
		schema := string(e.Schema)
		if s.schema != nil {
			if err := s.applyDDL(sql, schema, change.Position{File: s.file, Pos: h.LogPos}); err != nil {
				return err
			}
		}
		var t *change.Table
		if db, name, ok := ddlTable(sql, schema); ok {
			if s.tables.sel != nil && !s.tables.sel(db, name) {
				break
			}
			t = &change.Table{Schema: db, Name: name}
		}
		c := change.Change{
			Seq: s.nextSeq, Op: change.OpDDL, Table: t, SQL: sql, Schema: schema,
			Pos: change.Position{File: s.file, Pos: h.LogPos, GTID: s.txnGTID},
			Row: s.txnRow, CommitTime: s.commitTime(h),
			Size: changeOverhead + len(sql) + len(schema),
		}
		s.nextSeq++
		s.txnRow++
		s.progress.Changes++
		b.Add(c)
	case queryDML:
		sql := string(e.Query)
		db, name, ok := dmlTable(sql, string(e.Schema))
		if ok && (s.tables.sel == nil || s.tables.sel(db, name)) {
			return errkind.Terminal(fmt.Errorf(
				"source %q logged a statement instead of rows for %s.%s at %s:%d (binlog_format is not ROW for that session): "+
					"SET GLOBAL binlog_format=ROW, make the writers reconnect, and take a new snapshot of that table",
				s.name, db, name, s.file, h.LogPos))
		}
		key := db + "." + name
		if !s.warnedDML[key] && len(s.warnedDML) < 1000 {
			s.warnedDML[key] = true
			s.log.Warn("statement-based DML in the binlog for an unselected table; ignored",
				slog.String("table", key), slog.String("pos", s.file+":"+strconv.FormatUint(uint64(h.LogPos), 10)))
		}
	}
	if !s.inTxn {
		// A statement outside BEGIN … COMMIT is a group of its own.
		s.endTxn(h)
	}
	return nil
}

func (s *Stream) commitTime(h *replication.EventHeader) uint32 {
	if s.txnTime != 0 {
		return s.txnTime
	}
	return h.Timestamp
}

// drainRows emits the rows of the current rows event until it is done or the
// batch is full.
func (s *Stream) drainRows(b *change.Batch, maxBytes int) {
	re, t := s.rows, s.rowsTab
	pos := change.Position{File: s.file, Pos: s.rowsHdr.LogPos, GTID: s.txnGTID}
	ts := s.commitTime(s.rowsHdr)
	for s.rowsIdx < len(re.Rows) {
		if b.Bytes >= maxBytes {
			return
		}
		c := change.Change{Seq: s.nextSeq, Op: s.rowsOp, Table: t.table, Pos: pos, Row: s.txnRow, CommitTime: ts}
		row := re.Rows[s.rowsIdx]
		t.normalize(row)
		switch s.rowsOp {
		case change.OpInsert:
			c.After = row
			c.Size = changeOverhead + rowSize(row)
			s.rowsIdx++
		case change.OpDelete:
			c.Before = row
			c.Size = changeOverhead + rowSize(row)
			s.rowsIdx++
		case change.OpUpdate:
			if s.rowsIdx+1 >= len(re.Rows) {
				s.rowsIdx = len(re.Rows) // malformed: a before image without after image
				continue
			}
			after := re.Rows[s.rowsIdx+1]
			t.normalize(after)
			c.Before, c.After = row, after
			c.Size = changeOverhead + rowSize(row) + rowSize(after)
			s.rowsIdx += 2
		}
		s.nextSeq++
		s.txnRow++
		s.progress.Changes++
		b.Add(c)
	}
	s.rows, s.rowsHdr, s.rowsTab = nil, nil, nil
}
