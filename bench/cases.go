package main

import (
	"regexp"
	"runtime"
)

// benchCase is one input converted by several tools.
type benchCase struct {
	Name    string
	Input   string // corpus input name
	URL     bool   // every tool reads it from the throttled origin
	Earlier bool   // also run the earlier service (download, then convert)
	Quick   bool   // part of -quick
	// Renditions gives ours TIDAL's rendition rule for the local origin (renditions.go).
	Renditions bool
	// OneThread runs ours and ffmpeg on one thread only: cases about bytes, quality and where
	// the CPU goes, not about cores.
	OneThread bool
	// Unthrottled reads from an origin without a bandwidth limit instead of the throttled one.
	Unthrottled bool
	// Decode also runs decoding alone (`server decode -fps 24`) on what ours reads, on one
	// thread: what the conversion costs beyond its decoder.
	Decode bool
}

// cases, in the order of the report. The committed fixtures come first: small and quick, they
// show that the tools agree on odd inputs; then the 1280 inputs docs/BASELINE.md measured; then
// what users wait for, through the origin.
var cases = []*benchCase{
	{Name: "fixture baseline 160 60fps", Input: inPrefix + "media/baseline-160x160-60fps.mp4"},
	{Name: "fixture high 320 B-frames", Input: inPrefix + "media/high-bframes-320x320-30fps.mp4"},
	{Name: "fixture high 320 moov at end", Input: inPrefix + "media/high-bframes-320x320-30fps-moov-end.mp4"},
	{Name: "fixture main 250x142", Input: inPrefix + "media/main-250x142-24fps.mp4"},
	{Name: "fixture vfr 160", Input: inPrefix + "media/vfr-160x160.mp4"},
	{Name: "fixture fragmented 320", Input: inPrefix + "media/fragmented-320x320-30fps.mp4"},
	{Name: "fixture HLS master (URL)", Input: inPrefix + "hls/master.m3u8", URL: true},
	{Name: "1280 lo file", Input: inLo, Quick: true},
	{Name: "1280 hi file", Input: inHi},
	{Name: "Apple HLS master (URL)", Input: inApple, URL: true},
	{Name: "TIDAL 1280 lo (URL)", Input: inTIDAL, URL: true, Earlier: true, Quick: true},
	{Name: caseTIDALRenditions, Input: inTIDAL, URL: true, Renditions: true, Decode: true},
	{Name: caseTIDALRenditions + ", unthrottled", Input: inTIDAL, URL: true, Renditions: true, Unthrottled: true, Decode: true},
	{Name: caseApple + ", unthrottled", Input: inApple, URL: true, Unthrottled: true, Decode: true},
	{Name: "1280 hi (URL)", Input: inHi, URL: true, Earlier: true},
}

func init() { cases = append(cases, realCases()...) }

// toolsFor lists the tools run on a case: ours and ffmpeg on one thread and on all cores, and
// the earlier service the same two ways.
func toolsFor(c *benchCase) []tool {
	n := runtime.NumCPU()
	ts := []tool{{toolOurs, 1}, {toolOurs, n}, {toolFFmpeg, 1}, {toolFFmpeg, 0}}
	if c.OneThread {
		ts = []tool{{toolOurs, 1}, {toolFFmpeg, 1}}
	}
	if c.Earlier {
		ts = append(ts, tool{toolEarlier, 1}, tool{toolEarlier, 0})
	}
	if c.Decode {
		ts = append(ts, tool{toolDecode, 1})
	}
	return ts
}

// selectCases picks the cases a run measures.
func selectCases(quick bool, filter *regexp.Regexp) []*benchCase {
	var out []*benchCase
	for _, c := range cases {
		if quick && !c.Quick {
			continue
		}
		if filter != nil && !filter.MatchString(c.Name) {
			continue
		}
		out = append(out, c)
	}
	return out
}
