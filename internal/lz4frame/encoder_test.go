package lz4frame

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/pierrec/lz4/v4"
)

// input returns n bytes that compress about as records do: runs of
// repeated text with random letters between them.
func input(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b []byte
	for len(b) < n {
		b = append(b, `{"id":`...)
		for range 12 {
			b = append(b, byte('a'+rng.IntN(26)))
		}
		b = append(b, `,"table":"orders","type":"INSERT"}`...)
	}
	return b[:n]
}

func random(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	return b
}

func TestEncoder_RoundTrip(t *testing.T) {
	var e Encoder
	for _, tc := range []struct {
		name  string
		in    []byte
		write int // bytes per Write call
	}{
		{"empty", nil, 1},
		{"one byte", []byte("x"), 1},
		{"small writes", input(300_000, 1), 7},
		{"exactly one block", input(BlockSize, 2), BlockSize},
		{"large writes", input(1<<20+123, 3), 200_000},
		{"incompressible", random(3*BlockSize + 17), 50_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var frame bytes.Buffer
			e.Reset(&frame)
			for p := tc.in; len(p) > 0; {
				k := min(tc.write, len(p))
				if n, err := e.Write(p[:k]); err != nil || n != k {
					t.Fatalf("Write = %d, %v; want %d", n, err, k)
				}
				p = p[k:]
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(lz4.NewReader(bytes.NewReader(frame.Bytes())))
			if err != nil {
				t.Fatalf("pierrec/lz4 cannot read the frame: %v", err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("decoded %d bytes differ from the %d written", len(got), len(tc.in))
			}
			if tc.name == "large writes" && frame.Len() > len(tc.in)/2 {
				t.Errorf("compressed %d bytes into %d: not compressed", len(tc.in), frame.Len())
			}
		})
	}
}

// The header is the one pierrec/lz4 writes for the same options: its
// checksum byte is computed, not copied.
func TestEncoder_HeaderMatchesReferenceWriter(t *testing.T) {
	var ref bytes.Buffer
	w := lz4.NewWriter(&ref)
	if err := w.Apply(lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(false)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(ref.Bytes(), header) {
		t.Fatalf("reference header % x, ours % x", ref.Bytes()[:7], header)
	}
}

// A reused Encoder writes the same frame for the same input.
func TestEncoder_ReuseIsDeterministic(t *testing.T) {
	in := input(200_000, 4)
	frame := func(e *Encoder) []byte {
		var b bytes.Buffer
		e.Reset(&b)
		if _, err := e.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var used Encoder
	frame(&used)
	var other bytes.Buffer
	used.Reset(&other)
	_, _ = used.Write(random(10_000)) // abandoned half-way
	if a, b := frame(&used), frame(&Encoder{}); !bytes.Equal(a, b) {
		t.Fatal("a reused encoder wrote a different frame than a new one")
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, io.ErrClosedPipe
	}
	f.after--
	return len(p), nil
}

func TestEncoder_WriterErrorSticks(t *testing.T) {
	var e Encoder
	e.Reset(&failWriter{after: 1}) // the header goes through, the first block does not
	if _, err := e.Write(input(2*BlockSize, 5)); err != io.ErrClosedPipe {
		t.Fatalf("Write error %v, want %v", err, io.ErrClosedPipe)
	}
	if err := e.Close(); err != io.ErrClosedPipe {
		t.Fatalf("Close error %v, want %v", err, io.ErrClosedPipe)
	}
}

func TestPool_ReusesUpToMax(t *testing.T) {
	p := NewPool(1)
	a, b := p.Get(), p.Get()
	if a == b {
		t.Fatal("two Gets returned the same encoder")
	}
	p.Put(a)
	p.Put(b) // beyond the limit: dropped
	if got := p.Get(); got != a {
		t.Fatal("Get after Put did not reuse the idle encoder")
	}
	if got := p.Get(); got == b {
		t.Fatal("the pool kept more idle encoders than its limit")
	}
}
