package main

import (
	"bytes"
	"encoding/json"
	"image/gif"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// throttledOrigin serves a fixture in 8 KiB pieces every 100 ms (about 2.5 s for 210 KB), so
// that a conversion of it is still running when the test wants it to be.
func throttledOrigin(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		for off := 0; off < len(data); off += 8 << 10 {
			if _, err := w.Write(data[off:min(off+8<<10, len(data))]); err != nil {
				return
			}
			http.NewResponseController(w).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/cover.mp4"
}

// SIGTERM while a conversion streams: the real binary (`server serve`, built here) stops
// listening, lets the in-flight response run to its clean end (a whole GIF), and exits 0
// within the drain deadline.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	source := throttledOrigin(t, "../../testdata/media/high-bframes-320x320-30fps.mp4")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	base := "http://" + addr

	cmd := exec.Command(bin, "serve", "-env-file", "/dev/null")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "TOKEN_AUTH_USERNAME=u", "TOKEN_AUTH_PASSWORD=p",
		"LISTEN_ADDR=" + addr, "SERVER_BASE_URL=" + base,
		"SOURCE_HOSTNAME_WHITELIST=127.0.0.1", "ALLOW_PRIVATE_SOURCES=1", "CONVERSION_JOB_CONCURRENCY=1",
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for i := 0; ; i++ { // a readiness probe, bounded
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			break
		}
		if i > 500 {
			t.Fatalf("service did not answer:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	req, _ := http.NewRequest(http.MethodGet, base+"/token?ifm=mp4&ofm=gif&url="+url.QueryEscape(source), nil)
	req.SetBasicAuth("u", "p")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ URL string }
	if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	res, err = http.Get(tok.URL)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("convert: %v %v", res, err)
	}
	defer res.Body.Close()
	head := make([]byte, 6)
	if _, err := io.ReadFull(res.Body, head); err != nil || string(head) != "GIF89a" {
		t.Fatalf("first bytes %q, %v", head, err)
	}
	if res.ContentLength >= 0 {
		t.Fatalf("Content-Length %d: the conversion had already ended, nothing was in flight", res.ContentLength)
	}

	signalled := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("in-flight response cut by SIGTERM after %d bytes: %v\n%s", len(head)+len(rest), err, logs.String())
	}
	g, err := gif.DecodeAll(bytes.NewReader(append(head, rest...)))
	if err != nil || len(g.Image) < 2 {
		t.Fatalf("in-flight GIF after SIGTERM: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("still running %v after SIGTERM\n%s", shutdownTimeout+5*time.Second, logs.String())
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still listening after exit")
	}
	var drained bool
	for line := range bytes.SplitSeq(logs.Bytes(), []byte("\n")) {
		var entry struct{ Msg string }
		if json.Unmarshal(line, &entry) == nil && entry.Msg == "stopped" {
			drained = true
		}
	}
	if !drained {
		t.Errorf("no \"stopped\" log line: shutdown was cut short\n%s", logs.String())
	}
	t.Logf("SIGTERM during a conversion: %d-frame GIF of %d bytes completed, exit 0 after %v",
		len(g.Image), len(head)+len(rest), time.Since(signalled).Round(10*time.Millisecond))
}
