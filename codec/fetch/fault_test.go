package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/internal/sourceerr"
)

// readAll opens input and reads it to its end; it returns the first error.
func readAll(input string, opts Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	loc, err := ParseInput(input)
	if err != nil {
		return err
	}
	s, err := New(opts).Open(ctx, loc)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = io.Copy(io.Discard, s)
	return err
}

// An origin that cannot be reached, or that resets the connection before answering, is an
// origin error (the service's 502), not the caller's cancellation: a regression test for the
// request's context being cancelled (by closing the body) before the error was classified,
// which made every such failure an unclassed "context canceled" (a 500).
func TestUnreachableOriginIsOriginError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	_ = l.Close()
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0) // close sends RST
		_ = conn.Close()
	}))
	defer reset.Close()
	for _, c := range []struct{ name, url string }{
		{"connection refused", "http://" + closedPort + "/a.mp4"},
		{"reset before the answer", reset.URL + "/a.mp4"},
	} {
		err := readAll(c.url, Options{})
		if !errors.Is(err, sourceerr.ErrOrigin) || strings.Contains(err.Error(), "context canceled") {
			t.Errorf("%s: %v, want ErrOrigin", c.name, err)
		}
	}
}

// An origin that sends no answer is a timeout (the service's 504) whichever timer notices:
// here the transport's response-header timeout, shorter than the request's. A regression test:
// the transport's timeout error was an origin error (502).
func TestOriginWithoutAnswerIsTimeout(t *testing.T) {
	release := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer silent.Close()
	defer close(release)
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 100 * time.Millisecond}}
	err := readAll(silent.URL+"/a.mp4", Options{Client: client, Timeout: 20 * time.Second})
	if !errors.Is(err, sourceerr.ErrTimeout) {
		t.Errorf("%v, want ErrTimeout", err)
	}
}
