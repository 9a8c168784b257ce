package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// appleVariant is one rendition in the Apple-like master playlist.
type appleVariant struct {
	name   string // file stem, in Apple's naming style
	size   int
	hevc   bool
	preset string // x264/x265 preset: the big ones faster, to keep the corpus quick to make
	kbps   int
}

// appleVariants are like a real motion cover's ladder (see /work/shared/examples). The 1080 and
// 2160 H.264 renditions use x264's "fast" and "veryfast" presets instead of "medium": on 2 cores
// medium at 2160x2160 would take minutes, and only their size matters here (ffmpeg decodes the
// largest; ours should not touch them).
var appleVariants = []appleVariant{
	{"P000_Anull_video_gr203_sdr_360x360", 360, false, "medium", 300},
	{"P000_Anull_video_gr210_sdr_486x486", 486, false, "medium", 700},
	{"P000_Anull_video_gr240_sdr_768x768", 768, false, "medium", 1600},
	{"P000_Anull_video_gr290_sdr_1080x1080", 1080, false, "fast", 3000},
	{"P000_Anull_video_gr699_sdr_2160x2160", 2160, false, "veryfast", 8000},
	{"P000_Anull_video_gr505_sdr_360x360", 360, true, "fast", 300},
}

// hlsSegmentSeconds is Apple's segment length; with a keyframe every 3 s the muxer cuts at 6 and
// 12 s: three segments over 15 s, each starting with an IDR picture.
const hlsSegmentSeconds = 6

// apple makes the Apple-like HLS stream of src under origin/rel: every variant a VOD media
// playlist whose EXT-X-MAP and segments are byte ranges of one fragmented MP4 (ffmpeg's hls
// muxer with single_file makes exactly that), and a master with I-frame lines, unknown
// attributes, VIDEO-RANGE and variants out of order. It returns the local file of the largest
// H.264 variant, the reference for quality (the one ffmpeg converts).
func (c *corpus) apple(ctx context.Context, src, rel string) (string, error) {
	dir := filepath.Join(c.origin, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("corpus: %w", err)
	}
	playlists := map[string]*mediaPlaylist{}
	for _, v := range appleVariants {
		if err := c.make(filepath.Join(dir, v.name), func(tmp string) error { return c.encodeHLS(ctx, src, tmp, v) }); err != nil {
			return "", err
		}
		// Each variant is made in its own directory (so that a half-made one is never mistaken
		// for a whole one) and linked next to the master, where the playlists expect them.
		for _, f := range []string{v.name + ".m3u8", v.name + "-.mp4"} {
			link := filepath.Join(dir, f)
			if _, err := os.Lstat(link); err != nil {
				if err := os.Symlink(filepath.Join(v.name, f), link); err != nil {
					return "", fmt.Errorf("corpus: %w", err)
				}
			}
		}
		pl, err := readMediaPlaylist(filepath.Join(dir, v.name+".m3u8"))
		if err != nil {
			return "", err
		}
		playlists[v.name] = pl
		if len(pl.segments) > 0 {
			s := pl.segments[0]
			c.mark(rel+"/"+v.name+"-.mp4", s.offset+s.length)
		}
	}
	if err := c.appleMaster(ctx, dir, playlists); err != nil {
		return "", err
	}
	largest := appleVariants[0]
	for _, v := range appleVariants {
		if !v.hevc && v.size > largest.size {
			largest = v
		}
	}
	return filepath.Join(dir, largest.name+"-.mp4"), nil
}

func (c *corpus) encodeHLS(ctx context.Context, src, dir string, v appleVariant) error {
	c.log.Info("corpus: encoding HLS variant", "name", v.name, "hevc", v.hevc, "preset", v.preset, "kbit/s", v.kbps)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	args := []string{"-i", src, "-vf", scaleFilter(v.size)}
	if v.hevc {
		args = append(args, "-c:v", "libx265", "-preset", v.preset, "-b:v", strconv.Itoa(v.kbps)+"k",
			"-x265-params", fmt.Sprintf("log-level=error:keyint=%d:min-keyint=%d:scenecut=0", gop, gop), "-tag:v", "hvc1", "-an")
	} else {
		args = append(args, h264Args(v.preset, v.kbps)...)
	}
	args = append(args, "-f", "hls", "-hls_time", strconv.Itoa(hlsSegmentSeconds), "-hls_playlist_type", "vod",
		"-hls_segment_type", "fmp4", "-hls_flags", "single_file",
		"-hls_segment_filename", filepath.Join(dir, v.name+"-.mp4"), filepath.Join(dir, v.name+".m3u8"))
	return c.ff.run(ctx, encodeTimeout, args...)
}

// mediaPlaylist is what the bench needs of a byte-range media playlist (RFC 8216 section 4.3.2).
type mediaPlaylist struct {
	header   []string // lines before the first segment, EXT-X-MAP included
	segments []hlsSegment
}

type hlsSegment struct {
	seconds        float64
	offset, length int64
	uri            string
}

func readMediaPlaylist(path string) (*mediaPlaylist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	defer f.Close()
	pl := &mediaPlaylist{}
	var seg hlsSegment
	var next int64 // EXT-X-BYTERANGE without @offset continues after the previous range
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			d, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			seg.seconds, _ = strconv.ParseFloat(d, 64)
		case strings.HasPrefix(line, "#EXT-X-BYTERANGE:"):
			n, o, ok := strings.Cut(strings.TrimPrefix(line, "#EXT-X-BYTERANGE:"), "@")
			seg.length, _ = strconv.ParseInt(n, 10, 64)
			seg.offset = next
			if ok {
				seg.offset, _ = strconv.ParseInt(o, 10, 64)
			}
			next = seg.offset + seg.length
		case line == "#EXT-X-ENDLIST" || line == "":
		case !strings.HasPrefix(line, "#"):
			seg.uri = line
			pl.segments = append(pl.segments, seg)
			seg = hlsSegment{}
		case len(pl.segments) == 0 && seg.seconds == 0:
			pl.header = append(pl.header, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("corpus: reading %s: %w", path, err)
	}
	if len(pl.segments) == 0 {
		return nil, fmt.Errorf("corpus: %s: no segments", path)
	}
	return pl, nil
}

// bandwidth returns the peak and average bit rates (RFC 8216 section 4.3.4.2: BANDWIDTH is the
// peak segment bit rate, AVERAGE-BANDWIDTH the whole playlist's).
func (pl *mediaPlaylist) bandwidth() (peak, avg int) {
	var bytes int64
	var secs float64
	for _, s := range pl.segments {
		bytes += s.length
		secs += s.seconds
		if s.seconds > 0 {
			peak = max(peak, int(float64(s.length*8)/s.seconds))
		}
	}
	if secs > 0 {
		avg = int(float64(bytes*8) / secs)
	}
	return peak, avg
}

// appleMaster writes master.m3u8 and the I-frame playlists it names. The codec strings come from
// the encoded streams (avc1.PPCCLL, hvc1.P.C.Lnn.B0 per RFC 6381 and ISO/IEC 14496-15 E.3).
func (c *corpus) appleMaster(ctx context.Context, dir string, playlists map[string]*mediaPlaylist) error {
	type line struct {
		v                  appleVariant
		codecs             string
		peak, avg          int
		hdrLabel, stableID string
	}
	byName := map[string]line{}
	for i, v := range appleVariants {
		info, err := c.ff.probe(ctx, filepath.Join(dir, v.name+"-.mp4"))
		if err != nil {
			return err
		}
		codecs := fmt.Sprintf("avc1.6400%02x", info.Level)
		if v.hevc {
			codecs = fmt.Sprintf("hvc1.1.6.L%d.B0", info.Level)
		}
		peak, avg := playlists[v.name].bandwidth()
		hdr := "SDR"
		if v.hevc {
			hdr = "PQ" // labelled HDR like Apple's HEVC renditions; a converter must skip it anyway
		}
		byName[v.name] = line{v: v, codecs: codecs, peak: peak, avg: avg, hdrLabel: hdr, stableID: fmt.Sprintf("%04x", 0x5e02+i*0x1111)}
	}

	// I-frame playlists for two variants: every segment starts with an IDR picture, so the
	// segment's range stands in for the I-frame's (a converter must ignore these anyway).
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\n")
	for _, name := range []string{"P000_Anull_video_gr210_sdr_486x486", "P000_Anull_video_gr290_sdr_1080x1080"} {
		l := byName[name]
		iname := strings.Replace(name, "Anull_video", "trickPlay", 1) + "_iframes.m3u8"
		if err := writeIFramePlaylist(filepath.Join(dir, iname), playlists[name]); err != nil {
			return err
		}
		fmt.Fprintf(&b, "#EXT-X-I-FRAME-STREAM-INF:AVERAGE-BANDWIDTH=%d,_AVG-BANDWIDTH=%d,BANDWIDTH=%d,VIDEO-RANGE=SDR,CODECS=%q,RESOLUTION=%dx%d,URI=%q\n",
			l.avg/10, l.avg/10, l.peak/10, l.codecs, l.v.size, l.v.size, iname)
	}
	b.WriteString("\n")
	// Out of order on purpose, as Apple's are: neither by size nor by bandwidth.
	for _, name := range []string{
		"P000_Anull_video_gr290_sdr_1080x1080",
		"P000_Anull_video_gr505_sdr_360x360",
		"P000_Anull_video_gr699_sdr_2160x2160",
		"P000_Anull_video_gr240_sdr_768x768",
		"P000_Anull_video_gr210_sdr_486x486",
		"P000_Anull_video_gr203_sdr_360x360",
	} {
		l := byName[name]
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=%d,_AVG-BANDWIDTH=%d,BANDWIDTH=%d,VIDEO-RANGE=%s,CLOSED-CAPTIONS=NONE,CODECS=%q,FRAME-RATE=%d.000,RESOLUTION=%dx%d,STABLE-VARIANT-ID=%q\n%s.m3u8\n",
			l.avg, l.avg, l.peak, l.hdrLabel, l.codecs, contentRate, l.v.size, l.v.size, l.stableID, name)
	}
	path := filepath.Join(dir, "master.m3u8")
	return writeFileAtomic(path, []byte(b.String()))
}

func writeIFramePlaylist(path string, pl *mediaPlaylist) error {
	var b strings.Builder
	for _, h := range pl.header {
		b.WriteString(h + "\n")
		if h == "#EXTM3U" {
			b.WriteString("#EXT-X-I-FRAMES-ONLY\n")
		}
	}
	for _, s := range pl.segments {
		fmt.Fprintf(&b, "#EXTINF:%.5f,\n#EXT-X-BYTERANGE:%d@%d\n%s\n", s.seconds, s.length, s.offset, s.uri)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return writeFileAtomic(path, []byte(b.String()))
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
