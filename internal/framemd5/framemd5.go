// Package framemd5 reads FFmpeg's framemd5 files (`ffmpeg -f framemd5`): FFmpeg's own decode of
// a fixture, one line per picture in presentation order with its time and the MD5 of its planes.
// testdata/make-fixtures.sh writes them to testdata/expected; the decoders' and demuxers' tests
// compare against them. Only tests import this package.
package framemd5

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// File is one framemd5 file of a single stream.
type File struct {
	// TimebaseNum and TimebaseDen are the stream's time base ("#tb 0: 1/30"), in which Ticks
	// count.
	TimebaseNum, TimebaseDen int64
	Frames                   []Frame
}

// Frame is one line: a picture's presentation time and the MD5 of its planes (as FFmpeg's
// rawvideo: every row of Y, then of U, then of V, width samples each, deeper samples as two
// little-endian bytes).
type Frame struct {
	Ticks int64
	PTS   time.Duration
	MD5   string
}

// Read reads the framemd5 file at path.
func Read(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	file := File{TimebaseNum: 1, TimebaseDen: 1}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if tb, ok := strings.CutPrefix(line, "#tb 0: "); ok {
			n, d, _ := strings.Cut(tb, "/")
			if file.TimebaseNum, err = strconv.ParseInt(n, 10, 64); err == nil {
				file.TimebaseDen, err = strconv.ParseInt(d, 10, 64)
			}
			if err != nil || file.TimebaseDen <= 0 {
				return File{}, fmt.Errorf("%s: time base %q", path, tb)
			}
			continue
		}
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) != 6 {
			return File{}, fmt.Errorf("%s: line %q", path, line)
		}
		ticks, err := strconv.ParseInt(strings.TrimSpace(fields[2]), 10, 64)
		if err != nil {
			return File{}, fmt.Errorf("%s: line %q: %v", path, line, err)
		}
		pts := time.Duration(ticks * file.TimebaseNum * int64(time.Second) / file.TimebaseDen)
		file.Frames = append(file.Frames, Frame{Ticks: ticks, PTS: pts, MD5: strings.TrimSpace(fields[5])})
	}
	if err := sc.Err(); err != nil {
		return File{}, err
	}
	if len(file.Frames) == 0 {
		return File{}, fmt.Errorf("%s: no frames", path)
	}
	return file, nil
}

// Frames is Read's frames, for a test: a file that cannot be read fails it.
func Frames(t testing.TB, path string) []Frame {
	t.Helper()
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Frames
}
