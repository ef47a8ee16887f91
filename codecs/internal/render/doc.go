// Package render holds the text and number renderings the codecs share: a
// JSON string escaper, Java's Double.toString and Float.toString, MySQL
// charsets to UTF-8, and parsers for the temporal strings the binlog decoder
// produces. Everything appends to a caller's buffer and allocates nothing.
//
// It is internal to codecs/: the renderings are the codecs' contract with
// their consumers, documented in docs/types.md, not a general library.
package render
