package codec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// openAndRead opens input and reads it through; it returns the first error.
func openAndRead(input string, opts OpenOptions) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src, err := Open(ctx, input, opts)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	n := 0
	for {
		_, err := src.Next(ctx)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// countingTransport counts response bodies opened and closed: every one must be closed.
type countingTransport struct {
	opened, closed atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	c.opened.Add(1)
	resp.Body = &countedBody{ReadCloser: resp.Body, c: c}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	c    *countingTransport
	once sync.Once
}

func (b *countedBody) Close() error {
	b.once.Do(func() { b.c.closed.Add(1) })
	return b.ReadCloser.Close()
}

// TestBadInput: each broken source fails with its class and a message saying what, over real
// HTTP, and leaves no response body open.
func TestBadInput(t *testing.T) {
	root := newOrigin(t, fixtures)
	tests := []struct {
		path    string
		class   error
		message string
	}{
		{"broken/not-video.html", ErrUnsupported, "not a video: starts with HTML"},
		{"broken/not-video.json", ErrUnsupported, "not a video: starts with JSON"},
		{"broken/empty.mp4", ErrUnsupported, "not a video: empty"},
		{"broken/audio-only.mp4", ErrUnsupported, "no H.264 or H.265 video track (only mp4a audio)"},
		{"broken/too-wide-4112x32.mp4", ErrUnsupported, "over the limit of 4096x4096"},
		{"broken/hevc-too-wide-4112x32.mp4", ErrUnsupported, "h265: unsupported stream: coded picture of 4112x32 is over the limit of 4096x4096"},
		{"broken/hevc-422-64x64.mp4", ErrUnsupported, "h265: unsupported stream: chroma_format_idc 2 (only 4:2:0)"},
		{"broken/high10-64x64.mp4", ErrUnsupported, "h264: unsupported stream: the High 10 profile (profile_idc 110); only Baseline, Main, Extended and High are decoded"},
		{"broken/high422-64x64.mp4", ErrUnsupported, "h264: unsupported stream: the High 4:2:2 profile (profile_idc 122)"},
		{"broken/interlaced-64x64.mp4", ErrUnsupported, "h264: unsupported stream: interlaced coding (frame_mbs_only_flag 0)"},
		{"broken/no-such-file.mp4", ErrOrigin, "404"},
		{"compat/koala.webm", ErrUnsupported, "WebM (a Matroska container) is not supported"},
		{"compat/koala.mkv", ErrUnsupported, "Matroska is not supported"},
		{"compat/koala.ivf", ErrUnsupported, "IVF (VP80) is not supported"},
		{"compat/koala.h264", ErrUnsupported, "a raw H.264 stream (Annex B start codes, no container: no frame times) is not supported"},
		{"compat/encrypted-cenc.mp4", ErrUnsupported, "encrypted video is not supported (encv, protection scheme cenc)"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			tr := &countingTransport{}
			_, err := openAndRead(root.URL+"/"+tt.path, OpenOptions{Fetch: fetch.Options{Client: &http.Client{Transport: tr}}})
			if !errors.Is(err, tt.class) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %v; want %v with %q", err, tt.class, tt.message)
			}
			if o, c := tr.opened.Load(), tr.closed.Load(); o != c {
				t.Errorf("%d response bodies opened, %d closed", o, c)
			}
		})
	}
}

// TestCorruptNAL: 200 random bytes inside the media data either pass the demuxer (the decoder
// judges them) or fail as invalid; never anything else.
func TestCorruptNAL(t *testing.T) {
	n, err := openAndRead(filepath.Join(fixtures, "broken", "corrupt-nal.mp4"), OpenOptions{})
	if err != nil && !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v, want nil or ErrInvalid", err)
	}
	t.Logf("%d samples, %v", n, err)
}

// TestMasterOfMaster: a variant that is itself a master is refused.
func TestMasterOfMaster(t *testing.T) {
	master, _ := os.ReadFile(filepath.Join(fixtures, "hls", "master.m3u8"))
	mm, _ := os.ReadFile(filepath.Join(fixtures, "broken", "master-of-master.m3u8"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/mm.m3u8":
			w.Write(mm)
		case "/master.m3u8":
			w.Write(master)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	_, err := openAndRead(srv.URL+"/mm.m3u8", OpenOptions{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "is a master playlist") {
		t.Errorf("error %v, want ErrUnsupported naming the master", err)
	}
}

// TestLongPlaylist: a media playlist of thousands of entries is read only up to the duration
// limit; one over the size limit is refused before any segment is fetched.
func TestLongPlaylist(t *testing.T) {
	o := newOrigin(t, filepath.Join(fixtures, "hls"))
	var missing atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/long.m3u8", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-PLAYLIST-TYPE:VOD\n")
		for i := range 5000 {
			if i < 4 {
				fmt.Fprintf(&b, "#EXTINF:1.0,\n%s/video_ts_200x200_%d.ts\n", o.URL, i)
			} else {
				fmt.Fprintf(&b, "#EXTINF:1.0,\nmissing-%d.ts\n", i)
			}
		}
		b.WriteString("#EXT-X-ENDLIST\n")
		io.WriteString(w, b.String())
	})
	mux.HandleFunc("/huge.m3u8", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n")
		for i := range 60000 {
			fmt.Fprintf(w, "#EXTINF:1.0,\nmissing-%d.ts\n", i)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		missing.Add(1)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	n, err := openAndRead(srv.URL+"/long.m3u8", OpenOptions{MaxDuration: 3 * time.Second})
	if err != nil || n < 90 || n > 93 {
		t.Errorf("long playlist: %d samples, %v; want about 90 (3 s)", n, err)
	}
	if got := missing.Load(); got != 0 {
		t.Errorf("%d requests for entries past the duration limit", got)
	}
	_, err = openAndRead(srv.URL+"/huge.m3u8", OpenOptions{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "playlist larger than") {
		t.Errorf("huge playlist: %v", err)
	}
	if got := missing.Load(); got != 0 {
		t.Errorf("%d segment requests for a refused playlist", got)
	}
}

// TestSlowOrigin: an origin that never answers, and one that stops sending, end in
// ErrTimeout. The handlers return when the client goes away, so nothing is left running.
func TestSlowOrigin(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(fixtures, "media", "high-bframes-320x320-30fps.mp4"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall.mp4" {
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:len(data)/3])
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
	}))
	defer srv.Close()
	tests := []struct {
		path    string
		opts    fetch.Options
		message string
	}{
		{"/silent.mp4", fetch.Options{Timeout: 300 * time.Millisecond}, "no complete answer within 300ms"},
		{"/stall.mp4", fetch.Options{Timeout: 10 * time.Second, IdleTimeout: 300 * time.Millisecond}, "nothing received for 300ms"},
	}
	for _, tt := range tests {
		tr := &countingTransport{}
		tt.opts.Client = &http.Client{Transport: tr}
		n, err := openAndRead(srv.URL+tt.path, OpenOptions{Fetch: tt.opts})
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: %d samples, error %v; want ErrTimeout %q", tt.path, n, err, tt.message)
		}
		if o, c := tr.opened.Load(), tr.closed.Load(); o != c {
			t.Errorf("%s: %d response bodies opened, %d closed", tt.path, o, c)
		}
	}
}

// TestByteLimit: more bytes than MaxBytes, over all requests of a source, is an origin error.
func TestByteLimit(t *testing.T) {
	root := newOrigin(t, fixtures)
	for _, path := range []string{"media/high-bframes-320x320-30fps.mp4", "media/high-bframes-320x320-30fps-moov-end.mp4", "hls/master.m3u8"} {
		_, err := openAndRead(root.URL+"/"+path, OpenOptions{Fetch: fetch.Options{MaxBytes: 50_000}})
		if !errors.Is(err, ErrOrigin) || !strings.Contains(err.Error(), "larger than the limit of 50000 bytes") {
			t.Errorf("%s: %v", path, err)
		}
	}
	// Within the limit, the same sources read through.
	if _, err := openAndRead(root.URL+"/hls/master.m3u8", OpenOptions{Fetch: fetch.Options{MaxBytes: 200_000}}); err != nil {
		t.Errorf("within the limit: %v", err)
	}
}

// TestCheckURL: a redirect to, or a playlist entry on, a refused host fails with ErrForbidden
// and the refused server receives no request.
func TestCheckURL(t *testing.T) {
	refused := newOrigin(t, fixtures)
	refusedURL, _ := url.Parse(refused.URL)
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect.mp4":
			http.Redirect(w, r, refused.URL+"/media/high-bframes-320x320-30fps.mp4", http.StatusFound)
		case "/media.m3u8":
			fmt.Fprintf(w, "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n%s/hls/video_ts_200x200_0.ts\n#EXT-X-ENDLIST\n", refused.URL)
		case "/master.m3u8":
			fmt.Fprintf(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1.4d400d\",RESOLUTION=200x200\n%s/hls/video_ts_200x200.m3u8\n", refused.URL)
		}
	}))
	defer allowed.Close()
	check := func(ctx context.Context, u *url.URL) error {
		if u.Host == refusedURL.Host {
			return errors.New("host not in the whitelist")
		}
		return nil
	}
	for _, path := range []string{"/redirect.mp4", "/media.m3u8", "/master.m3u8"} {
		_, err := openAndRead(allowed.URL+path, OpenOptions{Fetch: fetch.Options{CheckURL: check}})
		if !errors.Is(err, ErrForbidden) || !errors.Is(err, ErrOrigin) || !strings.Contains(err.Error(), "host not in the whitelist") {
			t.Errorf("%s: %v, want ErrForbidden", path, err)
		}
	}
	if n := refused.total(); n != 0 {
		t.Errorf("refused server got %d requests", n)
	}
	_, err := openAndRead(refused.URL+"/media/high-bframes-320x320-30fps.mp4", OpenOptions{Fetch: fetch.Options{CheckURL: check}})
	if !errors.Is(err, ErrForbidden) || refused.total() != 0 {
		t.Errorf("first URL: %v, %d requests", err, refused.total())
	}
}

// TestCancel: a progressive MP4 gives samples while it downloads, and cancelling the context
// of Next ends the source's requests.
func TestCancel(t *testing.T) {
	data, _ := os.ReadFile(filepath.Join(fixtures, "media", "high-bframes-320x320-30fps.mp4"))
	stalled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		close(stalled)
		<-r.Context().Done()
	}))
	defer srv.Close()
	tr := &countingTransport{}
	src, err := Open(context.Background(), srv.URL+"/x.mp4", OpenOptions{Fetch: fetch.Options{Client: &http.Client{Transport: tr}}})
	if err != nil {
		t.Fatal(err)
	}
	// The origin sends only the first half and holds the rest: the first 20 samples (all in
	// that half) must come out meanwhile.
	ctx, cancel := context.WithCancel(context.Background())
	for i := range 20 {
		if _, err := src.Next(ctx); err != nil {
			t.Fatalf("sample %d: %v", i, err)
		}
	}
	<-stalled
	done := make(chan error)
	go func() {
		var err error
		for err == nil {
			_, err = src.Next(ctx) // blocks once the first half is read
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	src.Close()
	if o, c := tr.opened.Load(), tr.closed.Load(); o != c {
		t.Errorf("%d response bodies opened, %d closed", o, c)
	}
}
