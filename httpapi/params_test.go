package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"image/gif"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
	"github.com/musicpresence/animated-album-covers/internal/redistest"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// recordingConverter runs the real pipeline and records the options of every conversion it
// runs; with a gate, each conversion waits for the gate to open before it starts.
type recordingConverter struct {
	convert Converter
	gate    chan struct{} // nil: no waiting
	started chan struct{} // receives one value as each conversion starts (buffered)

	mu   sync.Mutex
	runs []pipeline.Options
}

func newRecordingConverter(cfg Config, gated bool) *recordingConverter {
	c := &recordingConverter{convert: pipeline.Convert, started: make(chan struct{}, 16)}
	if gated {
		c.gate = make(chan struct{})
	}
	return c
}

func (c *recordingConverter) run(ctx context.Context, input string, opts pipeline.Options, w io.Writer) (pipeline.Stats, error) {
	c.mu.Lock()
	c.runs = append(c.runs, opts)
	c.mu.Unlock()
	c.started <- struct{}{}
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return pipeline.Stats{}, ctx.Err()
		}
	}
	return c.convert(ctx, input, opts, w)
}

func (c *recordingConverter) conversions() []pipeline.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pipeline.Options(nil), c.runs...)
}

// rawToken asks ts for a token with the query string query and returns the status and the
// answer's body as JSON values (numbers as float64, booleans as bool).
func (ts *testService) rawToken(t *testing.T, query string) (int, map[string]any) {
	t.Helper()
	status, body := ts.askToken(t, query)
	if status != http.StatusOK {
		checkErrorBody(t, query, body, status)
		return status, nil
	}
	var a map[string]any
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s: %v: %s", query, err, body)
	}
	return status, a
}

// getGIF GETs a /convert.gif URL and decodes the GIF.
func getGIF(t *testing.T, rawURL string) (*gif.GIF, []byte) {
	t.Helper()
	res, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := readAll(res)
	if res.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("%s: status %d, %v: %.200s", rawURL, res.StatusCode, err, body)
	}
	g, err := gif.DecodeAll(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not a GIF: %v", rawURL, err)
	}
	return g, body
}

// The earlier service's optional /token parameters over real HTTP with the real pipeline: each
// is applied to the GIF (size, frame rate, palette), capped at the configured maxima, echoed in
// `key` with its JSON type, and part of the result's identity: equal options after capping share
// one conversion, different ones get their own.
func TestTokenParameters(t *testing.T) {
	origin, _ := testdataOrigin(t)
	cfg := testConfig(t) // MAXIMUM_OUTPUT_SIZE 80, MAXIMUM_OUTPUT_FRAMERATE 24
	conv := newRecordingConverter(cfg, false)
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.run)
	source := "url=" + url.QueryEscape(origin.URL+"/media/main-250x142-24fps.mp4") + "&ifm=mp4&ofm=gif"

	cases := []struct {
		params        string
		echo          map[string]any // the optional members of key
		width, height int            // of the GIF
		minDelay      int            // hundredths of a second: at 24 fps 4 or 5, at 12 fps 8 or 9
		colors        int            // most palette entries of any frame
		newConversion bool           // false: shares the result of an earlier case
	}{
		{"", map[string]any{}, 80, 45, 4, 32, true},
		{"&osz=40", map[string]any{"osz": 40.0}, 40, 23, 4, 32, true},
		{"&osz=200", map[string]any{"osz": 200.0}, 80, 45, 4, 32, false}, // capped at 80: the default's bytes
		{"&osz=80&ofr=60&out_gif_colors=32", map[string]any{"osz": 80.0, "ofr": 60.0, "out_gif_colors": 32.0}, 80, 45, 4, 32, false},
		{"&ofr=12", map[string]any{"ofr": 12.0}, 80, 45, 8, 32, true},
		{"&out_gif_colors=4", map[string]any{"out_gif_colors": 4.0}, 80, 45, 4, 4, true},
		{"&osz=040&ofr=%2B12&out_gif_colors=4", map[string]any{"osz": 40.0, "ofr": 12.0, "out_gif_colors": 4.0}, 40, 23, 8, 4, true},
		{"&rts=true&pre=false", map[string]any{"rts": true, "pre": false}, 80, 45, 4, 32, false}, // change no byte
		{"&rts=false&pre=true&osz=40", map[string]any{"rts": false, "pre": true, "osz": 40.0}, 40, 23, 4, 32, false},
	}
	conversions := 0
	for _, c := range cases {
		status, a := ts.rawToken(t, source+c.params)
		if status != http.StatusOK {
			t.Fatalf("%q: status %d", c.params, status)
		}
		key, _ := a["key"].(map[string]any)
		for _, name := range []string{"osz", "ofr", "out_gif_colors", "rts", "pre"} {
			got, given := key[name]
			want, asked := c.echo[name]
			if given != asked || got != want {
				t.Errorf("%q: key.%s = %#v (present %v), want %#v (present %v)", c.params, name, got, given, want, asked)
			}
		}
		g, _ := getGIF(t, a["url"].(string))
		if g.Config.Width != c.width || g.Config.Height != c.height {
			t.Errorf("%q: GIF of %dx%d, want %dx%d", c.params, g.Config.Width, g.Config.Height, c.width, c.height)
		}
		minDelay, maxColors := 1000, 0
		for i, img := range g.Image {
			if i < len(g.Image)-1 { // the last frame's delay is what is left of the stream
				minDelay = min(minDelay, g.Delay[i])
			}
			maxColors = max(maxColors, len(img.Palette))
		}
		if minDelay < c.minDelay || minDelay > c.minDelay+1 {
			t.Errorf("%q: shortest frame delay %d/100 s, want %d or %d", c.params, minDelay, c.minDelay, c.minDelay+1)
		}
		if maxColors > c.colors {
			t.Errorf("%q: palettes of up to %d colours, want up to %d", c.params, maxColors, c.colors)
		}
		waitIdle(t, ts)
		if c.newConversion {
			conversions++
		}
		if n := len(conv.conversions()); n != conversions {
			t.Errorf("%q: %d conversions so far, want %d", c.params, n, conversions)
		}
	}
	if n := ts.metrics.cacheRequests.WithLabelValues("hit"); counterValue(t, n) < float64(len(cases)-conversions) {
		t.Errorf("cache hits %v, want at least %d", counterValue(t, n), len(cases)-conversions)
	}
	for _, o := range conv.conversions() {
		if o.Size > cfg.Conversion.Size || o.FrameRate > cfg.Conversion.FrameRate {
			t.Errorf("conversion ran with %+v beyond the configured maxima", o)
		}
	}
}

// Values the earlier service's validator refused answer 400 with a message naming the
// parameter, and start nothing.
func TestTokenParametersRefused(t *testing.T) {
	cfg := testConfig(t)
	conv := newGatedConverter(t, 2)
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	source := "url=" + url.QueryEscape("https://origin.test/a.mp4") + "&ifm=mp4&ofm=gif"
	for _, bad := range []string{
		"osz=0", "osz=-1", "osz=1.5", "osz=abc", "osz=", "osz=1e2", "osz=0x10", "osz=%2040", "osz=99999999999999999999",
		"ofr=0", "ofr=61", "ofr=24.5",
		"out_gif_colors=1", "out_gif_colors=257", "out_gif_colors=thirty-two",
		"rts=yes", "rts=1", "rts=", "pre=TRUE", "pre=0",
		"osz=40&osz=41", "rts=true&rts=true",
	} {
		status, body := ts.askToken(t, source+"&"+bad)
		if status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, status)
		}
		checkErrorBody(t, bad, body, status)
		name, _, _ := strings.Cut(bad, "=")
		if !bytes.Contains(body, []byte("parameter "+name)) {
			t.Errorf("%s: message does not name the parameter: %s", bad, body)
		}
	}
	if n := conv.calls.Load(); n != 0 {
		t.Errorf("%d conversions started by refused requests", n)
	}
}

// Two replicas on one Redis (a real redis-server): a token with parameters made on one is
// served by the other with those parameters (the token store keeps them), a request with the
// same options on the other replica follows the running conversion instead of converting, and
// different options convert on their own.
func TestTokenParametersAcrossReplicas(t *testing.T) {
	origin, _ := testdataOrigin(t)
	redisURL := redistest.Start(t)
	cfg := testConfig(t)
	convA, convB := newRecordingConverter(cfg, true), newRecordingConverter(cfg, false)
	a := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convA.run)
	b := startService(t, cfg, newTestRedisStore(t, redisURL, cfg), convB.run)
	source := "url=" + url.QueryEscape(origin.URL+"/media/main-250x142-24fps.mp4") + "&ifm=mp4&ofm=gif"

	_, tokA := a.rawToken(t, source+"&osz=40&out_gif_colors=8")
	<-convA.started // A holds the claim and waits at its gate
	// The same options in another spelling, on B: B follows A's conversion.
	_, tokB := b.rawToken(t, source+"&out_gif_colors=8&osz=40&rts=true")
	waitFollowing(t, b)
	close(convA.gate)
	gB, bodyB := getGIF(t, tokB["url"].(string))
	// A's token on B: B reads its parameters from Redis.
	tokenA := tokA["token"].(string)
	gA, bodyA := getGIF(t, b.http.URL+"/convert.gif?token="+tokenA)
	if !bytes.Equal(bodyA, bodyB) || gA.Config.Width != 40 || gB.Config.Height != 23 {
		t.Errorf("A's token on B: %dx%d, %d bytes; B's: %dx%d, %d bytes; want the same 40x23 GIF",
			gA.Config.Width, gA.Config.Height, len(bodyA), gB.Config.Width, gB.Config.Height, len(bodyB))
	}
	waitIdle(t, a)
	waitIdle(t, b)
	if na, nb := len(convA.conversions()), len(convB.conversions()); na != 1 || nb != 0 {
		t.Fatalf("conversions: A %d, B %d; want 1 and 0", na, nb)
	}
	if o := convA.conversions()[0]; o.Size != 40 || o.Colors != 8 {
		t.Errorf("A converted with size %d, %d colours; want 40 and 8", o.Size, o.Colors)
	}

	// Other options on B: a conversion of its own, with its own result.
	_, tokC := b.rawToken(t, source+"&osz=40&out_gif_colors=16")
	gC, bodyC := getGIF(t, tokC["url"].(string))
	waitIdle(t, b)
	if nb := len(convB.conversions()); nb != 1 || bytes.Equal(bodyC, bodyA) || gC.Config.Width != 40 {
		t.Errorf("out_gif_colors=16 on B: %d conversions on B, same bytes as 8 colours: %v", nb, bytes.Equal(bodyC, bodyA))
	}
}
