package precheck

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/gtid"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
	"github.com/sluicecdc/sluice/topology"
)

// sourceFacts is what the checks read from a source server, gathered in one
// session so that the evaluation is plain code over data.
type sourceFacts struct {
	Version string
	Account string            // CURRENT_USER(), "user@host"
	Vars    map[string]string // lower-case names
	Grants  []string
	// GrantsErr is set when SHOW GRANTS failed.
	GrantsErr error
	Tables    []tableFact // base tables outside the system schemas
	// Logs is SHOW BINARY LOGS (file names, oldest first), read only when a
	// binlog file must be checked; LogsErr is its error.
	Logs    []string
	LogsErr error
	// Identity and GTID (with their errors) are read only when the source
	// has a checkpoint: which server this is, and its GTID history.
	Identity    string
	IdentityErr error
	GTID        *gtid.Server
	GTIDErr     error
	// XA is XA RECOVER (each prepared transaction's XID as X'..',X'..',N);
	// XAErr is its error.
	XA    []string
	XAErr error
	// Charsets are the columns in a charset other than the UTF-8 family,
	// ascii, latin1 and binary.
	Charsets []columnCharset
}

// systemSchemas are never selected.
const systemSchemas = "('mysql','sys','information_schema','performance_schema')"

// checkSource runs every check of one source.
func checkSource(ctx context.Context, src *topology.Source, opts *Options) []Item {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	conn, err := sourcedb.Dial(ctx, src)
	if err != nil {
		return []Item{sourceConnectItem(src, err)}
	}
	defer conn.Close()
	if conn.Conn != nil && conn.Conn.Conn != nil {
		_ = conn.Conn.Conn.SetDeadline(time.Now().Add(opts.Timeout))
		stop := context.AfterFunc(ctx, func() { _ = conn.Conn.Conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	tlsNote := "without TLS"
	if m := src.TLS.Mode; m != "" && m != topology.TLSDisabled {
		tlsNote = "with TLS (" + string(m) + ")"
	}
	items := []Item{{Name: "source." + src.Name + ".connect", Status: Pass,
		Detail: fmt.Sprintf("connected to %s as %s %s", src.Addr(), src.User, tlsNote)}}

	var resume *store.Checkpoint
	if cp, ok := opts.Checkpoints[src.Name]; ok {
		resume = &cp
	}
	f, err := gatherSource(ctx, conn, resume != nil || startFile(src) != "", resume != nil)
	if err != nil {
		return append(items, Item{Name: "source." + src.Name + ".query", Status: Fail,
			Detail: fmt.Sprintf("reading the server's settings failed: %v", err),
			Fix:    "check that the account may run SELECT VERSION(), SHOW GLOBAL VARIABLES and read information_schema"})
	}
	return append(items, evalSource(src, f, resume, opts.SnapshotRowsPerSecond)...)
}

// startFile is the binlog file configured as the source's start, if any.
func startFile(src *topology.Source) string {
	if src.Start.Mode == topology.StartFilePos {
		return src.Start.File
	}
	return ""
}

// evalSource evaluates gathered facts, for a source that resumes from
// resume (nil: it has none); plain code, no I/O.
func evalSource(src *topology.Source, f *sourceFacts, resume *store.Checkpoint, rowsPerSec int) []Item {
	items := checkVersion(src, f.Version)
	flavor := detectFlavor(f.Version)
	if f.GrantsErr != nil {
		items = append(items, Item{Name: "source." + src.Name + ".privilege.grants", Status: Warn,
			Detail: fmt.Sprintf("SHOW GRANTS failed, privileges not checked: %v", f.GrantsErr)})
	} else {
		selected, _ := selectTables(src, f.Tables)
		items = append(items, checkPrivileges(src, f.Account, f.Grants, selected)...)
	}
	items = append(items, checkVariables(src, flavor, f.Vars)...)
	switch {
	case resume != nil:
		items = append(items, checkResume(src, f, *resume)...)
	case startFile(src) != "":
		items = append(items, checkBinlogFile(src, f.Account, startFile(src), "configured start", f.Logs, f.LogsErr))
	}
	if resume == nil { // a first start: nothing prepared before it is known
		items = append(items, checkXA(src, f.XA, f.XAErr))
	}
	selected, _ := selectTables(src, f.Tables)
	items = append(items, checkRetention(src, f.Vars, selected, rowsPerSec))
	items = append(items, checkTables(src, f.Tables)...)
	return append(items, checkCharsets(src, f.Charsets)...)
}

// gatherSource reads what the checks need, in one session: the binlog
// listing withLogs, the server's identity and GTID history withGTID.
func gatherSource(ctx context.Context, conn *client.Conn, withLogs, withGTID bool) (*sourceFacts, error) {
	f := &sourceFacts{Vars: map[string]string{}}
	r, err := conn.Execute("SELECT VERSION(), CURRENT_USER()")
	if err != nil {
		return nil, fmt.Errorf("SELECT VERSION(): %w", err)
	}
	f.Version, _ = r.GetString(0, 0)
	f.Account, _ = r.GetString(0, 1)

	r, err = conn.Execute("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('" + strings.Join(variableNames, "','") + "')")
	if err != nil {
		return nil, fmt.Errorf("SHOW GLOBAL VARIABLES: %w", err)
	}
	for i := range r.Values {
		f.Vars[strings.ToLower(string(r.Values[i][0].AsString()))] = string(r.Values[i][1].AsString())
	}

	if r, err = conn.Execute("SHOW GRANTS"); err != nil {
		f.GrantsErr = err
	} else {
		for i := range r.Values {
			f.Grants = append(f.Grants, string(r.Values[i][0].AsString()))
		}
	}

	r, err = conn.Execute("SELECT TABLE_SCHEMA, TABLE_NAME, ENGINE, TABLE_ROWS, TABLE_TYPE FROM information_schema.TABLES " +
		"WHERE TABLE_TYPE IN " + sourcedb.BaseTableTypes + " AND TABLE_SCHEMA NOT IN " + systemSchemas + " ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	index := make(map[[2]string]int, len(r.Values))
	for i := range r.Values {
		row := r.Values[i]
		t := tableFact{Schema: string(row[0].AsString()), Name: string(row[1].AsString()), Engine: string(row[2].AsString())}
		if row[3].Type != mysql.FieldValueTypeNull {
			t.Rows, _ = sourcedb.FieldUint(&row[3]) // an estimate: unreadable counts as none
		}
		if string(row[4].AsString()) == "SYSTEM VERSIONED" {
			// Rare: the period needs SHOW CREATE TABLE, one table at a time.
			d, err := sourcedb.Describe(ctx, conn, t.Schema, t.Name)
			if err != nil {
				return nil, err
			}
			t.Versioning = d.Versioning
		}
		index[[2]string{t.Schema, t.Name}] = len(f.Tables)
		f.Tables = append(f.Tables, t)
	}

	r, err = conn.Execute("SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM information_schema.COLUMNS " +
		"WHERE CHARACTER_SET_NAME NOT IN ('utf8mb4','utf8mb3','utf8','ascii','latin1','binary') AND TABLE_SCHEMA NOT IN " + systemSchemas +
		" ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")
	if err != nil {
		return nil, fmt.Errorf("listing column charsets: %w", err)
	}
	for i := range r.Values {
		row := r.Values[i]
		f.Charsets = append(f.Charsets, columnCharset{Schema: string(row[0].AsString()), Table: string(row[1].AsString()),
			Column: string(row[2].AsString()), Charset: string(row[3].AsString())})
	}

	// Unique keys: PRIMARY, or UNIQUE with (NULLABLE='YES') columns or not.
	r, err = conn.Execute("SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, MAX(NULLABLE = 'YES') FROM information_schema.STATISTICS " +
		"WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA NOT IN " + systemSchemas + " GROUP BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME")
	if err != nil {
		return nil, fmt.Errorf("listing keys: %w", err)
	}
	for i := range r.Values {
		row := r.Values[i]
		at, ok := index[[2]string{string(row[0].AsString()), string(row[1].AsString())}]
		if !ok {
			continue
		}
		t := &f.Tables[at]
		idx := string(row[2].AsString())
		n, _ := sourcedb.FieldUint(&row[3])
		nullable := n != 0
		switch {
		case idx == "PRIMARY":
			t.Key, t.KeyName = keyPrimary, idx
		case !nullable && t.Key != keyPrimary:
			t.Key, t.KeyName = keyUnique, idx
		case nullable && t.Key == keyNone:
			t.Key, t.KeyName = keyUniqueNullable, idx
		}
	}

	if r, err = conn.Execute("XA RECOVER"); err != nil {
		f.XAErr = err
	} else {
		for i := range r.Values {
			row := r.Values[i]
			format, _ := sourcedb.FieldUint(&row[0])
			gl, _ := sourcedb.FieldUint(&row[1])
			data := string(row[3].AsString())
			if int(gl) > len(data) {
				gl = uint64(len(data))
			}
			f.XA = append(f.XA, sourcedb.XID{FormatID: uint32(format), GTRID: data[:gl], BQual: data[gl:]}.String())
		}
	}

	if withLogs {
		if r, err = conn.Execute("SHOW BINARY LOGS"); err != nil {
			f.LogsErr = err
		} else {
			for i := range r.Values {
				f.Logs = append(f.Logs, string(r.Values[i][0].AsString()))
			}
		}
	}
	if withGTID {
		flavor := detectFlavor(f.Version)
		f.Identity, f.IdentityErr = gtid.Identity(conn, flavor)
		f.GTID, f.GTIDErr = gtid.Read(conn, flavor)
	}
	return f, nil
}
