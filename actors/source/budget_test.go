package source

import (
	"context"
	"testing"
	"time"
)

func TestBudget_Acquire_BlocksUntilRelease(t *testing.T) {
	b := NewBudget(100)
	if err := b.Acquire(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Acquire(context.Background(), 10) }()
	select {
	case <-got:
		t.Fatal("Acquire returned with no credit left")
	case <-time.After(50 * time.Millisecond):
	}
	b.Release(10)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.Available() != 0 {
		t.Fatalf("available = %d, want 0", b.Available())
	}
}

func TestBudget_Acquire_OversizedRequestPassesAlone(t *testing.T) {
	b := NewBudget(10)
	if err := b.Acquire(context.Background(), 50); err != nil {
		t.Fatal(err)
	}
	if b.Available() != -40 {
		t.Fatalf("available = %d, want -40", b.Available())
	}
}

func TestBudget_Acquire_CancelledContext(t *testing.T) {
	b := NewBudget(0)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if err := b.Acquire(ctx, 1); err == nil {
		t.Fatal("Acquire did not return the context's error")
	}
}
