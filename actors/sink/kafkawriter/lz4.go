package kafkawriter

import (
	"io"

	"github.com/segmentio/kafka-go/compress"

	"github.com/sluicecdc/sluice/internal/lz4frame"
)

// kafka-go looks codecs up in its global table by the batch's compression
// code; there is no per-client setting. Sluice's lz4 codec replaces kafka-go's
// there before any client runs.
func init() {
	compress.Codecs[compress.Lz4] = &lz4Codec{reader: compress.Codecs[compress.Lz4], encoders: lz4frame.NewPool(16)}
}

// lz4Codec is kafka-go's lz4 codec with encoders that keep their compressor
// state and buffers from one batch to the next. kafka-go's own pools its
// writers in a sync.Pool, which every collection empties, and sets up a
// 4 MiB block and the content checksum for every batch: in the catch-up
// profile that setup and the per-Write bookkeeping of the generic stream
// writer were a third of the compression cost. Decompression stays
// kafka-go's.
type lz4Codec struct {
	reader compress.Codec
	// encoders: one per partition batch being encoded at once is enough.
	encoders *lz4frame.Pool
}

func (c *lz4Codec) Code() int8                          { return int8(compress.Lz4) }
func (c *lz4Codec) Name() string                        { return "lz4" }
func (c *lz4Codec) NewReader(r io.Reader) io.ReadCloser { return c.reader.NewReader(r) }

// NewWriter implements compress.Codec: kafka-go writes one record batch
// into it and closes it.
func (c *lz4Codec) NewWriter(w io.Writer) io.WriteCloser {
	e := c.encoders.Get()
	e.Reset(w)
	return &lz4Writer{Encoder: e, pool: c.encoders}
}

// lz4Writer is one batch's encoder; Close returns it to the pool (once).
type lz4Writer struct {
	*lz4frame.Encoder
	pool *lz4frame.Pool
}

func (z *lz4Writer) Close() error {
	if z.Encoder == nil {
		return nil
	}
	err := z.Encoder.Close()
	z.pool.Put(z.Encoder)
	z.Encoder = nil
	return err
}

var _ compress.Codec = (*lz4Codec)(nil)
