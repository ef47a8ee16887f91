// Package registry is a client for a Confluent-compatible schema registry:
// the REST subset the Avro encoders need to register Avro schemas under a
// subject (POST /subjects/{subject}/versions) and to read a schema back by id
// (GET /schemas/ids/{id}), with basic authentication and TLS trusted through a
// CA file.
//
// It is not a serializer (the codecs frame and encode records; see
// Frame/AppendHeader for the wire format's first five bytes), and it does not
// manage compatibility settings: the registry's own compatibility level
// decides whether a new schema version is accepted.
//
// Sharp edges:
//   - Register and Schema cache what the registry answered (subject and
//     schema text → id, id → schema) for the life of the Client: registering
//     the same schema again costs no request. Errors are never cached.
//   - Error classification: an incompatible schema (HTTP 409), an invalid
//     schema (422), refused credentials (401/403) and other 4xx answers are
//     terminal (errkind) with a message saying what to change; network errors,
//     timeouts, 408, 429 and 5xx answers are retryable.
//   - Every request is bounded by Config.Timeout (default 10s) on top of the
//     caller's context.
//   - The password is sent as HTTP basic auth and never appears in errors.
package registry
