package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

func TestResultTenReadersWhileWriting(t *testing.T) {
	r := NewResult()
	ctx := context.Background()
	const readers = 10
	got := make([][]byte, readers)
	var wg sync.WaitGroup
	for i := range readers {
		rr := r.NewReader(ctx)
		wg.Go(func() {
			var buf bytes.Buffer
			if _, err := io.Copy(&buf, rr); err != nil {
				t.Errorf("reader %d: %v", i, err)
			}
			got[i] = buf.Bytes()
		})
	}
	var want bytes.Buffer
	for i := range 500 {
		chunk := bytes.Repeat([]byte{byte(i)}, 1+i%97)
		want.Write(chunk)
		if _, err := r.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			time.Sleep(time.Millisecond) // let readers catch up and wait again
		}
	}
	r.Close(nil)
	wg.Wait()
	for i, g := range got {
		if !bytes.Equal(g, want.Bytes()) {
			t.Errorf("reader %d got %d bytes, want %d identical bytes", i, len(g), want.Len())
		}
	}
	// A late reader of a finished result reads it whole.
	late, err := io.ReadAll(r.NewReader(ctx))
	if err != nil || !bytes.Equal(late, want.Bytes()) {
		t.Errorf("late reader: %d bytes, err %v; want %d bytes", len(late), err, want.Len())
	}
	if b, ok := r.Bytes(); !ok || len(b) != want.Len() {
		t.Errorf("Bytes() = %d bytes, %v", len(b), ok)
	}
}

func TestResultFailureReachesReaders(t *testing.T) {
	r := NewResult()
	rr := r.NewReader(context.Background())
	r.Write([]byte("GIF89a"))
	boom := errors.New("decoder failed")
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(rr)
		done <- err
	}()
	r.Close(boom)
	if err := <-done; !errors.Is(err, boom) {
		t.Fatalf("reader error = %v, want %v", err, boom)
	}
	if _, ok := r.Bytes(); ok {
		t.Error("Bytes() of a failed result reported complete")
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	var buf bytes.Buffer
	if n, err := r.NewReader(context.Background()).WriteTo(&buf); !errors.Is(err, boom) || n != 6 {
		t.Errorf("WriteTo = %d, %v; want 6 bytes then %v", n, err, boom)
	}
}

func TestResultReaderStopsWithContext(t *testing.T) {
	r := NewResult()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(r.NewReader(ctx))
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reader did not stop when its context ended")
	}
}
