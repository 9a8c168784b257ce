package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/musicpresence/animated-album-covers/httpapi"
)

func TestServeBadConfiguration(t *testing.T) {
	t.Setenv("TOKEN_AUTH_USERNAME", "")
	t.Setenv("TOKEN_AUTH_PASSWORD", "s3cret-never-shown")
	t.Setenv("TOKEN_TTL", "soon")
	t.Setenv("REDIS_URL", "http://user:pa55word@redis:6379")
	t.Setenv("METRICS_AUTH_USERNAME", "prometheus")
	var stdout, stderr bytes.Buffer
	code := run([]string{"serve", "-env-file", "/dev/null"}, &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	msg := stderr.String()
	for _, want := range []string{"TOKEN_AUTH_USERNAME", "TOKEN_TTL", "REDIS_URL", "METRICS_AUTH_PASSWORD_BCRYPT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message does not name %s:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"s3cret-never-shown", "pa55word"} {
		if strings.Contains(msg, secret) {
			t.Errorf("message shows a secret:\n%s", msg)
		}
	}
}

// serve runs until its context ends, then shuts down cleanly.
func TestServeAndShutdown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg, err := httpapi.LoadConfig(func(k string) (string, bool) {
		v, ok := map[string]string{"TOKEN_AUTH_USERNAME": "u", "TOKEN_AUTH_PASSWORD": "p", "LISTEN_ADDR": addr}[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, newLogger(&bytes.Buffer{}, false)) }()
	// Wait for it to answer (a readiness probe, bounded).
	for i := 0; ; i++ {
		var stdout, stderr bytes.Buffer
		if runHealthcheck([]string{"http://" + addr + "/healthz"}, &stdout, &stderr) == exitOK {
			break
		}
		if i > 200 {
			cancel()
			t.Fatalf("service did not answer: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	res, err := http.Get("http://" + addr + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/readyz: %v %v", res, err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("still listening after shutdown")
	}
}

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{ok.URL + "/healthz"}, exitOK},
		{[]string{down.URL + "/healthz"}, exitError},
		{[]string{"http://127.0.0.1:1/healthz"}, exitError},
		{[]string{"a", "b"}, exitUsage},
	} {
		var stdout, stderr bytes.Buffer
		if got := run(append([]string{"healthcheck"}, c.args...), &stdout, &stderr); got != c.want {
			t.Errorf("healthcheck %v: exit %d, want %d: %s", c.args, got, c.want, stderr.String())
		}
	}
}

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"":               "http://127.0.0.1:8080/healthz",
		":9000":          "http://127.0.0.1:9000/healthz",
		"0.0.0.0:8081":   "http://127.0.0.1:8081/healthz",
		"[::]:8082":      "http://127.0.0.1:8082/healthz",
		"10.0.0.5:8083":  "http://10.0.0.5:8083/healthz",
		"[::1]:8084":     "http://[::1]:8084/healthz",
		"localhost:8085": "http://localhost:8085/healthz",
	} {
		if got := healthURL(in); got != want {
			t.Errorf("healthURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHashPassword(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := hashPassword([]string{"-cost", "4"}, strings.NewReader("correct horse\n"), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	hash := strings.TrimSpace(stdout.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")); err != nil {
		t.Fatalf("%q does not match the password: %v", hash, err)
	}
	for _, in := range []string{"", "\n", strings.Repeat("x", 73)} {
		stdout.Reset()
		if code := hashPassword(nil, strings.NewReader(in), &stdout, &stderr); code != exitError {
			t.Errorf("password %q: exit %d, want %d", in, code, exitError)
		}
	}
	if code := hashPassword([]string{"-cost", "99"}, strings.NewReader("x"), &stdout, &stderr); code != exitUsage {
		t.Errorf("cost 99: exit %d, want %d", code, exitUsage)
	}
}
