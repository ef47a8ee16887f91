package txwriter

import (
	"bytes"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/internal/lz4frame"
)

// lz4Encoders serve every transactional writer of the process: one per
// batch being compressed at once is enough.
var lz4Encoders = lz4frame.NewPool(16)

// lz4Compressor is franz-go's lz4 compression with encoders that keep their
// compressor state and buffers from one batch to the next (franz-go's own
// keeps 4 MiB block buffers in a sync.Pool, which every collection empties,
// and checksums all the content).
type lz4Compressor struct{}

// Compress implements kgo.Compressor.
func (lz4Compressor) Compress(dst *bytes.Buffer, src []byte, _ ...kgo.CompressFlag) ([]byte, kgo.CompressionCodecType) {
	e := lz4Encoders.Get()
	defer lz4Encoders.Put(e)
	e.Reset(dst)
	if _, err := e.Write(src); err != nil {
		return nil, kgo.CodecError
	}
	if err := e.Close(); err != nil {
		return nil, kgo.CodecError
	}
	return dst.Bytes(), kgo.CodecLz4
}

var _ kgo.Compressor = lz4Compressor{}
