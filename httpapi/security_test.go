package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/musicpresence/animated-album-covers/httpapi/store"
)

func basicCredentials(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// forbiddenOrigins listens on 127.0.0.1 and, when the machine has it, [::1] on one port, and
// counts every connection accepted: the addresses no refused source may reach.
type forbiddenOrigins struct {
	port  string
	conns atomic.Int32
}

func startForbiddenOrigins(t *testing.T) *forbiddenOrigins {
	t.Helper()
	f := &forbiddenOrigins{}
	l4, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, f.port, _ = net.SplitHostPort(l4.Addr().String())
	listeners := []net.Listener{l4}
	if l6, err := net.Listen("tcp", "[::1]:"+f.port); err == nil {
		listeners = append(listeners, l6)
	}
	for _, l := range listeners {
		srv := &http.Server{Handler: http.FileServer(http.Dir("../testdata"))}
		counting := &countingListener{Listener: l}
		go func() { _ = srv.Serve(counting) }()
		t.Cleanup(func() {
			_ = srv.Close()
			f.conns.Add(counting.n.Load())
		})
		t.Cleanup(func() {
			if n := counting.n.Load(); n != 0 {
				t.Errorf("%d connections reached the forbidden origin on %s", n, l.Addr())
			}
		})
	}
	return f
}

// The SSRF matrix: every way of naming an internal address, directly, through a redirect or a
// playlist, under another scheme or behind user information, is refused with 403 (or 400 for
// a URL that is not http(s) at all), from /token or from the conversion; and no connection
// reaches the forbidden listeners (checked when the test ends).
func TestSSRFMatrix(t *testing.T) {
	bad := startForbiddenOrigins(t)
	p := bad.port
	const media = "/media/baseline-160x160-60fps.mp4"

	// An allowed origin (127.0.0.1, on the whitelist with private sources allowed) that
	// redirects or lists playlist entries to forbidden places.
	var redirectTo, listed atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect.mp4", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, redirectTo.Load().(string), http.StatusFound)
	})
	mux.HandleFunc("/master.m3u8", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=330000,CODECS=\"avc1.64000d\",RESOLUTION=160x160\n%s\n", listed.Load())
	})
	mux.HandleFunc("/media.m3u8", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
		fmt.Fprintf(w, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n%s\n#EXT-X-ENDLIST\n", listed.Load())
	})
	allowed, _ := startOrigin(t, mux)

	internal := []string{
		"http://127.0.0.1:" + p + media,
		"http://[::1]:" + p + media,
		"http://localhost:" + p + media,
		"http://2130706433:" + p + media,         // decimal 127.0.0.1
		"http://0177.0.0.1:" + p + media,         // octal
		"http://0x7f.0.0.1:" + p + media,         // hex
		"http://0x7f000001:" + p + media,         // hex, one number
		"http://127.1:" + p + media,              // short form
		"http://[::ffff:127.0.0.1]:" + p + media, // IPv4-mapped IPv6
		"http://[::ffff:7f00:1]:" + p + media,
		"http://0.0.0.0:" + p + media,
		"http://10.0.0.1" + media,
		"http://172.16.0.1" + media,
		"http://192.168.1.1" + media,
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00::1]" + media,
		"http://[fe80::1]" + media,
		"http://100.64.0.1" + media,
		"http://origin.test@127.0.0.1:" + p + media, // userinfo that reads like the host
		"http://127.0.0.1:" + p + "@origin.test" + media,
		"http://origin.test:" + p + "@localhost:" + p + media,
	}
	schemes := []string{"file:///etc/passwd", "gopher://127.0.0.1:" + p + "/_GET%20/", "ftp://127.0.0.1:" + p + "/a.mp4",
		"dict://127.0.0.1:" + p + "/", "//127.0.0.1:" + p + media}

	type tcase struct {
		name, env, source string
		want              []int // acceptable refusals
		where             string
		private           bool // ALLOW_PRIVATE_SOURCES=1: only where the allowed origin is on loopback
	}
	var cases []tcase
	// 1. Named directly, nothing internal on the whitelist: /token refuses.
	for _, u := range internal {
		cases = append(cases, tcase{"direct " + u, "SOURCE_HOSTNAME_WHITELIST=origin.test", u, []int{403}, "token", false})
	}
	for _, u := range schemes {
		cases = append(cases, tcase{"scheme " + u, "SOURCE_HOSTNAME_WHITELIST=origin.test,127.0.0.1", u, []int{400, 403}, "token", false})
	}
	// 2. The operator whitelisted the internal names themselves, private sources not allowed:
	// the dialer refuses the address after DNS, before connecting.
	// (The whitelist takes host names and IPv4 literals; an IPv6 literal is a configuration
	// error at start, so "localhost", which resolves to ::1 too, stands for IPv6 here.)
	for _, host := range []string{"127.0.0.1", "localhost", "0.0.0.0", "10.0.0.1", "169.254.169.254", "127.1"} {
		u := "http://" + host + ":" + p + media
		wl := strings.Trim(host, "[]")
		want := []int{403}
		if host == "127.1" {
			want = []int{403, 502} // not an address to Go: a name no resolver knows
		}
		cases = append(cases, tcase{"whitelisted " + host, "SOURCE_HOSTNAME_WHITELIST=" + wl, u, want, "convert", false})
	}
	// 3. Through an allowed origin: redirects and playlist entries to internal addresses.
	for _, u := range append(internal[:11:11], "file:///etc/passwd", "gopher://127.0.0.1:"+p+"/_x") {
		cases = append(cases,
			tcase{"redirect to " + u, "SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "redirect:" + u, []int{403}, "convert", true},
			tcase{"master entry " + u, "SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "master:" + u, []int{403}, "convert", true},
			tcase{"segment " + u, "SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "media:" + u, []int{403}, "convert", true},
		)
	}

	cfgs := map[string]*testService{}
	service := func(env string, private bool) *testService {
		allowPrivate := "ALLOW_PRIVATE_SOURCES=" + map[bool]string{false: "0", true: "1"}[private]
		if ts, ok := cfgs[env+allowPrivate]; ok {
			return ts
		}
		cfg := testConfig(t, env, allowPrivate)
		ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), nil)
		cfgs[env+allowPrivate] = ts
		return ts
	}
	for _, c := range cases {
		source := c.source
		// The redirecting origin is whitelisted as 127.0.0.1, so a redirect to 127.0.0.1 itself
		// is allowed by design (same host): those are left to the direct cases.
		if kind, target, ok := strings.Cut(source, ":"); ok && (kind == "redirect" || kind == "master" || kind == "media") {
			if tu, err := url.Parse(target); err == nil && tu.Hostname() == "127.0.0.1" && tu.User == nil {
				continue
			}
			switch kind {
			case "redirect":
				redirectTo.Store(target)
				source = allowed.URL + "/redirect.mp4?to=" + url.QueryEscape(target)
			case "master":
				listed.Store(target)
				source = allowed.URL + "/master.m3u8?to=" + url.QueryEscape(target)
			case "media":
				listed.Store(target)
				source = allowed.URL + "/media.m3u8?to=" + url.QueryEscape(target)
			}
		}
		ts := service(c.env, c.private)
		status, body, where := tokenThenConvert(t, ts, source)
		ok := false
		for _, w := range c.want {
			ok = ok || status == w
		}
		if !ok || where != c.where {
			t.Errorf("%s: %d from %s, want %v from %s: %.200q", c.name, status, where, c.want, c.where, body)
			continue
		}
		t.Logf("%-60s %d from /%s", c.name, status, where)
	}
}

// tokenThenConvert asks for a token for source and, when given one, its GIF. It returns the
// first refusal (status, body, and which step gave it) or 200 from "convert".
func tokenThenConvert(t *testing.T, ts *testService, source string) (int, string, string) {
	t.Helper()
	status, body := ts.askToken(t, "ifm=auto&ofm=gif&url="+url.QueryEscape(source))
	if status != http.StatusOK {
		return status, string(body), "token"
	}
	var a tokenAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	res := ts.get(t, "/convert.gif?token="+a.Token)
	body, _ = readAll(res)
	return res.StatusCode, string(body), "convert"
}

// basicAuth.allow takes one path for every guess: both compares always run, on fixed-size
// SHA-256 sums, with one return. Checked on its source (so that a later "if user != …
// return" fails here) and by its allocations, which differ when a path is skipped.
func TestBasicAuthConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "auth.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var allow *ast.FuncDecl
	for _, d := range file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "allow" && fd.Recv != nil &&
			fmt.Sprint(fd.Recv.List[0].Type.(*ast.StarExpr).X) == "basicAuth" {
			allow = fd
		}
	}
	if allow == nil {
		t.Fatal("basicAuth.allow not found")
	}
	compares, returns, equalities := 0, 0, 0
	ast.Inspect(allow.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if n.Sel.Name == "ConstantTimeCompare" {
				compares++
			}
		case *ast.ReturnStmt:
			returns++
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) && fmt.Sprint(n.X) != "ok" {
				equalities++
			}
		}
		return true
	})
	// One return for "no credentials at all", one for the verdict.
	if compares != 2 || returns != 2 || equalities != 1 {
		t.Errorf("basicAuth.allow: %d constant-time compares, %d returns, %d == or != ; want 2, 2, 1 (the final verdict)",
			compares, returns, equalities)
	}

	a := newBasicAuth("token", "music-presence", "a long and secret password")
	guesses := map[string]string{
		"right":          basicCredentials("music-presence", "a long and secret password"),
		"wrong user":     basicCredentials("someone-else!!", "a long and secret password"),
		"wrong password": basicCredentials("music-presence", "a long and secret passwore"),
		"both wrong":     basicCredentials("x", "y"),
		"empty":          basicCredentials("", ""),
	}
	allocs := map[string]float64{}
	for name, cred := range guesses {
		r, _ := http.NewRequest(http.MethodGet, "/token", nil)
		r.Header.Set("Authorization", "Basic "+cred)
		allocs[name] = testing.AllocsPerRun(100, func() { _ = a.allow(r) })
		if got := a.allow(r); got != (name == "right") {
			t.Errorf("%s: allow = %v", name, got)
		}
	}
	for name, n := range allocs {
		// The empty pair decodes to shorter strings with an allocation fewer in BasicAuth
		// itself, before any compare.
		if name != "empty" && n != allocs["right"] {
			t.Errorf("%s: %v allocations, the right credentials %v: different paths", name, n, allocs["right"])
		}
	}
}

// Tokens are TOKEN_SIZE random bytes: 100 tokens for one source are all different, of the
// full length, and their bytes cover the byte values as random bytes do.
func TestTokensUnguessable(t *testing.T) {
	cfg := testConfig(t)
	conv := newGatedConverter(t, 2)
	conv.open()
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	seen := map[string]bool{}
	var counts [256]int
	const n = 100
	for range n {
		a := ts.token(t, "https://origin.test/same.mp4")
		raw, err := base64.RawURLEncoding.DecodeString(a.Token)
		if err != nil || len(raw) != cfg.TokenSize {
			t.Fatalf("token %q: %d bytes (%v), want %d", a.Token, len(raw), err, cfg.TokenSize)
		}
		if seen[a.Token] {
			t.Fatalf("token %q handed out twice", a.Token)
		}
		seen[a.Token] = true
		for _, b := range raw {
			counts[b]++
		}
	}
	// 4800 random bytes: each of the 256 values expected 18.75 times; Pearson's chi-squared
	// with 255 degrees of freedom is above 360 with probability below 1e-4.
	chi := 0.0
	expected := float64(n*cfg.TokenSize) / 256
	for _, c := range counts {
		chi += (float64(c) - expected) * (float64(c) - expected) / expected
	}
	if chi > 360 {
		t.Errorf("token bytes not uniform: chi-squared %.0f over 255 degrees of freedom", chi)
	}
	t.Logf("%d tokens of %d bytes (%d bits): all distinct, chi-squared %.0f (255 dof)", n, cfg.TokenSize, 8*cfg.TokenSize, chi)
}

// Every answer, whatever the path, method or outcome, says nosniff; every error is the JSON
// body with its own Content-Type, so that no browser sniffs an error into HTML.
func TestResponseHeaders(t *testing.T) {
	cfg := testConfig(t, "METRICS_AUTH_USERNAME=prom",
		"METRICS_AUTH_PASSWORD_BCRYPT=$2a$04$1ZQH6dEmI5l8kH5Xc2QJ1u8Gmx6c1l2wJhJw3n1m9l9bW0qZ3yq4G")
	conv := newGatedConverter(t, 2)
	conv.open()
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	tok := ts.token(t, "https://origin.test/h.mp4")
	html := url.QueryEscape("<html><script>alert(1)</script>")
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/readyz", 200},
		{"GET", "/convert.gif?token=" + tok.Token, 200},
		{"HEAD", "/convert.gif?token=" + tok.Token, 200},
		{"GET", "/token?url=" + html, 401},
		{"GET", "/metrics", 401},
		{"GET", "/convert.gif?token=" + html, 404},
		{"GET", "/convert.html?token=" + html, 400},
		{"GET", "/" + html, 404},
		{"POST", "/token?url=" + html, 405},
		{"DELETE", "/convert.gif?token=" + tok.Token, 405},
	} {
		res := ts.do(t, c.method, c.path)
		body, _ := readAll(res)
		if res.StatusCode != c.want {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, res.StatusCode, c.want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s %s: no X-Content-Type-Options: nosniff", c.method, c.path)
		}
		ct := res.Header.Get("Content-Type")
		if c.want >= 400 {
			if !strings.HasPrefix(ct, "application/json") {
				t.Errorf("%s %s: error with Content-Type %q", c.method, c.path, ct)
			}
			checkErrorBody(t, c.method+" "+c.path, body, c.want)
		}
		if strings.Contains(string(body), "<script>") {
			t.Errorf("%s %s: the body repeats the script unescaped: %s", c.method, c.path, body)
		}
	}
}

// An oversized source URL is refused with 414 before anything is stored or fetched; headers
// past the server's limit are refused by net/http with 431.
func TestRequestSizeLimits(t *testing.T) {
	cfg := testConfig(t)
	conv := newGatedConverter(t, 2)
	conv.open()
	ts := startService(t, cfg, store.NewMemory(cfg.ResultTTL, cfg.MemoryStoreBytes), conv.convert)
	long := "https://origin.test/" + strings.Repeat("a", maxSourceURLBytes)
	req, _ := http.NewRequest(http.MethodGet, ts.http.URL+"/token?ifm=mp4&ofm=gif&url="+url.QueryEscape(long), nil)
	req.SetBasicAuth(testUser, testPassword)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readAll(res)
	if res.StatusCode != http.StatusRequestURITooLong {
		t.Errorf("source URL of %d bytes: status %d, want 414: %s", len(long), res.StatusCode, body)
	} else {
		checkErrorBody(t, "long url", body, http.StatusRequestURITooLong)
	}
	if conv.calls.Load() != 0 {
		t.Errorf("%d conversions started for a refused URL", conv.calls.Load())
	}

	for _, c := range []struct {
		name   string
		header string
		query  string
	}{
		{"one header of 64 KiB", strings.Repeat("h", 64<<10), ""},
		{"a query of 64 KiB", "", strings.Repeat("q", 64<<10)},
	} {
		// A raw request: Go's client would refuse to send some of these itself.
		conn, err := net.Dial("tcp", ts.http.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /convert.gif?token=x%s HTTP/1.1\r\nHost: a\r\nX-Big: %s\r\n\r\n", c.query, c.header)
		line, err := io.ReadAll(io.LimitReader(conn, 64))
		conn.Close()
		if err != nil && len(line) == 0 {
			t.Fatalf("%s: %v", c.name, err)
		}
		status, _ := strconv.Atoi(strings.Fields(string(line) + " x 0")[1])
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: %q, want 431", c.name, line)
		}
	}
}
