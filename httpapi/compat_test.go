package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
)

// syncBuffer is a bytes.Buffer for a logger written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Inputs the earlier service read, over real HTTP with the real pipeline: anamorphic sources at
// their displayed shape, QuickTime user data ending in a zero, and sources cut inside
// themselves but served whole, which give a valid, shorter GIF, a warning in the log and a
// count in source_truncated_total. Containers and tracks not read answer 415 saying what they
// are.
func TestInputsOfTheEarlierService(t *testing.T) {
	origin, _ := testdataOrigin(t)
	cfg := testConfig(t)
	var logs syncBuffer
	ts := startServiceWith(t, cfg, Deps{Store: store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	for _, c := range []struct {
		path, params  string
		width, height int
		maxFrames     int
	}{
		{"/compat/anamorphic-320x240-sar4x3.mp4", "", 80, 45, 24},
		{"/compat/anamorphic-320x240-sar4x3.mp4", "&osz=40", 40, 23, 24},
		{"/compat/sar5x4-sps-only.mp4", "", 80, 48, 24},
		{"/compat/sar4x3-pasp1x1.mp4", "", 80, 60, 24},
		{"/compat/udta-terminated.mov", "", 80, 45, 24},
		{"/compat/udta-terminated.mp4", "", 80, 45, 24},
		{"/compat/truncated-inside.mp4", "", 80, 45, 9},
		{"/compat/truncated-inside-fragmented.mp4", "", 80, 45, 9},
	} {
		_, a := ts.rawToken(t, "ifm=auto&ofm=gif&url="+url.QueryEscape(origin.URL+c.path)+c.params)
		if a == nil {
			t.Fatalf("%s: no token", c.path)
		}
		g, _ := getGIF(t, a["url"].(string))
		if g.Config.Width != c.width || g.Config.Height != c.height || len(g.Image) < 2 || len(g.Image) > c.maxFrames {
			t.Errorf("%s%s: %d frames of %dx%d, want 2 to %d of %dx%d", c.path, c.params, len(g.Image),
				g.Config.Width, g.Config.Height, c.maxFrames, c.width, c.height)
		}
	}
	waitIdle(t, ts)
	m := scrapeMetrics(t, ts, "", "")
	if n := metricValue(m, "source_truncated_total", "", ""); n != 2 {
		t.Errorf("source_truncated_total = %v, want 2", n)
	}
	if n := strings.Count(logs.String(), "source truncated; converted what it holds"); n != 2 {
		t.Errorf("%d truncation warnings in the log, want 2:\n%s", n, logs.String())
	}

	for _, c := range []struct{ path, message string }{
		{"/compat/koala.webm", "WebM (a Matroska container) is not supported"},
		{"/compat/koala.mkv", "Matroska is not supported"},
		{"/compat/koala.ivf", "IVF (VP80) is not supported"},
		{"/compat/koala.h264", "a raw H.264 stream (Annex B start codes, no container: no frame times) is not supported"},
		{"/compat/encrypted-cenc.mp4", "encrypted video is not supported"},
	} {
		_, a := ts.rawToken(t, "ifm=mp4&ofm=gif&url="+url.QueryEscape(origin.URL+c.path))
		res, err := http.Get(a["url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := readAll(res)
		if res.StatusCode != http.StatusUnsupportedMediaType || !bytes.Contains(body, []byte(c.message)) {
			t.Errorf("%s: %d %s; want 415 saying %q", c.path, res.StatusCode, body, c.message)
		}
		checkErrorBody(t, c.path, body, res.StatusCode)
	}
}

// A transfer cut short is not a truncated source: fewer bytes than Content-Length, or a reset,
// answer 502 and leave nothing in the cache (a stall is an origin timeout: 504, see
// TestOriginFaults). The same file served whole converts.
func TestTransferCutShortIs502(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "compat", "anamorphic-320x240-sar4x3.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	const cut = 3000 // past the movie box, inside the first picture: before any GIF byte
	mux := http.NewServeMux()
	mux.HandleFunc("/short.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data[:cut])
	})
	mux.HandleFunc("/reset.mp4", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(data)) + "\r\n\r\n")
		_, _ = buf.Write(data[:cut])
		_ = buf.Flush()
		if tcp, ok := conn.(interface{ SetLinger(int) error }); ok {
			_ = tcp.SetLinger(0) // close sends RST
		}
		_ = conn.Close()
	})
	mux.HandleFunc("/whole.mp4", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		_, _ = w.Write(data)
	})
	origin, _ := startOrigin(t, mux)
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			store := sk.make(t, cfg)
			ts := startService(t, cfg, store, nil)
			for _, c := range []struct {
				path string
				want int
			}{{"/short.mp4", 502}, {"/reset.mp4", 502}, {"/whole.mp4", 200}} {
				tok := ts.token(t, origin.URL+c.path)
				res, err := boundedClient.Get(tok.URL)
				if err != nil {
					t.Fatal(err)
				}
				body, rerr := readAll(res)
				if res.StatusCode != c.want || rerr != nil {
					t.Errorf("%s: status %d (%v), want %d: %.200s", c.path, res.StatusCode, rerr, c.want, body)
				}
				waitIdle(t, ts)
				_, err = store.Result(context.Background(), ts.resultID(tok.Key))
				if cached := err == nil; cached != (c.want == 200) || (!cached && !errors.Is(err, ErrNotFound)) {
					t.Errorf("%s: cached %v (%v), want %v", c.path, cached, err, c.want == 200)
				}
			}
			if n := metricValue(scrapeMetrics(t, ts, "", ""), "source_truncated_total", "", ""); n != 0 {
				t.Errorf("source_truncated_total = %v after cut transfers, want 0", n)
			}
		})
	}
}
