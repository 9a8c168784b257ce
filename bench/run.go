package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// runner runs one conversion at a time and measures it. Nothing else of the bench runs while a
// conversion does (the origin aside), so that the two cores are the converter's.
type runner struct {
	server  string // bin/server
	ff      *ffmpegTools
	origin  *origin       // throttled
	fast    *origin       // unthrottled
	timeout time.Duration // for every subprocess and download
	outDir  string        // where outputs and downloads go
}

// run makes one sample of tool t on case c; rep numbers the output file.
func (r *runner) run(ctx context.Context, c *benchCase, in *input, t tool, rep int) sample {
	out := filepath.Join(r.outDir, fmt.Sprintf("%s.%s-%s.%d.gif", slug(c.Name), slug(t.Kind), t.threadsLabel(), rep))
	org := r.origin
	if c.Unthrottled {
		org = r.fast
	}
	src := in.File
	if c.URL {
		src = org.URL + "/" + in.URLPath
		org.reset()
	}
	var s sample
	switch t.Kind {
	case toolOurs:
		threads := t.Threads
		if threads == 0 {
			threads = runtime.NumCPU()
		}
		args := []string{"convert", "-threads", strconv.Itoa(threads)}
		if c.Renditions {
			args = append(args, renditionArgs(org.URL)...)
		}
		s = r.process(ctx, out, r.server, append(args, src, "-")...)
	case toolDecode:
		// The pictures go to /dev/null: the y4m writer's copies are a small part of decoding.
		out = ""
		s = r.process(ctx, out, r.server, "decode", "-fps", "24", "-o", os.DevNull, decodeSource(c, src))
	case toolFFmpeg:
		s = r.process(ctx, out, r.ff.ffmpeg, recipe(src, t.Threads)...)
	case toolEarlier:
		s = r.earlier(ctx, out, src, t.Threads)
	default:
		s.Err = fmt.Errorf("unknown tool %q", t.Kind)
	}
	if c.URL {
		st := org.snapshot()
		s.OriginBytes, s.OriginRequests = st.Bytes, st.Requests
		if !st.FirstMedia.IsZero() && s.Err == nil && s.FirstByte > 0 {
			s.HasFirstSeg = true
			s.AfterFirstSeg = s.firstByteAt.Sub(st.FirstMedia)
		}
	}
	s.Output = out
	return s
}

// process runs a converter that writes its GIF to stdout, timing the first byte as it arrives
// on the pipe, and takes CPU time and peak memory from the child's rusage. With out "" the
// process writes nothing to stdout (decoding alone).
func (r *runner) process(ctx context.Context, out, name string, args ...string) sample {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var s sample
	dst := io.Discard
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			s.Err = fmt.Errorf("creating output: %w", err)
			return s
		}
		defer f.Close()
		dst = f
	}
	cmd := exec.CommandContext(ctx, name, args...)
	// For ours reading from the loopback origin, in case the command applies the service's
	// source checks (docs/API.md: ALLOW_PRIVATE_SOURCES, SOURCE_HOSTNAME_WHITELIST).
	cmd.Env = append(os.Environ(), "ALLOW_PRIVATE_SOURCES=1", "SOURCE_HOSTNAME_WHITELIST=127.0.0.1,localhost")
	cmd.WaitDelay = 5 * time.Second
	stderr := &limitedBuffer{max: 16 << 10}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.Err = fmt.Errorf("%s: %w", filepath.Base(name), err)
		return s
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		s.Err = fmt.Errorf("starting %s: %w", filepath.Base(name), err)
		return s
	}
	buf := make([]byte, 64<<10)
	var copyErr error
	for {
		n, err := stdout.Read(buf)
		if n > 0 {
			if s.Bytes == 0 {
				s.firstByteAt = time.Now()
				s.FirstByte = s.firstByteAt.Sub(start)
			}
			s.Bytes += int64(n)
			if _, werr := dst.Write(buf[:n]); werr != nil && copyErr == nil {
				copyErr = fmt.Errorf("writing output: %w", werr)
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && copyErr == nil {
				copyErr = fmt.Errorf("reading %s's stdout: %w", filepath.Base(name), err)
			}
			break
		}
	}
	waitErr := cmd.Wait()
	s.Wall = time.Since(start)
	s.Stderr = stderr.String()
	if ps := cmd.ProcessState; ps != nil {
		s.CPU = ps.UserTime() + ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			s.MaxRSS = ru.Maxrss * 1024 // kilobytes on Linux
		}
	}
	switch {
	case ctx.Err() != nil:
		s.Err = fmt.Errorf("%s: timed out after %s", filepath.Base(name), r.timeout)
	case waitErr != nil:
		s.Err = fmt.Errorf("%s: %w: %s", filepath.Base(name), waitErr, tail(s.Stderr, 400))
	case copyErr != nil:
		s.Err = copyErr
	case s.Bytes == 0 && out != "":
		s.Err = fmt.Errorf("%s: wrote no GIF", filepath.Base(name))
	}
	return s
}

// earlier is the earlier service: fetch the whole source to a file (timed), then ffmpeg's recipe
// on the copy. Its CPU time and memory are ffmpeg's; the download's are not counted.
func (r *runner) earlier(ctx context.Context, out, url string, threads int) sample {
	start := time.Now()
	local := filepath.Join(r.outDir, "download"+filepath.Ext(url))
	if err := download(ctx, url, local, r.timeout); err != nil {
		return sample{Err: err}
	}
	dl := time.Since(start)
	s := r.process(ctx, out, r.ff.ffmpeg, recipe(local, threads)...)
	s.Download = dl
	s.Wall += dl
	if s.FirstByte > 0 {
		s.FirstByte += dl
	}
	os.Remove(local)
	return s
}

func download(ctx context.Context, url, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("download %s: %w", url, err)
	}
	return f.Close()
}

// limitedBuffer keeps the last max bytes written to it: a converter's stderr can be long, and
// what matters is its end.
type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if len(l.b) > l.max {
		l.b = l.b[len(l.b)-l.max:]
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// slug makes a name safe for a file name.
func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

func itoa(n int) string { return strconv.Itoa(n) }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}
