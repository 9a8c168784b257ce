package httpapi

import (
	"bytes"
	"context"
	"image/gif"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

func TestConfigRenditions(t *testing.T) {
	cfg := testConfig(t)
	if len(cfg.Conversion.Source.Renditions) != 1 || cfg.Conversion.Source.Renditions[0].Host != "resources.tidal.com" {
		t.Errorf("default rules %+v, want TIDAL's", cfg.Conversion.Source.Renditions)
	}
	if cfg := testConfig(t, "SOURCE_RENDITIONS=0"); cfg.Conversion.Source.Renditions != nil {
		t.Errorf("SOURCE_RENDITIONS=0: rules %+v, want none", cfg.Conversion.Source.Renditions)
	}
	rule := `[{"host": "covers.example:8443", "path": "/v/*/{size}.mp4", "sizes": [160, 320]}]`
	cfg = testConfig(t, "SOURCE_RENDITION_RULES="+rule)
	if len(cfg.Conversion.Source.Renditions) != 2 || cfg.Conversion.Source.Renditions[0].Host != "covers.example:8443" || cfg.Conversion.Source.Renditions[1].Host != "resources.tidal.com" {
		t.Errorf("configured rules %+v, want the configured one, then TIDAL's", cfg.Conversion.Source.Renditions)
	}
	file := filepath.Join(t.TempDir(), "renditions.json")
	if err := os.WriteFile(file, []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg := testConfig(t, "SOURCE_RENDITION_RULES="+file); len(cfg.Conversion.Source.Renditions) != 2 {
		t.Errorf("rules from %s: %+v, want 2", file, cfg.Conversion.Source.Renditions)
	}

	for value, want := range map[string]string{
		`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160]`:                         "want a JSON array",
		`[{"host": "x", "path": "/v/{size}.mp4", "size": [160]}]`:                        `unknown field "size"`,
		`[{"host": "x", "path": "/v/cover.mp4", "sizes": [160]}]`:                        "must hold {size}",
		filepath.Join(t.TempDir(), "missing.json"):                                       "neither a JSON array nor a readable file",
		`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160], "originals": ["a/b"]}]`: "originals",
	} {
		_, err := LoadConfig(lookupMap(map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p",
			"SOURCE_RENDITION_RULES": value}))
		if err == nil || !strings.HasPrefix(err.Error(), "SOURCE_RENDITION_RULES: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want a SOURCE_RENDITION_RULES line saying %q", value, err, want)
		}
	}
	_, err := LoadConfig(lookupMap(map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p",
		"SOURCE_RENDITIONS": "sometimes"}))
	if err == nil || !strings.HasPrefix(err.Error(), "SOURCE_RENDITIONS: ") {
		t.Errorf("SOURCE_RENDITIONS=sometimes: error %v", err)
	}
}

// renditionOrigin serves testdata/renditions like resources.tidal.com (a size it lacks answers
// 403) and logs the file name of every request.
func renditionOrigin(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var log []string
	root := filepath.Join("..", "testdata", "renditions")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		log = append(log, r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:])
		mu.Unlock()
		file := filepath.Join(root, filepath.FromSlash(r.URL.Path))
		if _, err := os.Stat(file); err != nil {
			http.Error(w, "Forbidden", http.StatusForbidden)
			return
		}
		http.ServeFile(w, r, file)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(log)
	}
}

// The service, configured with a rule for a local TIDAL-like origin, reads the 160 px rendition
// for the 1280 px URL a client asks for, and keys the result by the URL asked for.
func TestServiceReadsCheapestRendition(t *testing.T) {
	origin, requests := renditionOrigin(t)
	host := strings.TrimPrefix(origin.URL, "http://")
	cfg := testConfig(t, `SOURCE_RENDITION_RULES=[{"host": "`+host+`", "path": "/videos/*/{size}x{size}.mp4",
		"sizes": [80, 160, 320, 640, 1280], "originals": ["origin.mp4"]}]`)
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), nil)

	asked := origin.URL + "/videos/ab/cd/ef/1280x1280.mp4"
	tok := ts.token(t, asked)
	if tok.Key.URL != asked {
		t.Errorf("token key URL %q, want the URL asked for %q", tok.Key.URL, asked)
	}
	res := ts.get(t, strings.TrimPrefix(tok.URL, ts.http.URL))
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("convert: status %d, %v", res.StatusCode, err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a GIF: %v", err)
	}
	if g.Config.Width != 80 || g.Config.Height != 80 || len(g.Image) != 24 {
		t.Errorf("GIF %dx%d, %d frames; want 80x80, 24 frames (1 s at 24 fps)", g.Config.Width, g.Config.Height, len(g.Image))
	}
	if got := requests(); !slices.Equal(got, []string{"160x160.mp4"}) {
		t.Errorf("origin saw %q, want only 160x160.mp4", got)
	}

	// The same URL again is the same result, from the cache: the origin sees nothing more.
	if again := ts.token(t, asked); ts.resultID(again.Key) != ts.resultID(tok.Key) {
		t.Errorf("the same URL got another result id")
	}
	res = ts.get(t, strings.TrimPrefix(tok.URL, ts.http.URL))
	again, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(again, data) || len(requests()) != 1 {
		t.Errorf("second answer: %d bytes (want the same %d), origin saw %q", len(again), len(data), requests())
	}
}

// The server's conversion options pass the rules to the codec, and none when they are switched
// off, and fetch through the source policy; the statistics say which URL was read.
func TestServerConversionRenditions(t *testing.T) {
	origin, requests := renditionOrigin(t)
	host := strings.TrimPrefix(origin.URL, "http://")
	rule := `SOURCE_RENDITION_RULES=[{"host": "` + host + `", "path": "/videos/*/{size}x{size}.mp4", "sizes": [160, 320, 640, 1280], "originals": ["origin.mp4"]}]`
	asked := origin.URL + "/videos/ab/cd/ef/origin.mp4"
	for _, tt := range []struct {
		env      []string
		wantRead string
		wantLog  []string // the origin's log so far
	}{
		{[]string{rule}, "160x160.mp4", []string{"160x160.mp4"}},
		{[]string{rule, "SOURCE_RENDITIONS=0"}, "origin.mp4", []string{"160x160.mp4", "origin.mp4"}},
	} {
		cfg := testConfig(t, tt.env...)
		srv, err := New(cfg, Deps{Store: store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
		opts := srv.conversionOptions(Key{URL: asked, OFM: "gif"})
		if opts.Source.Fetch.Client == nil || opts.Source.Fetch.CheckURL == nil {
			t.Fatal("the conversion options do not fetch through the source policy")
		}
		stats, err := pipeline.Convert(t.Context(), asked, opts, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if !strings.HasSuffix(stats.SourceURL, "/"+tt.wantRead) {
			t.Errorf("%v: read %s, want %s", tt.env, stats.SourceURL, tt.wantRead)
		}
		if got := requests(); !slices.Equal(got, tt.wantLog) {
			t.Errorf("%v: origin saw %q, want %q", tt.env, got, tt.wantLog)
		}
	}
}
