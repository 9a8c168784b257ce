package codec

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// renditionDir is where make-fixtures.sh puts one cover at 160, 320 and 640 px (and origin.mp4,
// the 640 bytes again), under a TIDAL-like path.
const renditionDir = "videos/ab/cd/ef"

// tidalOrigin serves testdata/renditions as resources.tidal.com does: a size it does not have
// answers 403 at once. Tests withhold sizes (403 too), or make one answer an HTML page or a
// server error; the log keeps every request's path in order.
type tidalOrigin struct {
	*httptest.Server
	mu       sync.Mutex
	log      []string
	withheld map[string]bool // file names answered 403
	html     map[string]bool // file names answered 200 with an HTML page
	failing  map[string]bool // file names answered 500
}

const notFoundPage = "<!doctype html><html><body>This cover is not available.</body></html>"

func newTIDALOrigin(t *testing.T) *tidalOrigin {
	t.Helper()
	o := &tidalOrigin{withheld: map[string]bool{}, html: map[string]bool{}, failing: map[string]bool{}}
	root := filepath.Join(fixtures, "renditions")
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		o.mu.Lock()
		o.log = append(o.log, r.URL.Path)
		withheld, html, failing := o.withheld[name], o.html[name], o.failing[name]
		o.mu.Unlock()
		file := filepath.Join(root, filepath.FromSlash(r.URL.Path))
		switch _, err := os.Stat(file); {
		case failing:
			http.Error(w, "upstream broke", http.StatusInternalServerError)
		case html:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, notFoundPage)
		case withheld || err != nil:
			http.Error(w, "Forbidden", http.StatusForbidden)
		default:
			http.ServeFile(w, r, file)
		}
	}))
	t.Cleanup(o.Close)
	return o
}

// requests is the log of paths asked for, by file name only.
func (o *tidalOrigin) requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	names := make([]string, len(o.log))
	for i, p := range o.log {
		names[i] = p[strings.LastIndexByte(p, '/')+1:]
	}
	return names
}

// url is the origin's URL of a file of the cover.
func (o *tidalOrigin) url(name string) string { return o.URL + "/" + renditionDir + "/" + name }

// rules is TIDAL's rule pointed at the origin, written as configuration would write it.
func (o *tidalOrigin) rules(t *testing.T) []RenditionRule {
	t.Helper()
	host := strings.TrimPrefix(o.URL, "http://")
	rules, err := ParseRenditionRules([]byte(`[{"host": "` + host + `", "path": "/videos/*/{size}x{size}.mp4",
		"sizes": [80, 160, 320, 640, 1280], "originals": ["origin.mp4"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func fileSize(t *testing.T, name string) int64 {
	t.Helper()
	st, err := os.Stat(filepath.Join(fixtures, "renditions", renditionDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestOpenRendition(t *testing.T) {
	tests := []struct {
		name       string
		ask        string // file name of the cover asked for
		outputSize int
		withheld   []string
		html       []string
		rulesOff   bool
		wantURL    string   // file name read
		wantWidth  int      // of the picture read
		wantLog    []string // every request, in order
	}{
		{name: "160 for an 80 px GIF", ask: "1280x1280.mp4",
			wantURL: "160x160.mp4", wantWidth: 160, wantLog: []string{"160x160.mp4"}},
		{name: "160 from origin.mp4", ask: "origin.mp4",
			wantURL: "160x160.mp4", wantWidth: 160, wantLog: []string{"160x160.mp4"}},
		{name: "next size when 160 answers 403", ask: "1280x1280.mp4", withheld: []string{"160x160.mp4"},
			wantURL: "320x320.mp4", wantWidth: 320, wantLog: []string{"160x160.mp4", "320x320.mp4"}},
		{name: "next size when 160 is not a video", ask: "1280x1280.mp4", html: []string{"160x160.mp4"},
			wantURL: "320x320.mp4", wantWidth: 320, wantLog: []string{"160x160.mp4", "320x320.mp4"}},
		{name: "the original when no other size exists", ask: "origin.mp4",
			withheld: []string{"160x160.mp4", "320x320.mp4", "640x640.mp4"},
			wantURL:  "origin.mp4", wantWidth: 640,
			wantLog: []string{"160x160.mp4", "320x320.mp4", "640x640.mp4", "1280x1280.mp4", "origin.mp4"}},
		{name: "a larger output skips the small sizes", ask: "origin.mp4", outputSize: 200,
			wantURL: "640x640.mp4", wantWidth: 640, wantLog: []string{"640x640.mp4"}},
		{name: "never a size above the one asked for", ask: "320x320.mp4", outputSize: 160,
			wantURL: "320x320.mp4", wantWidth: 320, wantLog: []string{"320x320.mp4"}},
		{name: "rules off: the URL as given", ask: "origin.mp4", rulesOff: true,
			wantURL: "origin.mp4", wantWidth: 640, wantLog: []string{"origin.mp4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newTIDALOrigin(t)
			for _, n := range tt.withheld {
				o.withheld[n] = true
			}
			for _, n := range tt.html {
				o.html[n] = true
			}
			var checked []string
			opts := OpenOptions{OutputSize: tt.outputSize, Fetch: fetch.Options{
				CheckURL: func(_ context.Context, u *url.URL) error {
					checked = append(checked, u.Path[strings.LastIndexByte(u.Path, '/')+1:])
					return nil
				},
			}}
			if !tt.rulesOff {
				opts.Renditions = o.rules(t)
			}
			src, err := Open(context.Background(), o.url(tt.ask), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			samples := readAll(t, src)
			info := src.Info()
			if info.URL != o.url(tt.wantURL) {
				t.Errorf("read %s, want %s", info.URL, o.url(tt.wantURL))
			}
			if info.Width != tt.wantWidth || len(samples) != 24 {
				t.Errorf("read %dx%d, %d samples; want %d wide, 24 samples", info.Width, info.Height, len(samples), tt.wantWidth)
			}
			if got := o.requests(); !slices.Equal(got, tt.wantLog) {
				t.Errorf("origin saw %q, want %q", got, tt.wantLog)
			}
			// One request per try, and the host check asked about each.
			stats := src.Fetched()
			if stats.Requests != int64(len(tt.wantLog)) || !slices.Equal(checked, tt.wantLog) {
				t.Errorf("%d requests, host check asked about %q; want %d, %q", stats.Requests, checked, len(tt.wantLog), tt.wantLog)
			}
			// A miss costs at most its error page: the bytes are the file read plus the HTML.
			want := fileSize(t, tt.wantURL) + int64(len(notFoundPage))*int64(len(tt.html))
			if got := stats.Bytes; got != want {
				t.Errorf("fetched %d bytes, want %d", got, want)
			}
		})
	}
}

func TestOpenRenditionFailures(t *testing.T) {
	t.Run("nothing exists: the asked URL's own 403", func(t *testing.T) {
		o := newTIDALOrigin(t)
		o.withheld["160x160.mp4"], o.withheld["320x320.mp4"], o.withheld["640x640.mp4"] = true, true, true
		_, err := Open(context.Background(), o.url("1280x1280.mp4"), OpenOptions{Renditions: o.rules(t)})
		if !errors.Is(err, ErrOrigin) || !strings.Contains(err.Error(), "1280x1280.mp4: status 403") {
			t.Errorf("error %v, want the origin's 403 for 1280x1280.mp4", err)
		}
		want := []string{"160x160.mp4", "320x320.mp4", "640x640.mp4", "1280x1280.mp4"}
		if got := o.requests(); !slices.Equal(got, want) {
			t.Errorf("origin saw %q, want %q", got, want)
		}
	})
	// A server error is not "this size does not exist": the origin is in trouble, and asking it
	// for the larger file too would only add to it.
	t.Run("a server error ends the tries", func(t *testing.T) {
		o := newTIDALOrigin(t)
		o.failing["160x160.mp4"] = true
		_, err := Open(context.Background(), o.url("1280x1280.mp4"), OpenOptions{Renditions: o.rules(t)})
		if !errors.Is(err, ErrOrigin) || !strings.Contains(err.Error(), "status 500") {
			t.Errorf("error %v, want the origin's 500", err)
		}
		if got := o.requests(); !slices.Equal(got, []string{"160x160.mp4"}) {
			t.Errorf("origin saw %q, want only 160x160.mp4", got)
		}
	})
	t.Run("the host check refuses every try", func(t *testing.T) {
		o := newTIDALOrigin(t)
		refuse := func(context.Context, *url.URL) error { return errors.New("host not allowed") }
		_, err := Open(context.Background(), o.url("origin.mp4"), OpenOptions{
			Renditions: o.rules(t), Fetch: fetch.Options{CheckURL: refuse}})
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("error %v, want ErrForbidden", err)
		}
		if got := o.requests(); len(got) != 0 {
			t.Errorf("origin saw %q, want nothing", got)
		}
	})
}

func TestProbeNamesRenditions(t *testing.T) {
	o := newTIDALOrigin(t)
	o.withheld["160x160.mp4"] = true
	r, err := Probe(context.Background(), o.url("1280x1280.mp4"), OpenOptions{Renditions: o.rules(t)})
	if err != nil {
		t.Fatal(err)
	}
	if r.URL != o.url("320x320.mp4") || r.Width != 320 || r.Frames != 24 {
		t.Errorf("probe read %s, %dx%d, %d frames; want 320x320.mp4, 320 wide, 24 frames", r.URL, r.Width, r.Height, r.Frames)
	}
	if !slices.Equal(r.RenditionsMissing, []string{o.url("160x160.mp4")}) {
		t.Errorf("renditionsMissing %q, want the 160 one", r.RenditionsMissing)
	}
}

func TestRenditionCandidates(t *testing.T) {
	rules, err := compileRenditionRules(DefaultRenditionRules())
	if err != nil {
		t.Fatal(err)
	}
	const base = "https://resources.tidal.com/videos/5d2a9c3e/7b41/4f0e/"
	tests := []struct {
		url        string
		outputSize int
		want       []string // file names, or whole URLs when they contain "//"
	}{
		{base + "1280x1280.mp4", 80, []string{"160x160.mp4", "320x320.mp4", "640x640.mp4"}},
		{base + "origin.mp4", 80, []string{"160x160.mp4", "320x320.mp4", "640x640.mp4", "1280x1280.mp4"}},
		{base + "640x640.mp4", 80, []string{"160x160.mp4", "320x320.mp4"}},
		{base + "160x160.mp4", 80, nil},
		{base + "80x80.mp4", 80, nil},
		{base + "1280x1280.mp4", 100, []string{"320x320.mp4", "640x640.mp4"}},
		{base + "1280x1280.mp4", 700, nil},
		{base + "origin.mp4", 700, nil}, // no size is twice 700: the original, the largest
		{"https://RESOURCES.TIDAL.COM:443/videos/5d/1280x1280.mp4?x=1", 80,
			[]string{"https://RESOURCES.TIDAL.COM:443/videos/5d/160x160.mp4?x=1",
				"https://RESOURCES.TIDAL.COM:443/videos/5d/320x320.mp4?x=1",
				"https://RESOURCES.TIDAL.COM:443/videos/5d/640x640.mp4?x=1"}},
		{"https://resources.tidal.com/images/5d/1280x1280.jpg", 80, nil},
		{"https://resources.tidal.com/videos/1280x1280.mp4", 80, nil}, // * matches at least one character
		{"https://example.com/videos/5d/1280x1280.mp4", 80, nil},
		{"file:///videos/5d/1280x1280.mp4", 80, nil},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range renditionCandidates(rules, u, tt.outputSize) {
			got = append(got, c.String())
		}
		var want []string
		for _, w := range tt.want {
			if !strings.Contains(w, "//") {
				w = tt.url[:strings.LastIndexByte(tt.url, '/')+1] + w
			}
			want = append(want, w)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s for %d px: got %q, want %q", tt.url, tt.outputSize, got, want)
		}
	}
}

func TestParseRenditionRules(t *testing.T) {
	good := `[{"host": "cdn.example.com:8443", "path": "/covers/*/*/cover_{size}.mp4", "sizes": [320, 160]}]`
	rules, err := ParseRenditionRules([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := compileRenditionRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://cdn.example.com:8443/covers/a/b/cover_1080.mp4")
	if got := renditionCandidates(compiled, u, 80); len(got) != 2 || got[0].Path != "/covers/a/b/cover_160.mp4" {
		t.Errorf("candidates %v, want cover_160 then cover_320 (sizes sorted)", got)
	}
	if u, _ := url.Parse("https://cdn.example.com/covers/a/b/cover_1080.mp4"); renditionCandidates(compiled, u, 80) != nil {
		t.Error("a rule with a port matched another port")
	}

	bad := []struct{ json, want string }{
		{`{"host": "x"}`, "want a JSON array"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160], "origin": ["o.mp4"]}]`, `unknown field "origin"`},
		{`[{"host": "", "path": "/v/{size}.mp4", "sizes": [160]}]`, "host: want a host name"},
		{`[{"host": "https://x", "path": "/v/{size}.mp4", "sizes": [160]}]`, "host: want a host name"},
		{`[{"host": "x", "path": "v/{size}.mp4", "sizes": [160]}]`, "want an absolute path"},
		{`[{"host": "x", "path": "/v/cover.mp4", "sizes": [160]}]`, "must hold {size}"},
		{`[{"host": "x", "path": "/{size}/v.mp4", "sizes": [160]}]`, "must hold {size}"},
		{`[{"host": "x", "path": "/v/*_{size}.mp4", "sizes": [160]}]`, "only {size}"},
		{`[{"host": "x", "path": "/v/{id}/{size}.mp4", "sizes": [160]}]`, "only in the last segment"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": []}]`, "want 1 to 8 sizes"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [1,2,3,4,5,6,7,8,9]}]`, "want 1 to 8 sizes"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160, 0]}]`, "0 is not a size"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160, 160]}]`, "160 listed twice"},
		{`[{"host": "x", "path": "/v/{size}.mp4", "sizes": [160], "originals": ["a/b.mp4"]}]`, "originals: want file names"},
		{`[] []`, "text after the JSON array"},
	}
	for _, b := range bad {
		_, err := ParseRenditionRules([]byte(b.json))
		if !errors.Is(err, ErrRenditionRule) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: error %v, want ErrRenditionRule saying %q", b.json, err, b.want)
		}
	}
}

func TestLoadRenditionRules(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(file, []byte(`[{"host": "x", "path": "/v/*/{size}.mp4", "sizes": [160]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	rules, err := LoadRenditionRules(file)
	if err != nil || len(rules) != 1 || rules[0].Host != "x" {
		t.Fatalf("from a file: %v, %v", rules, err)
	}
	all, err := ConfiguredRenditionRules(file)
	if err != nil || len(all) != 2 || all[0].Host != "x" || all[1].Host != TIDALRendition.Host {
		t.Errorf("configured: %v, %v; want the file's rule, then TIDAL's", all, err)
	}
	if _, err := LoadRenditionRules(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, ErrRenditionRule) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrRenditionRule and ErrNotExist", err)
	}
	if err := os.WriteFile(file, []byte(`[{"host": "x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRenditionRules(file); !errors.Is(err, ErrRenditionRule) || !strings.Contains(err.Error(), file) {
		t.Errorf("bad file: %v, want ErrRenditionRule naming the file", err)
	}
}
