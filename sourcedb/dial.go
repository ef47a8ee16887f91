package sourcedb

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/sluicecdc/sluice/internal/mysqltls"
	"github.com/sluicecdc/sluice/topology"
)

// dialTimeout bounds connecting and the handshake.
const dialTimeout = 10 * time.Second

// netWriteTimeout is the session's net_write_timeout, in seconds: how long the
// server waits for a client that does not read. A snapshot read blocks while
// downstream is out of credit with a result set open, so it must be long.
const netWriteTimeout = 24 * 3600

// sessionSetup makes text-protocol values match the binlog's: TIMESTAMP in
// UTC, strings in their column's charset, and a repeatable-read snapshot.
var sessionSetup = []string{
	// No NO_BACKSLASH_ESCAPES (QuoteString escapes with backslashes) and
	// no PAD_CHAR_TO_FULL_LENGTH (CHAR values as the binlog has them).
	"SET SESSION sql_mode = ''",
	"SET SESSION time_zone = '+00:00'",
	"SET SESSION character_set_results = NULL",
	"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	"SET SESSION net_write_timeout = " + strconv.Itoa(netWriteTimeout),
	"SET SESSION net_read_timeout = " + strconv.Itoa(netWriteTimeout),
}

// Dial connects to src with its credentials and TLS settings and prepares the
// session (see Prepare). A failure is an *Error saying what went wrong and how
// to fix it, marked terminal (errkind) when a retry cannot help.
func Dial(ctx context.Context, src *topology.Source) (*client.Conn, error) {
	var opts []client.Option
	tcfg, err := mysqltls.Config(&src.TLS, src.Host)
	if err != nil {
		return nil, Explain(src, "", err)
	}
	if tcfg != nil {
		opts = append(opts, func(c *client.Conn) error { c.SetTLSConfig(tcfg); return nil })
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	d := &net.Dialer{Timeout: dialTimeout}
	// go-mysql bounds only the dial by ctx: a peer that accepts and then says
	// nothing (an HTTP server, a stopped process) would hold the handshake
	// forever, so the socket gets a deadline until the session is set up.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := c.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
			_ = c.Close()
			return nil, err
		}
		return c, nil
	}
	conn, err := client.ConnectWithDialer(dctx, "", src.Addr(), src.User, src.Password.Value(), "", dial, opts...)
	if err != nil {
		return nil, Explain(src, "", err)
	}
	if err := conn.Conn.Conn.SetDeadline(time.Time{}); err != nil {
		_ = conn.Close()
		return nil, Explain(src, "", err)
	}
	if err := Prepare(conn); err != nil {
		_ = conn.Close()
		return nil, Explain(src, "preparing the session", err)
	}
	return conn, nil
}

// Prepare sets the session variables snapshot reads rely on: time_zone
// '+00:00', character_set_results NULL, REPEATABLE READ and long network
// timeouts. Dial calls it; call it on connections made elsewhere.
func Prepare(conn *client.Conn) error {
	for _, s := range sessionSetup {
		if _, err := conn.Execute(s); err != nil {
			return fmt.Errorf("preparing session (%s): %w", s, err)
		}
	}
	return nil
}

// InterruptOnCancel makes a blocked read or write on conn fail when ctx is
// cancelled, by expiring the socket's deadline: go-mysql has no context
// support once connected. The returned stop must be called when the
// operation is over; after an interruption the connection is unusable.
func InterruptOnCancel(ctx context.Context, conn *client.Conn) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() {
		if conn.Conn != nil && conn.Conn.Conn != nil {
			_ = conn.Conn.Conn.SetDeadline(time.Unix(1, 0))
		}
	})
}
