package httpapi

import (
	"bytes"
	"image/gif"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// pathLog serves the fixtures and records every path asked for.
type pathLog struct {
	mu    sync.Mutex
	paths []string
}

func (l *pathLog) handler() http.Handler {
	files := http.FileServer(http.Dir("../testdata"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.paths = append(l.paths, r.URL.Path)
		l.mu.Unlock()
		files.ServeHTTP(w, r)
	})
}

// take returns the paths asked for since the last call.
func (l *pathLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.paths
	l.paths = nil
	return p
}

// HEVC sources through the real service over loopback HTTP, /token then /convert.gif, decoded
// in the decode worker (the default): an HEVC-only MP4, a Main 10 one, an HDR one, an HEVC-only
// master (its 192 px SDR variant is read), and the mixed master, which still reads H.264. A
// 4:2:2 stream is refused with 415 and says why.
func TestHEVCThroughHTTP(t *testing.T) {
	var log pathLog
	origin, _ := startOrigin(t, log.handler())
	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			cfg := testConfig(t)
			if !cfg.Conversion.Isolate {
				t.Fatal("CONVERSION_ISOLATE_DECODER is off by default")
			}
			ts := startService(t, cfg, sk.make(t, cfg), nil)
			for _, src := range []struct {
				path          string
				width, height int
				minFrames     int
				read, notRead string // a media file the origin must and must not have served
			}{
				{"/broken/hevc-only.mp4", 80, 80, 12, "/broken/hevc-only.mp4", ""},
				{"/hevc/main10-250x142-24fps.mp4", 80, 45, 24, "/hevc/main10-250x142-24fps.mp4", ""},
				{"/hevc/main10-pq-160x160-30fps.mp4", 80, 80, 12, "/hevc/main10-pq-160x160-30fps.mp4", ""},
				{"/hevc/master-hevc-only.m3u8", 80, 80, 36, "/hevc/video_hevc_sdr_192x192-.mp4", "/hevc/video_hevc_sdr_320x320-.mp4"},
				{"/hls/master.m3u8", 80, 80, 48, "/hls/video_sdr_160x160-.mp4", "/hls/video_hevc_160x160-.mp4"},
			} {
				log.take()
				tok := ts.token(t, origin.URL+src.path)
				res := ts.get(t, "/convert.gif?token="+tok.Token)
				data, err := readAll(res)
				if err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/gif" {
					t.Fatalf("%s: status %d, %s, %v: %.200s", src.path, res.StatusCode, res.Header.Get("Content-Type"), err, data)
				}
				g, err := gif.DecodeAll(bytes.NewReader(data))
				if err != nil {
					t.Fatalf("%s: not a GIF: %v", src.path, err)
				}
				if g.Config.Width != src.width || g.Config.Height != src.height || len(g.Image) < src.minFrames {
					t.Errorf("%s: %d frames of %dx%d, want at least %d of %dx%d", src.path, len(g.Image), g.Config.Width, g.Config.Height, src.minFrames, src.width, src.height)
				}
				asked := log.take()
				if !slices.Contains(asked, src.read) || src.notRead != "" && slices.Contains(asked, src.notRead) {
					t.Errorf("%s: the origin served %v; want %s and not %q", src.path, asked, src.read, src.notRead)
				}
				t.Logf("%s: %d frames, %dx%d, %d bytes", src.path, len(g.Image), g.Config.Width, g.Config.Height, len(data))
			}

			tok := ts.token(t, origin.URL+"/broken/hevc-422-64x64.mp4")
			res := ts.get(t, "/convert.gif?token="+tok.Token)
			body, _ := readAll(res)
			if res.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(string(body), "only 4:2:0") {
				t.Errorf("4:2:2 HEVC: status %d: %s; want 415 saying only 4:2:0", res.StatusCode, body)
			}
			checkErrorBody(t, "4:2:2 HEVC", body, http.StatusUnsupportedMediaType)
		})
	}
}
