package main

import (
	"slices"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
)

// tool is one way of converting: ours, ffmpeg's recipe, or the earlier service (download the
// whole source, then ffmpeg's recipe on the copy).
type tool struct {
	Kind    string // toolOurs, toolFFmpeg, toolEarlier
	Threads int    // 0: the tool's default, i.e. all cores
}

const (
	toolOurs    = "ours"
	toolFFmpeg  = "ffmpeg"
	toolEarlier = "earlier service"
	toolDecode  = "decode alone" // `server decode -fps 24 -o /dev/null` on what ours reads
)

func (t tool) threadsLabel() string {
	if t.Threads == 0 {
		return "all"
	}
	return itoa(t.Threads)
}

// sample is one measured conversion.
type sample struct {
	Wall      time.Duration // start of the process (of the download, for the earlier service) to exit
	CPU       time.Duration // user + system time of the converting process (rusage)
	FirstByte time.Duration // start to the first GIF byte on the process's stdout; 0 when none
	MaxRSS    int64         // peak resident memory of the process, bytes (rusage ru_maxrss)
	Bytes     int64         // GIF bytes written
	Download  time.Duration // the earlier service's download alone

	// For sources on the origin:
	OriginBytes    int64         // bytes the origin sent during the run
	OriginRequests int           // requests it answered
	AfterFirstSeg  time.Duration // first GIF byte minus when the origin finished sending the first media segment
	HasFirstSeg    bool          // AfterFirstSeg is known (a segment was sent and a GIF byte came)

	firstByteAt time.Time // when the first GIF byte arrived, to compare with the origin's clock

	Output string // where the GIF was kept
	Err    error
	Stderr string // the process's last words, for errors and ours' summary line
}

// result is a case and tool's samples summarised: medians of every number, quality of the output.
type result struct {
	Case    *benchCase
	Tool    tool
	Samples []sample
	Err     error // the first failure, when no sample succeeded

	Wall, CPU, FirstByte, Download, AfterFirstSeg time.Duration
	MaxRSS, Bytes, OriginBytes                    int64
	OriginRequests                                int
	HasFirstSeg                                   bool
	FPS                                           float64 // source frames covered per second of wall time

	Quality    quality.Result
	QualityErr error
	Summary    string // ours' stderr summary line
}

// summarise takes the medians of the successful samples; timings move by 10% and more from run
// to run on these machines, and the median ignores the odd slow one.
func summarise(c *benchCase, t tool, in *input, samples []sample) *result {
	r := &result{Case: c, Tool: t, Samples: samples}
	var ok []sample
	for _, s := range samples {
		if s.Err != nil {
			if r.Err == nil {
				r.Err = s.Err
			}
			continue
		}
		ok = append(ok, s)
	}
	if len(ok) == 0 {
		return r
	}
	r.Err = nil
	durs := func(f func(sample) time.Duration) time.Duration {
		v := make([]time.Duration, len(ok))
		for i, s := range ok {
			v[i] = f(s)
		}
		return median(v)
	}
	ints := func(f func(sample) int64) int64 {
		v := make([]int64, len(ok))
		for i, s := range ok {
			v[i] = f(s)
		}
		return median(v)
	}
	r.Wall = durs(func(s sample) time.Duration { return s.Wall })
	r.CPU = durs(func(s sample) time.Duration { return s.CPU })
	r.FirstByte = durs(func(s sample) time.Duration { return s.FirstByte })
	r.Download = durs(func(s sample) time.Duration { return s.Download })
	r.MaxRSS = ints(func(s sample) int64 { return s.MaxRSS })
	r.Bytes = ints(func(s sample) int64 { return s.Bytes })
	r.OriginBytes = ints(func(s sample) int64 { return s.OriginBytes })
	r.OriginRequests = int(ints(func(s sample) int64 { return int64(s.OriginRequests) }))
	var seg []time.Duration
	for _, s := range ok {
		if s.HasFirstSeg {
			seg = append(seg, s.AfterFirstSeg)
		}
	}
	if len(seg) > 0 {
		r.HasFirstSeg, r.AfterFirstSeg = true, median(seg)
	}
	if r.Wall > 0 && in != nil {
		r.FPS = float64(in.Frames) / r.Wall.Seconds()
	}
	r.Summary = lastLine(ok[len(ok)-1].Stderr)
	return r
}

// median of v (the lower middle for an even count, so that it is always a measured value).
func median[T int64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
