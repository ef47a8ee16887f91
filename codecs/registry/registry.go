package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicecdc/sluice/internal/errkind"
)

// Config says how to reach a registry.
type Config struct {
	// URL is the registry's base URL, "https://registry:8081" (a path prefix
	// is kept: "https://host/apis/ccompat/v7").
	URL string
	// User and Password are sent as HTTP basic auth when User is set.
	User, Password string
	// CAFile is a PEM file of the CA(s) trusted for an https URL; empty
	// means the system roots.
	CAFile string
	// Timeout bounds each request (default 10s).
	Timeout time.Duration
}

// DefaultTimeout bounds a request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Client talks to one registry. It is safe for concurrent use.
type Client struct {
	base     string
	user     string
	password string
	http     *http.Client

	mu      sync.Mutex
	ids     map[subjectSchema]int32
	schemas map[int32]string
}

type subjectSchema struct{ subject, schema string }

// New returns a client for cfg. It fails when the URL is not http(s) or the
// CA file cannot be read; it does not contact the registry.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errkind.Terminal(fmt.Errorf("schema registry URL %q is not an http or https URL: set it like \"https://registry:8081\"", cfg.URL))
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSHandshakeTimeout: timeout, MaxIdleConnsPerHost: 2}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, errkind.Terminal(fmt.Errorf("schema registry ca_file: %w: point it at a readable PEM file", err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errkind.Terminal(fmt.Errorf("schema registry ca_file %s holds no PEM certificate: use the PEM file of the CA that signed the registry's certificate", cfg.CAFile))
		}
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	}
	return &Client{
		base: strings.TrimRight(cfg.URL, "/"), user: cfg.User, password: cfg.Password,
		http:    &http.Client{Transport: tr, Timeout: timeout},
		ids:     map[subjectSchema]int32{},
		schemas: map[int32]string{},
	}, nil
}

// URL returns the registry's base URL.
func (c *Client) URL() string { return c.base }

// Register registers schema (an Avro schema's JSON text) under subject and
// returns its id. A schema the registry already holds under the subject gets
// its existing id (the registry's own rule); the answer is cached, so asking
// again costs no request.
func (c *Client) Register(ctx context.Context, subject, schema string) (int32, error) {
	k := subjectSchema{subject, schema}
	c.mu.Lock()
	id, ok := c.ids[k]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	body, err := json.Marshal(struct {
		Schema string `json:"schema"`
	}{schema})
	if err != nil {
		return 0, errkind.Terminal(fmt.Errorf("schema registry: encoding the request: %w", err))
	}
	var out struct {
		ID *int32 `json:"id"`
	}
	path := "/subjects/" + url.PathEscape(subject) + "/versions"
	if err := c.do(ctx, http.MethodPost, path, body, &out); err != nil {
		return 0, fmt.Errorf("registering the schema of subject %q: %w", subject, err)
	}
	if out.ID == nil {
		return 0, fmt.Errorf("registering the schema of subject %q at %s: the answer has no id", subject, c.base)
	}
	c.mu.Lock()
	c.ids[k] = *out.ID
	c.schemas[*out.ID] = schema
	c.mu.Unlock()
	return *out.ID, nil
}

// Schema returns the schema text registered with id. A schema this client
// registered itself is answered from the cache (as the text it sent).
func (c *Client) Schema(ctx context.Context, id int32) (string, error) {
	c.mu.Lock()
	s, ok := c.schemas[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	var out struct {
		Schema *string `json:"schema"`
	}
	if err := c.do(ctx, http.MethodGet, "/schemas/ids/"+strconv.FormatInt(int64(id), 10), nil, &out); err != nil {
		return "", fmt.Errorf("reading schema id %d: %w", id, err)
	}
	if out.Schema == nil {
		return "", fmt.Errorf("reading schema id %d at %s: the answer has no schema", id, c.base)
	}
	c.mu.Lock()
	c.schemas[id] = *out.Schema
	c.mu.Unlock()
	return *out.Schema, nil
}

// Error is a registry's refusal: the HTTP status and the registry's own
// error code and message (Confluent's {"error_code", "message"}).
type Error struct {
	Method, URL string
	Status      int
	Code        int
	Message     string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("schema registry %s %s: HTTP %d", e.Method, e.URL, e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(" (error %d)", e.Code)
	}
	s += ": " + msg
	switch {
	case e.Status == http.StatusConflict:
		s += ": the registry's compatibility rule refuses this schema version; allow the change " +
			"(PUT /config/{subject} {\"compatibility\":\"NONE\"} or a new topic), then restart"
	case e.Status == http.StatusUnprocessableEntity:
		s += ": the registry rejects the schema as invalid"
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		s += ": set schema_registry.user and password to an account that may register subjects"
	case e.Status == http.StatusNotFound:
		s += ": is schema_registry.url the registry's base URL?"
	}
	return s
}

// Incompatible reports whether err is the registry refusing a schema as
// incompatible with the subject's earlier versions (HTTP 409).
func Incompatible(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusConflict
}

// retryable reports whether a retry may get a different answer.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests
}

const contentType = "application/vnd.schemaregistry.v1+json"

// do sends one request and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	u := c.base + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return errkind.Terminal(fmt.Errorf("schema registry %s %s: %w", method, u, err))
	}
	req.Header.Set("Accept", contentType+", application/json")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		msg := err.Error()
		if c.password != "" {
			msg = strings.ReplaceAll(msg, c.password, "[redacted]")
		}
		var unknownCA x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		if errors.As(err, &unknownCA) || errors.As(err, &verify) {
			return errkind.Terminal(fmt.Errorf("schema registry %s %s: %s: set schema_registry.ca_file to the CA that signed its certificate", method, u, msg))
		}
		return fmt.Errorf("schema registry %s %s: %s", method, u, msg)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("schema registry %s %s: reading the answer: %w", method, u, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Method: method, URL: u, Status: resp.StatusCode}
		var ce struct {
			Code    int    `json:"error_code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &ce) == nil {
			e.Code, e.Message = ce.Code, ce.Message
		}
		if retryable(resp.StatusCode) {
			return e
		}
		return errkind.Terminal(e)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("schema registry %s %s: the answer is not a registry's JSON: %w", method, u, err)
	}
	return nil
}

// Magic is the first byte of the Confluent wire format.
const Magic = 0

// HeaderLen is the length of the wire format's header: the magic byte and
// the 4-byte big-endian schema id.
const HeaderLen = 5

// AppendHeader appends the Confluent wire format's header for schema id to
// b; the Avro binary body follows it.
func AppendHeader(b []byte, id int32) []byte {
	b = append(b, Magic)
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// ParseHeader splits a Confluent-framed record into its schema id and body.
func ParseHeader(b []byte) (id int32, body []byte, err error) {
	if len(b) < HeaderLen || b[0] != Magic {
		return 0, nil, errors.New("not the Confluent wire format (magic byte 0 and a 4-byte schema id)")
	}
	return int32(binary.BigEndian.Uint32(b[1:5])), b[HeaderLen:], nil
}
