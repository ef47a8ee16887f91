package precheck

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

// notKafkaError says that what listens at a broker address is something
// other than Kafka. Without it, a Kafka client waits for the whole timeout:
// it takes the first bytes of a MySQL greeting or an HTTP reply for the
// length of a response and waits for that many bytes.
type notKafkaError struct {
	addr string
	what string // what answered instead, e.g. "a MySQL/MariaDB server (10.11.6-MariaDB)"
}

func (e *notKafkaError) Error() string {
	return fmt.Sprintf("%s is not a Kafka broker: %s answered there", e.addr, e.what)
}

// Timeouts of probeKafkaPeer: how long a greeting may take to come
// unasked, and how long Kafka may take to answer ApiVersions.
const (
	greetingWait = 300 * time.Millisecond
	answerWait   = 3 * time.Second
)

// probeKafkaPeer tells, over plain TCP, whether something other than Kafka
// listens at addr. Kafka never speaks first, and answers an ApiVersions
// request (every broker answers version 0, if only with an error) with a
// length-prefixed response carrying the request's correlation id. It
// returns nil when the peer may be Kafka or cannot be judged (no
// connection, a closed connection): the ordinary checks explain those. A
// broker answers ApiVersions in milliseconds; a peer silent for answerWait
// is reported too.
func probeKafkaPeer(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: answerWait}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil
	}
	defer c.Close()
	buf := make([]byte, 512)
	_ = c.SetReadDeadline(time.Now().Add(greetingWait))
	if n, _ := c.Read(buf); n > 0 {
		return &notKafkaError{addr: addr, what: describePeer(buf[:n], "a server that speaks first (Kafka never does)")}
	}
	const corr = 0x51C3
	req := []byte{0, 0, 0, 14, 0, 18, 0, 0, 0, 0, 0x51, 0xC3, 0, 4, 'p', 'r', 'o', 'b'} // ApiVersions v0, client id "prob"
	binary.BigEndian.PutUint32(req, uint32(len(req)-4))
	_ = c.SetDeadline(time.Now().Add(answerWait))
	if _, err := c.Write(req); err != nil {
		return nil
	}
	n, err := io.ReadAtLeast(c, buf, 8)
	if n == 0 && errkind.IsTimeout(err) {
		return &notKafkaError{addr: addr, what: fmt.Sprintf("something that accepted the connection but did not answer a Kafka ApiVersions request within %s "+
			"(a server waiting for its own protocol, such as HTTP, or a stalled broker)", answerWait)}
	}
	if n == 0 {
		return nil
	}
	if n >= 8 && binary.BigEndian.Uint32(buf) < 1<<20 && binary.BigEndian.Uint32(buf[4:]) == corr {
		return nil
	}
	return &notKafkaError{addr: addr, what: describePeer(buf[:n], fmt.Sprintf("a server whose answer to a Kafka request is not a Kafka response (it begins %q)", buf[:min(n, 16)]))}
}

// describePeer names the protocols a wrong broker address most often
// reaches, from the first bytes they send.
func describePeer(b []byte, otherwise string) string {
	switch {
	case len(b) > 5 && b[3] == 0 && b[4] == 10: // MySQL protocol 10 greeting: 3-byte length, sequence 0
		version, _, _ := bytes.Cut(b[5:], []byte{0})
		return fmt.Sprintf("a MySQL/MariaDB server (%s)", version)
	case bytes.HasPrefix(b, []byte("HTTP/")):
		return "an HTTP server"
	case bytes.HasPrefix(b, []byte("SSH-")):
		return "an SSH server"
	}
	return otherwise
}
