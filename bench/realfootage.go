package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The real-footage corpus (testdata/make-real.sh): clips cut from real videos and edited as
// covers are (fades from and to black, hard cuts, grain, a still). Synthetic clips never start
// dark or cut between scenes; these do. Each is converted at TIDAL's 160 px rendition size (the
// committed clips) and at 1280x1280 (made here with the same script), and the whole 15 s cover
// also stands behind a TIDAL-like rendition path and an Apple-like master.
var realClips = []string{
	"bunny-fade-in", "countdown-grain", "cover-15s", "cut-face-koala", "face-15s",
	"koala", "koala-fade-in-out", "koala-heavy-grain", "koala-still",
}

// What each clip is, for the goals on local colour tables: how many hard cuts it holds (a local
// table each, about), or -1 for a single scene (local tables on at most 5% of its images).
var realClipCuts = map[string]int{
	"bunny-fade-in": -1, "countdown-grain": -1, "cover-15s": 2, "cut-face-koala": 1, "face-15s": -1,
	"koala": -1, "koala-fade-in-out": -1, "koala-heavy-grain": -1, "koala-still": -1,
}

const (
	realCover     = "cover-15s"
	realPrefix    = "real:"                     // input names: real:CLIP@SIZE
	inRealTIDAL   = "real-tidal"                // the real cover behind a TIDAL-like path, asked for at 1280
	inRealApple   = "real-apple"                // the real cover as an Apple-like master
	realTIDALDir  = "videos/9a7c2e11/2b3d/4c5e" // beside tidalDir, another cover
	realAppleDir  = "apple/aod/3c/91/P000_gr777"
	realMediaDir  = "real"
	realLargeSize = 1280
)

func realInput(clip string, size int) string { return fmt.Sprintf("%s%s@%d", realPrefix, clip, size) }

// realCases are the harness's cases on real footage: every clip at both sizes (ours and ffmpeg
// on one thread: bytes, quality, and where ours spends its CPU), and the two production paths,
// each through a 16 Mbit/s origin and an unthrottled one, with decoding alone beside them.
func realCases() []*benchCase {
	var cs []*benchCase
	for _, size := range []int{160, realLargeSize} {
		for _, clip := range realClips {
			cs = append(cs, &benchCase{Name: fmt.Sprintf("real %s %d", clip, size), Input: realInput(clip, size), OneThread: true, Quick: clip == realCover && size == 160})
		}
	}
	for _, unthrottled := range []bool{false, true} {
		suffix := ""
		if unthrottled {
			suffix = ", unthrottled"
		}
		cs = append(cs,
			&benchCase{Name: "real TIDAL cover 1280, renditions (URL" + suffix + ")", Input: inRealTIDAL, URL: true, Renditions: true, Unthrottled: unthrottled, Decode: true},
			&benchCase{Name: "real Apple master (URL" + suffix + ")", Input: inRealApple, URL: true, Unthrottled: unthrottled, Decode: true},
		)
	}
	return cs
}

// buildReal makes a real-footage input: a clip at 160 px (the committed file) or at 1280 (made
// with testdata/make-real.sh), the TIDAL-like renditions of the cover, or its Apple-like master.
func (c *corpus) buildReal(ctx context.Context, name string) (*input, error) {
	switch name {
	case inRealTIDAL:
		if err := c.realTIDAL(ctx); err != nil {
			return nil, err
		}
		return c.mp4Input(ctx, name, "", realTIDALDir+"/1280x1280.mp4")
	case inRealApple:
		src, err := c.realClip(ctx, realCover, realLargeSize, true)
		if err != nil {
			return nil, err
		}
		ref, err := c.apple(ctx, src, realAppleDir)
		if err != nil {
			return nil, err
		}
		return c.probed(ctx, &input{Name: name, URLPath: realAppleDir + "/master.m3u8", Reference: ref})
	}
	clip, sizeText, ok := strings.Cut(strings.TrimPrefix(name, realPrefix), "@")
	size, err := strconv.Atoi(sizeText)
	if !ok || err != nil {
		return nil, fmt.Errorf("corpus: no input named %q", name)
	}
	file, err := c.realClip(ctx, clip, size, true)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(c.origin, file)
	if err != nil {
		return nil, err
	}
	return c.mp4Input(ctx, name, file, filepath.ToSlash(rel))
}

// realClip returns the file of a clip at size x size under origin/real/: the committed one at
// 160, else made by testdata/make-real.sh, with every clip of that size at once when all is set
// (they are all measured at that size), else that clip alone.
func (c *corpus) realClip(ctx context.Context, clip string, size int, all bool) (string, error) {
	dirName := strconv.Itoa(size)
	args := []string{"-size", dirName}
	if !all {
		dirName += "-" + clip
		args = append(args, "-only", clip)
	}
	dir := filepath.Join(c.origin, realMediaDir, dirName)
	path := filepath.Join(dir, clip+".mp4")
	if size == 160 {
		src := filepath.Join(c.repo, "testdata", "real", clip+".mp4")
		return path, c.make(path, func(tmp string) error { return copyFile(src, tmp) })
	}
	return path, c.make(dir, func(tmp string) error {
		c.log.Info("corpus: making real-footage clips", "size", size, "dir", dir)
		_, err := runTool(ctx, encodeTimeout, filepath.Join(c.repo, "testdata", "make-real.sh"), append(args, "-out", tmp)...)
		return err
	})
}

// realTIDAL makes TIDAL's sizes of the real cover, as TIDAL keeps every cover: 80 to 1280 and
// origin.mp4 (the 1280 one's bytes).
func (c *corpus) realTIDAL(ctx context.Context) error {
	dir := filepath.Join(c.origin, realTIDALDir)
	for _, size := range tidalSizes {
		src, err := c.realClip(ctx, realCover, size, size == 160 || size == realLargeSize)
		if err != nil {
			return err
		}
		rel := fmt.Sprintf("%s/%dx%d.mp4", realTIDALDir, size, size)
		path := filepath.Join(c.origin, rel)
		if err := c.make(path, func(tmp string) error { return os.Link(src, tmp) }); err != nil {
			return err
		}
		// The rendition ours reads is timed too: its first GOP is the "first segment".
		end, err := c.ff.firstGOPEnd(ctx, path)
		if err != nil {
			return err
		}
		c.mark(rel, end)
	}
	big := filepath.Join(dir, fmt.Sprintf("%dx%d.mp4", realLargeSize, realLargeSize))
	return c.make(filepath.Join(dir, "origin.mp4"), func(tmp string) error { return os.Link(big, tmp) })
}

// decodeSource is what `server decode` reads to decode alone what ours converts: the rendition
// a rendition case reads (the size for an 80 px GIF), else the input as ours is given it (a
// master: decode chooses the same variant).
func decodeSource(c *benchCase, url string) string {
	if c.Renditions {
		return strings.Replace(url, "/1280x1280.mp4", "/160x160.mp4", 1)
	}
	return url
}

// stages is where ours spent its time, from its summary line: busy times per stage and the
// local colour tables it made.
type stages struct {
	Fetch, Decode, Resize, Encode time.Duration
	LocalPalettes, LocalImages    int
	Images                        int // frames given to the encoder
	ok                            bool
}

var (
	summaryBusy   = regexp.MustCompile(`busy: fetch ([^,]+), decode ([^,]+), resize ([^,]+), encode ([^)]+)\)`)
	summaryLocals = regexp.MustCompile(`local palettes (\d+) \(on (\d+) images\)`)
	summaryFrames = regexp.MustCompile(`frames out (\d+),`)
)

// parseStages reads ours' summary line (cmd/server's summary).
func parseStages(summary string) stages {
	var s stages
	m := summaryBusy.FindStringSubmatch(summary)
	if m == nil {
		return s
	}
	for i, d := range []*time.Duration{&s.Fetch, &s.Decode, &s.Resize, &s.Encode} {
		v, err := time.ParseDuration(strings.TrimSpace(m[i+1]))
		if err != nil {
			return stages{}
		}
		*d = v
	}
	if l := summaryLocals.FindStringSubmatch(summary); l != nil {
		s.LocalPalettes, _ = strconv.Atoi(l[1])
		s.LocalImages, _ = strconv.Atoi(l[2])
	}
	if f := summaryFrames.FindStringSubmatch(summary); f != nil {
		s.Images, _ = strconv.Atoi(f[1])
	}
	s.ok = true
	return s
}

// Targets of issue 11.
const (
	targetRealBytes       = 0.8                    // ours' bytes over the recipe's, every real clip
	targetRealPSNRGain    = 1.0                    // dB over the recipe's, every real clip
	targetEncoderShare    = 0.15                   // of a 160 px conversion's CPU
	targetOverDecode      = 1.25                   // a production path's CPU over decoding alone
	targetLocalShare      = 0.05                   // images with a local table on a single scene
	targetRealTIDALRatio  = 0.05                   // ours' wall over ffmpeg's, TIDAL URL via renditions, unthrottled
	targetRealAppleRatio  = 0.2                    // ours' wall over ffmpeg's, Apple-like master, unthrottled
	targetRealFirstByte   = 300 * time.Millisecond // first GIF byte after the first media segment, the palette window included
	caseRealTIDAL         = "real TIDAL cover 1280, renditions (URL)"
	caseRealTIDALFast     = "real TIDAL cover 1280, renditions (URL, unthrottled)"
	caseRealApple         = "real Apple master (URL)"
	caseRealAppleFast     = "real Apple master (URL, unthrottled)"
	caseSyntheticTIDALFst = caseTIDALRenditions + ", unthrottled"
)

// realGoals evaluates issue 11's targets.
func (rs resultSet) realGoals() []goal {
	var gs []goal
	none := func(g goal) goal { g.Verdict, g.Measured = verdictNone, "—"; return g }
	for _, size := range []int{160, realLargeSize} {
		for _, clip := range realClips {
			name := fmt.Sprintf("real %s %d", clip, size)
			g := goal{Goal: fmt.Sprintf("%s: bytes and PSNR vs ffmpeg's recipe", name),
				Target: fmt.Sprintf("≤ %.1f×, ≥ +%.0f dB", targetRealBytes, targetRealPSNRGain)}
			ours, theirs := rs.find(name, toolOurs, threadsOne), rs.find(name, toolFFmpeg, threadsOne)
			if !ok(ours) || !ok(theirs) || ours.QualityErr != nil || theirs.QualityErr != nil {
				gs = append(gs, none(g))
				continue
			}
			ratio, gain := float64(ours.Bytes)/float64(theirs.Bytes), ours.Quality.MeanPSNR-theirs.Quality.MeanPSNR
			g.Measured = fmt.Sprintf("%.2f×, %+.2f dB (%d vs %d bytes, %.2f vs %.2f dB)", ratio, gain, ours.Bytes, theirs.Bytes, ours.Quality.MeanPSNR, theirs.Quality.MeanPSNR)
			g.Verdict = verdict(ratio <= targetRealBytes && gain >= targetRealPSNRGain)
			gs = append(gs, g)
		}
	}
	for _, clip := range realClips {
		name := fmt.Sprintf("real %s 160", clip)
		r := rs.find(name, toolOurs, threadsOne)
		st := stages{}
		if ok(r) {
			st = parseStages(r.Summary)
		}
		cuts := realClipCuts[clip]
		g := goal{Goal: fmt.Sprintf("%s: local colour tables", name)}
		if cuts < 0 {
			g.Target = fmt.Sprintf("on ≤ %.0f%% of images (one scene)", 100*targetLocalShare)
		} else {
			g.Target = fmt.Sprintf("about one per cut (%d)", cuts)
		}
		if !st.ok || st.Images == 0 {
			gs = append(gs, none(g))
			continue
		}
		g.Measured = fmt.Sprintf("%d built, on %d of %d images", st.LocalPalettes, st.LocalImages, st.Images)
		if cuts < 0 {
			g.Verdict = verdict(float64(st.LocalImages) <= targetLocalShare*float64(st.Images))
		} else {
			g.Verdict = verdict(st.LocalPalettes >= cuts && st.LocalPalettes <= cuts+1)
		}
		gs = append(gs, g)
	}
	for _, name := range []string{caseRealTIDAL, caseRealTIDALFast} {
		g := goal{Goal: fmt.Sprintf("%s, one thread: encoder's share of ours' CPU", name), Target: fmt.Sprintf("≤ %.0f%%", 100*targetEncoderShare)}
		r := rs.find(name, toolOurs, threadsOne)
		st := stages{}
		if ok(r) {
			st = parseStages(r.Summary)
		}
		if !st.ok || r.CPU <= 0 {
			gs = append(gs, none(g))
			continue
		}
		share := st.Encode.Seconds() / r.CPU.Seconds()
		g.Measured = fmt.Sprintf("%.0f%% (%s of %s)", 100*share, ms(st.Encode), ms(r.CPU))
		g.Verdict = verdict(share <= targetEncoderShare)
		gs = append(gs, g)
	}
	// The throttled synthetic master has no decoding-alone run: only its unthrottled case.
	for _, name := range []string{caseRealTIDAL, caseRealTIDALFast, caseRealApple, caseRealAppleFast, caseTIDALRenditions, caseSyntheticTIDALFst, caseApple + ", unthrottled"} {
		g := goal{Goal: fmt.Sprintf("%s, one thread: ours' CPU / decoding alone's", name), Target: fmt.Sprintf("≤ %.2f×", targetOverDecode)}
		ours, dec := rs.find(name, toolOurs, threadsOne), rs.find(name, toolDecode, threadsOne)
		if !ok(ours) || !ok(dec) {
			gs = append(gs, none(g))
			continue
		}
		ratio := ours.CPU.Seconds() / dec.CPU.Seconds()
		g.Measured = fmt.Sprintf("%.2f× (%s / %s)", ratio, ms(ours.CPU), ms(dec.CPU))
		g.Verdict = verdict(ratio <= targetOverDecode)
		gs = append(gs, g)
	}
	for _, name := range []string{caseRealTIDAL, caseRealTIDALFast, caseRealApple, caseRealAppleFast} {
		for _, th := range []string{threadsOne, threadsAllCore} {
			g := goal{Goal: fmt.Sprintf("%s, ours %s: first GIF byte after the first media segment (or GOP) arrived", name, th),
				Target: fmt.Sprintf("≤ %d ms", targetRealFirstByte.Milliseconds())}
			r := rs.find(name, toolOurs, th)
			if !ok(r) || !r.HasFirstSeg {
				gs = append(gs, none(g))
				continue
			}
			g.Measured = fmt.Sprintf("%+d ms", r.AfterFirstSeg.Milliseconds())
			g.Verdict = verdict(r.AfterFirstSeg <= targetRealFirstByte)
			gs = append(gs, g)
		}
	}
	for _, c := range []struct {
		name   string
		target float64
	}{{caseRealTIDALFast, targetRealTIDALRatio}, {caseSyntheticTIDALFst, targetRealTIDALRatio}, {caseRealAppleFast, targetRealAppleRatio}, {caseApple + ", unthrottled", targetRealAppleRatio}} {
		g := rs.ratioGoal(c.name, c.name, toolFFmpeg, threadsOne, c.target)
		g.Target = fmt.Sprintf("≤ %.2f×", c.target)
		gs = append(gs, g)
	}
	return gs
}
