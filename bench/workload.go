package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// Column is one generated column besides the fixed id (BIGINT primary key)
// and ts_us (BIGINT, the generator's clock in microseconds when the row was
// written).
type Column struct {
	// Type is one of int, bigint, double, decimal, datetime, varchar, text.
	Type string
	// Len is the length of varchar and text values (bytes); ignored otherwise.
	Len int
}

// ParseColumns reads a column list such as "int,decimal,datetime,varchar:64".
func ParseColumns(s string) ([]Column, error) {
	var cols []Column
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, n, hasLen := strings.Cut(f, ":")
		c := Column{Type: name}
		switch name {
		case "int", "bigint", "double", "decimal", "datetime":
			if hasLen {
				return nil, fmt.Errorf("column %q: %s takes no length", f, name)
			}
		case "varchar", "text":
			c.Len = 32
			if hasLen {
				v, err := strconv.Atoi(n)
				if err != nil || v < 1 || v > 16000 {
					return nil, fmt.Errorf("column %q: length must be 1..16000", f)
				}
				c.Len = v
			}
		default:
			return nil, fmt.Errorf("column %q: unknown type; use int, bigint, double, decimal, datetime, varchar:N or text:N", f)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

func (c Column) sqlType() string {
	switch c.Type {
	case "int":
		return "INT NOT NULL"
	case "bigint":
		return "BIGINT NOT NULL"
	case "double":
		return "DOUBLE NOT NULL"
	case "decimal":
		return "DECIMAL(14,2) NOT NULL"
	case "datetime":
		return "DATETIME(6) NOT NULL"
	case "varchar":
		return "VARCHAR(" + strconv.Itoa(c.Len) + ") NOT NULL"
	default:
		return "TEXT NOT NULL"
	}
}

// Mix is the operation mix, as relative weights per statement.
type Mix struct{ Insert, Update, Delete int }

// ParseMix reads "insert:70,update:20,delete:10".
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), ":")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("mix item %q: want op:weight, e.g. insert:70", f)
		}
		switch k {
		case "insert":
			m.Insert = n
		case "update":
			m.Update = n
		case "delete":
			m.Delete = n
		default:
			return m, fmt.Errorf("mix item %q: op is insert, update or delete", f)
		}
	}
	if m.Insert+m.Update+m.Delete == 0 {
		return m, errors.New("mix: every weight is zero")
	}
	return m, nil
}

// Workload describes what the generator writes.
type Workload struct {
	Database string
	// Tables is the number of tables, named t1..tN; statements spread over them.
	Tables  int
	Columns []Column
	Mix     Mix
	// Keys is the key distribution of updates and deletes: uniform or zipf
	// (over the ids inserted so far). Inserts take fresh ascending ids.
	Keys string
	// StmtRows is the rows per statement (multi-row INSERT, upsert or
	// DELETE ... IN); TxnRows the rows per transaction (a multiple of
	// StmtRows; equal means autocommit statements).
	StmtRows, TxnRows int
	// Conns is the number of connections writing at once.
	Conns int
}

// DefaultWorkload is the workload of the default scenarios: one table, a row
// of about 150 bytes.
func DefaultWorkload(db string) Workload {
	cols, _ := ParseColumns("int,bigint,decimal,double,datetime,varchar:48,varchar:32")
	return Workload{Database: db, Tables: 1, Columns: cols, Mix: Mix{Insert: 100}, Keys: "uniform",
		StmtRows: 500, TxnRows: 500, Conns: 3}
}

// MySQL is how the generator reaches the server (an account that may create
// databases and write).
type MySQL struct{ Addr, User, Password string }

func (m MySQL) connect(db string) (*client.Conn, error) {
	c, err := client.ConnectWithTimeout(m.Addr, m.User, m.Password, db, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connect to mysql %s as %s: %w (is the test bed up? make testbed-up)", m.Addr, m.User, err)
	}
	return c, nil
}

// Exec runs statements on a fresh connection, in order.
func (m MySQL) Exec(stmts ...string) error {
	c, err := m.connect("")
	if err != nil {
		return err
	}
	defer c.Close()
	for _, s := range stmts {
		if _, err := c.Execute(s); err != nil {
			return fmt.Errorf("%.80s: %w", s, err)
		}
	}
	return nil
}

// QueryInt returns column col of the first row of a query, as an integer.
func (m MySQL) QueryInt(q string, col int) (int64, error) {
	c, err := m.connect("")
	if err != nil {
		return 0, err
	}
	defer c.Close()
	r, err := c.Execute(q)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	if r.RowNumber() == 0 {
		return 0, fmt.Errorf("%s: no row", q)
	}
	s, err := r.GetString(0, col)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// BinlogPos is SHOW MASTER STATUS: the position after the last event written.
func (m MySQL) BinlogPos() (file string, pos int64, err error) {
	c, err := m.connect("")
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	r, err := c.Execute("SHOW MASTER STATUS")
	if err != nil {
		return "", 0, fmt.Errorf("show master status: %w", err)
	}
	if r.RowNumber() == 0 {
		return "", 0, errors.New("show master status: no row; is log_bin on?")
	}
	file, _ = r.GetString(0, 0)
	pos, err = r.GetInt(0, 1)
	return file, pos, err
}

// Questions is the server's global Questions counter.
func (m MySQL) Questions() (int64, error) {
	return m.QueryInt("SHOW GLOBAL STATUS LIKE 'Questions'", 1)
}

// Setup drops and creates the workload's database and tables.
func (w *Workload) Setup(m MySQL) error {
	stmts := []string{"DROP DATABASE IF EXISTS `" + w.Database + "`", "CREATE DATABASE `" + w.Database + "`"}
	for i := 1; i <= w.Tables; i++ {
		var b strings.Builder
		fmt.Fprintf(&b, "CREATE TABLE `%s`.`t%d` (id BIGINT NOT NULL PRIMARY KEY, ts_us BIGINT NOT NULL", w.Database, i)
		for j, c := range w.Columns {
			fmt.Fprintf(&b, ", c%d %s", j+1, c.sqlType())
		}
		b.WriteString(") ENGINE=InnoDB")
		stmts = append(stmts, b.String())
	}
	return m.Exec(stmts...)
}

// Drop removes the workload's database.
func (w *Workload) Drop(m MySQL) error {
	return m.Exec("DROP DATABASE IF EXISTS `" + w.Database + "`")
}

// Written counts what a run wrote.
type Written struct {
	// Events is the number of row events the binlog got (each inserted or
	// upserted row is one; a delete counts the rows it removed).
	Events                    int64
	Inserts, Updates, Deletes int64
	Txns                      int64
	Elapsed                   time.Duration
}

// Rate is Events per second.
func (w Written) Rate() float64 {
	if w.Elapsed <= 0 {
		return 0
	}
	return float64(w.Events) / w.Elapsed.Seconds()
}

// Generator writes a workload. One generator may run several times; ids keep
// ascending across runs.
type Generator struct {
	w Workload
	m MySQL
	// inserted[conn][table] counts the ids connection conn inserted into
	// table. Connection c owns the ids first + k*Conns + c: its updates and
	// deletes touch only its own ids, so no connection upserts a row that
	// another is about to insert.
	inserted [][]int64
	first    int64
	lastTS   atomic.Int64
}

// NewGenerator returns a generator for w, writing through m. firstID is the
// first id each table's inserts take (1 on empty tables).
func NewGenerator(w Workload, m MySQL, firstID int64) *Generator {
	if w.StmtRows < 1 {
		w.StmtRows = 1
	}
	if w.TxnRows < w.StmtRows {
		w.TxnRows = w.StmtRows
	}
	if w.Conns < 1 {
		w.Conns = 1
	}
	if w.Tables < 1 {
		w.Tables = 1
	}
	g := &Generator{w: w, m: m, first: firstID, inserted: make([][]int64, w.Conns)}
	for i := range g.inserted {
		g.inserted[i] = make([]int64, w.Tables)
	}
	return g
}

// NextID is an id above every id the generator has inserted.
func (g *Generator) NextID() int64 {
	var n int64
	for _, c := range g.inserted {
		for _, v := range c {
			n = max(n, v)
		}
	}
	return g.first + (n+1)*int64(g.w.Conns)
}

// id is the k-th id of connection c.
func (g *Generator) id(c int, k int64) int64 { return g.first + k*int64(g.w.Conns) + int64(c) }

// stamp returns a strictly increasing microsecond clock, so that an upsert
// always changes its row (an unchanged row would write no binlog event and
// the expected count would be off).
func (g *Generator) stamp() int64 {
	for {
		now := time.Now().UnixMicro()
		last := g.lastTS.Load()
		if now <= last {
			now = last + 1
		}
		if g.lastTS.CompareAndSwap(last, now) {
			return now
		}
	}
}

// Run writes until events row events are written (or ctx ends), at rate row
// events per second in total (0: as fast as it can).
func (g *Generator) Run(ctx context.Context, events int64, rate int) (Written, error) {
	var (
		mu    sync.Mutex
		total Written
		left  atomic.Int64
		wg    sync.WaitGroup
		errs  = make([]error, g.w.Conns)
	)
	left.Store(events)
	start := time.Now()
	for i := 0; i < g.w.Conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var per float64
			if rate > 0 {
				per = float64(rate) / float64(g.w.Conns)
			}
			wr, err := g.conn(ctx, i, &left, per)
			errs[i] = err
			mu.Lock()
			total.Events += wr.Events
			total.Inserts += wr.Inserts
			total.Updates += wr.Updates
			total.Deletes += wr.Deletes
			total.Txns += wr.Txns
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	total.Elapsed = time.Since(start)
	return total, errors.Join(errs...)
}

// conn is one writing connection. per is its share of the rate (rows/s).
func (g *Generator) conn(ctx context.Context, idx int, left *atomic.Int64, per float64) (Written, error) {
	var wr Written
	c, err := g.m.connect(g.w.Database)
	if err != nil {
		return wr, err
	}
	defer c.Close()
	rng := rand.New(rand.NewSource(int64(idx)*7919 + time.Now().UnixNano()))
	var zipf *rand.Zipf
	zipfMax := uint64(0)
	buf := make([]byte, 0, 64<<10)
	keys := make([]int64, 0, g.w.StmtRows)
	seen := make(map[int64]struct{}, g.w.StmtRows)
	stmtsPerTxn := g.w.TxnRows / g.w.StmtRows
	next := time.Now()
	weights := g.w.Mix.Insert + g.w.Mix.Update + g.w.Mix.Delete
	for ctx.Err() == nil {
		// Reserve this transaction's rows from the shared budget.
		want := int64(stmtsPerTxn * g.w.StmtRows)
		got := left.Add(-want)
		if got+want <= 0 {
			break
		}
		if got < 0 {
			want += got
		}
		multi := want > int64(g.w.StmtRows)
		if multi {
			if _, err := c.Execute("BEGIN"); err != nil {
				return wr, fmt.Errorf("begin: %w", err)
			}
		}
		var txnEvents int64
		for want > 0 {
			n := int64(g.w.StmtRows)
			if n > want {
				n = want
			}
			want -= n
			if per > 0 {
				next = next.Add(time.Duration(float64(n) / per * float64(time.Second)))
				if d := time.Until(next); d > 0 {
					select {
					case <-ctx.Done():
					case <-time.After(d):
					}
				} else if d < -time.Second {
					next = time.Now() // do not burst to repay a long stall
				}
			}
			tbl := rng.Intn(g.w.Tables)
			op := rng.Intn(weights)
			own := g.inserted[idx][tbl] // ids 0..own-1 of this connection exist or were deleted
			switch {
			case op < g.w.Mix.Insert || own < n*4:
				keys = keys[:0]
				for k := own; k < own+n; k++ {
					keys = append(keys, g.id(idx, k))
				}
				g.inserted[idx][tbl] = own + n
				buf = g.upsert(buf[:0], tbl, keys, rng, false)
				if _, err := c.Execute(string(buf)); err != nil {
					return wr, fmt.Errorf("insert into %s.t%d: %w", g.w.Database, tbl+1, err)
				}
				wr.Inserts += n
				txnEvents += n
			case op < g.w.Mix.Insert+g.w.Mix.Update:
				if g.w.Keys == "zipf" && uint64(own) != zipfMax {
					zipfMax = uint64(own)
					zipf = rand.NewZipf(rng, 1.1, 1, zipfMax-1)
				}
				keys = g.pick(keys[:0], seen, idx, n, own, rng, zipf)
				buf = g.upsert(buf[:0], tbl, keys, rng, true)
				if _, err := c.Execute(string(buf)); err != nil {
					return wr, fmt.Errorf("upsert into %s.t%d: %w", g.w.Database, tbl+1, err)
				}
				wr.Updates += n
				txnEvents += n
			default:
				if g.w.Keys == "zipf" && uint64(own) != zipfMax {
					zipfMax = uint64(own)
					zipf = rand.NewZipf(rng, 1.1, 1, zipfMax-1)
				}
				keys = g.pick(keys[:0], seen, idx, n, own, rng, zipf)
				buf = append(buf[:0], "DELETE FROM `t"...)
				buf = strconv.AppendInt(buf, int64(tbl+1), 10)
				buf = append(buf, "` WHERE id IN ("...)
				for i, k := range keys {
					if i > 0 {
						buf = append(buf, ',')
					}
					buf = strconv.AppendInt(buf, k, 10)
				}
				buf = append(buf, ')')
				r, err := c.Execute(string(buf))
				if err != nil {
					return wr, fmt.Errorf("delete from %s.t%d: %w", g.w.Database, tbl+1, err)
				}
				wr.Deletes += int64(r.AffectedRows)
				txnEvents += int64(r.AffectedRows)
				// A delete of already deleted rows writes fewer events than
				// reserved: give the difference back.
				left.Add(n - int64(r.AffectedRows))
			}
		}
		if multi {
			if _, err := c.Execute("COMMIT"); err != nil {
				return wr, fmt.Errorf("commit: %w", err)
			}
		}
		wr.Events += txnEvents
		wr.Txns++
	}
	return wr, nil
}

// pick chooses n distinct ids among the first own ids of connection c.
func (g *Generator) pick(keys []int64, seen map[int64]struct{}, c int, n, own int64, rng *rand.Rand, zipf *rand.Zipf) []int64 {
	clear(seen)
	for int64(len(keys)) < n {
		var k int64
		if zipf != nil {
			// Zipf favours small k; count from the newest ids.
			k = own - 1 - int64(zipf.Uint64())
		} else {
			k = rng.Int63n(own)
		}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		keys = append(keys, g.id(c, k))
	}
	return keys
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// upsert renders a multi-row INSERT (with ON DUPLICATE KEY UPDATE of every
// column when update is set) of the given ids.
func (g *Generator) upsert(buf []byte, tbl int, keys []int64, rng *rand.Rand, update bool) []byte {
	ts := g.stamp()
	buf = append(buf, "INSERT INTO `t"...)
	buf = strconv.AppendInt(buf, int64(tbl+1), 10)
	buf = append(buf, "` VALUES "...)
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '(')
		buf = strconv.AppendInt(buf, k, 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, ts, 10)
		for _, c := range g.w.Columns {
			buf = append(buf, ',')
			buf = appendValue(buf, c, rng)
		}
		buf = append(buf, ')')
	}
	if update {
		buf = append(buf, " ON DUPLICATE KEY UPDATE ts_us=VALUES(ts_us)"...)
		for j := range g.w.Columns {
			buf = append(buf, ",c"...)
			buf = strconv.AppendInt(buf, int64(j+1), 10)
			buf = append(buf, "=VALUES(c"...)
			buf = strconv.AppendInt(buf, int64(j+1), 10)
			buf = append(buf, ')')
		}
	}
	return buf
}

func appendValue(buf []byte, c Column, rng *rand.Rand) []byte {
	switch c.Type {
	case "int":
		return strconv.AppendInt(buf, int64(rng.Int31())-1<<30, 10)
	case "bigint":
		return strconv.AppendInt(buf, rng.Int63(), 10)
	case "double":
		return strconv.AppendFloat(buf, rng.Float64()*1e6, 'g', -1, 64)
	case "decimal":
		v := rng.Int63n(1e12)
		buf = strconv.AppendInt(buf, v/100, 10)
		buf = append(buf, '.')
		return append(buf, byte('0'+v%100/10), byte('0'+v%10))
	case "datetime":
		t := time.Unix(1.6e9+rng.Int63n(3e8), rng.Int63n(1e9)).UTC()
		buf = append(buf, '\'')
		buf = t.AppendFormat(buf, "2006-01-02 15:04:05.000000")
		return append(buf, '\'')
	default:
		buf = append(buf, '\'')
		var r uint64
		for i := 0; i < c.Len; i++ {
			if i%10 == 0 {
				r = rng.Uint64()
			}
			buf = append(buf, letters[(r&63)%uint64(len(letters))])
			r >>= 6
		}
		return append(buf, '\'')
	}
}

// QueryString returns the first column of the first row of a query.
func (m MySQL) QueryString(q string) (string, error) {
	c, err := m.connect("")
	if err != nil {
		return "", err
	}
	defer c.Close()
	r, err := c.Execute(q)
	if err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	if r.RowNumber() == 0 {
		return "", fmt.Errorf("%s: no row", q)
	}
	return r.GetString(0, 0)
}
