package txwriter

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicecdc/sluice/topology"
)

// A batch compressed with Sluice's lz4 compressor (several 64 KiB blocks,
// stored and compressed) decompresses with franz-go's own decompressor,
// also after the encoder was reused.
func TestLZ4Compressor_RoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	src := bytes.Repeat([]byte(`{"id":1,"name":"customer","type":"INSERT"}`), 3000)
	for range 100_000 {
		src = append(src, byte(rng.Uint32()))
	}
	for round := range 2 {
		var dst bytes.Buffer
		out, codec := lz4Compressor{}.Compress(&dst, src)
		if codec != kgo.CodecLz4 {
			t.Fatalf("round %d: codec %d, want lz4", round, codec)
		}
		if len(out) >= len(src) {
			t.Fatalf("round %d: %d bytes compressed to %d", round, len(src), len(out))
		}
		back, err := kgo.DefaultDecompressor().Decompress(out, kgo.CodecLz4)
		if err != nil {
			t.Fatalf("round %d: franz-go cannot decompress: %v", round, err)
		}
		if !bytes.Equal(back, src) {
			t.Fatalf("round %d: decompressed bytes differ", round)
		}
	}
}

// The client compresses lz4 batches with Sluice's compressor, and leaves
// the other codecs to franz-go's.
func TestOptions_LZ4UsesPooledCompressor(t *testing.T) {
	for _, codec := range []string{"lz4", "zstd"} {
		s := &topology.Sink{Name: "k", Brokers: []string{"127.0.0.1:1"}, Compression: codec}
		opts, err := options(&Config{Sink: s, TransactionalID: TransactionalID("t", "k")})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			t.Fatal(err)
		}
		_, ours := cl.OptValue(kgo.WithCompressor).(lz4Compressor)
		cl.Close()
		if ours != (codec == "lz4") {
			t.Errorf("compression %s: the client's compressor is Sluice's lz4: %v", codec, ours)
		}
	}
}
