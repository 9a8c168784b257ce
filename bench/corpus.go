package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The content every large input is made of, as docs/BASELINE.md measured: 1280x1280, 30 fps, 15 s.
const (
	contentSize    = 1280
	contentRate    = 30
	contentSeconds = 15
	contentFrames  = contentRate * contentSeconds
	// gop gives 5 IDR pictures in 450 frames, as in docs/BASELINE.md, and a keyframe every 3 s so
	// that ~6 s HLS segments start with one.
	gop = 90
	// encodeTimeout bounds one ffmpeg encode of the corpus; the 2160x2160 one is the longest.
	encodeTimeout = 30 * time.Minute
)

// input is one thing to convert: a file, a URL on the origin, or both.
type input struct {
	Name      string
	File      string // local path the file cases read ("" when only served)
	URLPath   string // path on the origin ("" when only a file)
	Reference string // local file the reference frames are decoded from (the source as given)
	Frames    int    // source pictures within the duration limit, for frames per second
	Seconds   float64
	Width     int // of the reference
	Height    int
}

// corpus makes the inputs under work/ once and remembers them; everything it makes is written
// to a temporary name first, so an interrupted run never leaves a half file that looks done.
type corpus struct {
	repo   string // repository root (testdata/ lives there)
	work   string // bench/work
	origin string // work/origin: everything the HTTP origin serves
	ff     *ffmpegTools
	log    *slog.Logger

	mu     sync.Mutex
	inputs map[string]*input
	marks  map[string]int64 // origin path -> byte offset where its first media segment / GOP ends
}

func newCorpus(repo, work string, ff *ffmpegTools, log *slog.Logger) *corpus {
	return &corpus{
		repo: repo, work: work, origin: filepath.Join(work, "origin"), ff: ff, log: log,
		inputs: map[string]*input{}, marks: map[string]int64{},
	}
}

// Where things live under work/origin; the TIDAL path imitates resources.tidal.com's
// videos/<id split in parts>/<size>x<size>.mp4.
const (
	tidalDir   = "videos/5d2a9c3e/7b41/4f0e"
	appleDir   = "apple/aod/6b/2f/P000_gr203"
	mediaDir   = "media"
	fixtureDir = "fixtures"
)

// tidalSizes are the renditions TIDAL serves of every animated cover.
var tidalSizes = []int{80, 160, 320, 640, 1280}

// source is the mezzanine every large input is encoded from: the synthetic content of
// testdata/make-fixtures.sh (mandelbrot under testsrc2, temporal grain) at 1280x1280, made once
// and kept nearly lossless (x264 CRF 10) so that later encodes need not render it again.
//
// It is made with the BT.709 matrix and says so in its colour description, as HD covers do, so
// that every decoder and the reference frames agree on its colours. (Unlabelled, FFmpeg assumes
// BT.601 at any size while players, and our decoder, assume BT.709 from 720 lines on: the
// comparison would then measure that disagreement, not the conversion.)
func (c *corpus) source(ctx context.Context) (string, error) {
	path := filepath.Join(c.work, "src", "source-1280x1280-bt709.mkv")
	return path, c.make(path, func(tmp string) error {
		c.log.Info("corpus: rendering the synthetic source (about 30 s of CPU)", "file", path)
		args := []string{"-f", "lavfi", "-i", synthetic(contentSize, contentRate, contentSeconds),
			"-c:v", "libx264", "-preset", "ultrafast", "-crf", "10", "-pix_fmt", "yuv420p"}
		args = append(args, bt709...)
		return c.ff.run(ctx, encodeTimeout, append(args, "-f", "matroska", tmp)...)
	})
}

// bt709 labels an encode's colour description (H.264 VUI, E.2.1) as BT.709.
var bt709 = []string{"-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"}

// synthetic is make-fixtures.sh's src(): detail, motion and grain, like a real cover; its RGB
// is turned into YCbCr with the BT.709 matrix.
func synthetic(size, rate, seconds int) string {
	s := fmt.Sprintf("size=%dx%d:rate=%d", size, size, rate)
	yuv := "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
	return fmt.Sprintf("mandelbrot=%s,%s[m];testsrc2=%s,%s[t];[m][t]blend=all_mode=average,noise=alls=6:allf=t,trim=duration=%d", s, yuv, s, yuv, seconds)
}

// h264Args are x264 settings like TIDAL's and Apple's encodes (High, B-pyramid, fixed GOP),
// at an average bitrate with a VBV cap so that the file's rate is what its name says.
func h264Args(preset string, kbps int) []string {
	return append([]string{"-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", preset,
		"-b:v", strconv.Itoa(kbps) + "k", "-maxrate", strconv.Itoa(kbps*3/2) + "k", "-bufsize", strconv.Itoa(kbps*2) + "k",
		"-g", strconv.Itoa(gop), "-keyint_min", strconv.Itoa(gop), "-sc_threshold", "0", "-bf", "3",
		"-x264-params", "b-pyramid=normal", "-an"}, bt709...)
}

// scaleFilter makes size x size from the 1280 source: area averaging down, Lanczos up.
func scaleFilter(size int) string {
	flags := "area"
	if size > contentSize {
		flags = "lanczos"
	}
	return fmt.Sprintf("scale=%d:%d:flags=%s", size, size, flags)
}

// encodeMP4 makes a progressive MP4 (moov first, as TIDAL serves them) of the source.
func (c *corpus) encodeMP4(ctx context.Context, path string, size int, preset string, kbps int) error {
	src, err := c.source(ctx)
	if err != nil {
		return err
	}
	return c.make(path, func(tmp string) error {
		c.log.Info("corpus: encoding", "file", path, "size", size, "preset", preset, "kbit/s", kbps)
		args := append([]string{"-i", src, "-vf", scaleFilter(size)}, h264Args(preset, kbps)...)
		return c.ff.run(ctx, encodeTimeout, append(args, "-movflags", "+faststart", "-f", "mp4", tmp)...)
	})
}

// make builds path with build(tmp) unless path exists.
func (c *corpus) make(path string, build func(tmp string) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	tmp := path + ".tmp"
	os.RemoveAll(tmp)
	if err := build(tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("corpus: making %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	return nil
}

// get returns the named input, making what it needs first.
func (c *corpus) get(ctx context.Context, name string) (*input, error) {
	c.mu.Lock()
	in, ok := c.inputs[name]
	c.mu.Unlock()
	if ok {
		return in, nil
	}
	in, err := c.build(ctx, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.inputs[name] = in
	c.mu.Unlock()
	return in, nil
}

// The named inputs; fixture inputs are named "fixture:" plus their path under testdata/.
const (
	inLo     = "lo"    // 1280x1280, ~1 Mbit/s, as a file and at media/lo-1280x1280.mp4
	inHi     = "hi"    // 1280x1280, ~8 Mbit/s, as a file and at media/hi-1280x1280.mp4
	inTIDAL  = "tidal" // the TIDAL-like URL of the 1280 rendition (same bytes as lo)
	inApple  = "apple" // the Apple-like master playlist URL
	inPrefix = "fixture:"
)

func (c *corpus) build(ctx context.Context, name string) (*input, error) {
	switch {
	case name == inLo || name == inHi:
		kbps := map[string]int{inLo: 1000, inHi: 8000}[name]
		rel := fmt.Sprintf("%s/%s-1280x1280.mp4", mediaDir, name)
		file := filepath.Join(c.origin, rel)
		if err := c.encodeMP4(ctx, file, contentSize, "medium", kbps); err != nil {
			return nil, err
		}
		return c.mp4Input(ctx, name, file, rel)
	case name == inTIDAL:
		if err := c.tidal(ctx); err != nil {
			return nil, err
		}
		rel := tidalDir + "/1280x1280.mp4"
		in, err := c.mp4Input(ctx, name, "", rel)
		return in, err
	case name == inApple:
		src, err := c.source(ctx)
		if err != nil {
			return nil, err
		}
		ref, err := c.apple(ctx, src, appleDir)
		if err != nil {
			return nil, err
		}
		return c.probed(ctx, &input{Name: name, URLPath: appleDir + "/master.m3u8", Reference: ref})
	case len(name) > len(inPrefix) && name[:len(inPrefix)] == inPrefix:
		return c.fixture(ctx, name[len(inPrefix):])
	case name == inRealTIDAL || name == inRealApple || strings.HasPrefix(name, realPrefix):
		return c.buildReal(ctx, name)
	}
	return nil, fmt.Errorf("corpus: no input named %q", name)
}

// mp4Input describes a progressive MP4 under origin/ and marks where its first GOP ends.
func (c *corpus) mp4Input(ctx context.Context, name, file, rel string) (*input, error) {
	local := filepath.Join(c.origin, rel)
	end, err := c.ff.firstGOPEnd(ctx, local)
	if err != nil {
		return nil, err
	}
	c.mark(rel, end)
	return c.probed(ctx, &input{Name: name, File: file, URLPath: rel, Reference: local})
}

func (c *corpus) probed(ctx context.Context, in *input) (*input, error) {
	info, err := c.ff.probe(ctx, in.Reference)
	if err != nil {
		return nil, err
	}
	in.Width, in.Height, in.Seconds = info.Width, info.Height, min(info.Duration, 30)
	in.Frames = info.Frames
	if info.Duration > 30 && info.FrameRate > 0 {
		in.Frames = int(30 * info.FrameRate)
	}
	return in, nil
}

func (c *corpus) mark(rel string, offset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.marks["/"+rel] = offset
}

// firstMediaMarks returns a copy of the origin paths whose first media segment (or GOP) ends at
// the given offset, for the origin to time.
func (c *corpus) firstMediaMarks() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int64, len(c.marks))
	for k, v := range c.marks {
		m[k] = v
	}
	return m
}

// tidal makes the TIDAL-like renditions of one cover. 1280x1280 is the "lo" file itself (a hard
// link), so the end-to-end row converts the same bytes as the file row; origin.mp4, TIDAL's
// original upload, is "hi". The small ones exist for the rendition rule (ask for 1280, fetch 160).
func (c *corpus) tidal(ctx context.Context) error {
	lo, err := c.get(ctx, inLo)
	if err != nil {
		return err
	}
	hi, err := c.get(ctx, inHi)
	if err != nil {
		return err
	}
	dir := filepath.Join(c.origin, tidalDir)
	for _, size := range tidalSizes {
		path := filepath.Join(dir, fmt.Sprintf("%dx%d.mp4", size, size))
		if size == contentSize {
			if err := c.make(path, func(tmp string) error { return os.Link(lo.File, tmp) }); err != nil {
				return err
			}
			continue
		}
		// About 1 Mbit/s at 1280, scaled with the pixel count to the power 0.75 (small renditions
		// get more bits per pixel, as real ladders do).
		kbps := max(24, int(1000*math.Pow(float64(size*size)/float64(contentSize*contentSize), 0.75)))
		if err := c.encodeMP4(ctx, path, size, "medium", kbps); err != nil {
			return err
		}
	}
	return c.make(filepath.Join(dir, "origin.mp4"), func(tmp string) error { return os.Link(hi.File, tmp) })
}

// fixture copies a committed fixture (and, for a playlist, its directory) under origin/ so that
// it can be served, and describes it.
func (c *corpus) fixture(ctx context.Context, rel string) (*input, error) {
	srcDir := filepath.Join(c.repo, "testdata", filepath.Dir(rel))
	dstDir := filepath.Join(c.origin, fixtureDir, filepath.Dir(rel))
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		return nil, fmt.Errorf("corpus: fixtures: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		src, dst := filepath.Join(srcDir, e.Name()), filepath.Join(dstDir, e.Name())
		if err := c.make(dst, func(tmp string) error { return copyFile(src, tmp) }); err != nil {
			return nil, err
		}
	}
	urlPath := fixtureDir + "/" + rel
	local := filepath.Join(c.origin, urlPath)
	in := &input{Name: "fixture " + filepath.Base(rel), URLPath: urlPath, File: local, Reference: local}
	if filepath.Ext(rel) == ".m3u8" {
		// ffmpeg converts the largest variant; the source content is the same in all of them.
		in.File = ""
		in.Reference = filepath.Join(dstDir, "video_sdr_480x480-.mp4")
		c.markPlaylists(dstDir, path.Dir(urlPath))
	} else if end, err := c.ff.firstGOPEnd(ctx, local); err == nil {
		c.mark(urlPath, end)
	}
	return c.probed(ctx, in)
}

// markPlaylists marks the end of the first segment of every byte-range media playlist in dir
// (served under urlDir), as apple does for its own.
func (c *corpus) markPlaylists(dir, urlDir string) {
	names, _ := filepath.Glob(filepath.Join(dir, "*.m3u8"))
	for _, name := range names {
		pl, err := readMediaPlaylist(name)
		if err != nil {
			continue // a master, or unreadable: nothing to time
		}
		s := pl.segments[0]
		if s.length == 0 || path.Ext(s.uri) == ".m3u8" {
			continue // whole-file segments (MPEG-TS) or a master's variant list
		}
		c.mark(urlDir+"/"+s.uri, s.offset+s.length)
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
