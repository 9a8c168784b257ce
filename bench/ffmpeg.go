package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ffmpegTools are the FFmpeg programs the bench needs: to make the corpus and the reference
// frames, and as the comparison. They are not needed by the service or its tests.
type ffmpegTools struct {
	ffmpeg, ffprobe string
	version         string // first line of `ffmpeg -version`
}

// errNoFFmpeg says what to do, since a bare "executable file not found" does not.
var errNoFFmpeg = errors.New("needs ffmpeg and ffprobe on PATH: run `make bench-deps` (scripts/install-deps.sh bench) or apt-get install ffmpeg x264")

func findFFmpeg(ctx context.Context) (*ffmpegTools, error) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoFFmpeg, err)
	}
	fp, err := exec.LookPath("ffprobe")
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", errNoFFmpeg, err)
	}
	t := &ffmpegTools{ffmpeg: ff, ffprobe: fp}
	out, err := runTool(ctx, 30*time.Second, ff, "-hide_banner", "-version")
	if err != nil {
		return nil, fmt.Errorf("ffmpeg -version: %w", err)
	}
	t.version, _, _ = strings.Cut(string(out), "\n")
	t.version, _, _ = strings.Cut(t.version, " Copyright")
	return t, nil
}

// run runs ffmpeg quietly with the given arguments, overwriting outputs.
func (t *ffmpegTools) run(ctx context.Context, timeout time.Duration, args ...string) error {
	full := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}, args...)
	_, err := runTool(ctx, timeout, t.ffmpeg, full...)
	return err
}

// runTool runs a helper program (not a measured one) with a timeout and returns its stdout; the
// error carries the end of its stderr, which is where ffmpeg says what went wrong.
func runTool(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %s", ctx.Err(), timeout)
		}
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, tail(stderr.String(), 600))
	}
	return stdout.Bytes(), nil
}

// tail keeps the last n bytes of s, trimmed, for error messages.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// videoInfo is what ffprobe says of the first video stream of a file.
type videoInfo struct {
	Width, Height int
	FrameRate     float64
	Duration      float64 // seconds
	Frames        int     // packets of the video stream, i.e. coded pictures
	Codec         string
	Profile       string
	Level         int
}

func (t *ffmpegTools) probe(ctx context.Context, file string) (videoInfo, error) {
	out, err := runTool(ctx, 2*time.Minute, t.ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets",
		"-show_entries", "stream=codec_name,profile,level,width,height,avg_frame_rate,nb_read_packets:format=duration",
		"-of", "json", file)
	if err != nil {
		return videoInfo{}, err
	}
	var p struct {
		Streams []struct {
			CodecName    string `json:"codec_name"`
			Profile      string `json:"profile"`
			Level        int    `json:"level"`
			Width        int    `json:"width"`
			Height       int    `json:"height"`
			AvgFrameRate string `json:"avg_frame_rate"`
			Packets      string `json:"nb_read_packets"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return videoInfo{}, fmt.Errorf("ffprobe %s: %w", file, err)
	}
	if len(p.Streams) == 0 {
		return videoInfo{}, fmt.Errorf("ffprobe %s: no video stream", file)
	}
	s := p.Streams[0]
	info := videoInfo{Width: s.Width, Height: s.Height, Codec: s.CodecName, Profile: s.Profile, Level: s.Level}
	info.FrameRate = parseRate(s.AvgFrameRate)
	info.Frames, _ = strconv.Atoi(s.Packets)
	info.Duration, _ = strconv.ParseFloat(p.Format.Duration, 64)
	return info, nil
}

// firstGOPEnd is the byte offset in file where the first group of pictures (the first keyframe
// up to the second, in decoding order) ends: the progressive-MP4 counterpart of "the first
// media segment", after which a streaming converter has enough to show a frame.
func (t *ffmpegTools) firstGOPEnd(ctx context.Context, file string) (int64, error) {
	out, err := runTool(ctx, 2*time.Minute, t.ffprobe, "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=pos,size,flags", "-of", "json", file)
	if err != nil {
		return 0, err
	}
	var p struct {
		Packets []struct {
			Pos   string `json:"pos"`
			Size  string `json:"size"`
			Flags string `json:"flags"`
		} `json:"packets"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return 0, fmt.Errorf("ffprobe packets %s: %w", file, err)
	}
	var end int64
	for i, pk := range p.Packets {
		if i > 0 && strings.HasPrefix(pk.Flags, "K") {
			break
		}
		pos, _ := strconv.ParseInt(pk.Pos, 10, 64)
		size, _ := strconv.ParseInt(pk.Size, 10, 64)
		end = max(end, pos+size)
	}
	if end == 0 {
		return 0, fmt.Errorf("ffprobe %s: no packet positions", file)
	}
	return end, nil
}

func parseRate(s string) float64 {
	num, den, ok := strings.Cut(s, "/")
	n, _ := strconv.ParseFloat(num, 64)
	if !ok {
		return n
	}
	d, _ := strconv.ParseFloat(den, 64)
	if d == 0 {
		return 0
	}
	return n / d
}

// recipe is the earlier service's conversion (docs/BASELINE.md): at most 24 fps, fit in 80x80 with
// ffmpeg's default (bicubic) scaler, a 32-colour palette made from the whole clip, Bayer dither,
// looping forever; `-t 30` is the same duration limit ours applies. threads 1 pins the decoder,
// the filter graph and the encoder to one thread; 0 leaves ffmpeg's defaults (all cores).
func recipe(input string, threads int) []string {
	graph := "[0:v:0]fps=24,scale=80:80:force_original_aspect_ratio=decrease,split[a][b];" +
		"[a]palettegen=max_colors=32[p];[b][p]paletteuse=dither=bayer"
	var args []string
	args = append(args, "-hide_banner", "-nostdin", "-loglevel", "error")
	if threads > 0 {
		args = append(args, "-threads", strconv.Itoa(threads), "-filter_complex_threads", strconv.Itoa(threads))
	}
	args = append(args, "-t", "30", "-i", input, "-filter_complex", graph, "-loop", "0")
	if threads > 0 {
		args = append(args, "-threads", strconv.Itoa(threads))
	}
	return append(args, "-f", "gif", "-")
}
