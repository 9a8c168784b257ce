//go:build faultinject

package decodeworker

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
	"github.com/musicpresence/animated-album-covers/codec/yuv"
	"github.com/musicpresence/animated-album-covers/gifenc"
)

// Fault injection, in test binaries built with the faultinject tag only: a release build has
// neither this file nor the decoders' Fault functions.
//
// faultVar=KIND[:MATCH[:N]] makes the worker's decode stage call its decoder package's
// Fault(KIND) (h264.Fault, or h265.Fault for HEVC, whose segv is a read through a null pointer
// inside libde265) on the N-th picture (default faultAfter) of every stream whose URL contains
// MATCH (every stream when MATCH is empty; it cannot hold a colon). The parent passes the
// variable on to its workers.
const faultVar = "AAC_TEST_WORKER_CRASH"

// faultAfter is the picture the fault comes at by default: late enough that GIF bytes are out
// (after the palette window, a second of output).
const faultAfter = 60

func faultEnv() []string {
	if v, ok := os.LookupEnv(faultVar); ok {
		return []string{faultVar + "=" + v}
	}
	return nil
}

// withFault wraps convert so that it faults as faultVar asks, for a stream it matches.
func withFault(convert Converter, info codec.StreamInfo) Converter {
	v := os.Getenv(faultVar)
	if v == "" {
		return convert
	}
	kind, rest, _ := strings.Cut(v, ":")
	match, afterText, _ := strings.Cut(rest, ":")
	if !strings.Contains(info.URL, match) {
		return convert
	}
	after := int64(faultAfter)
	if n, err := strconv.ParseInt(afterText, 10, 64); err == nil && n > 0 {
		after = n
	}
	fault := h264.Fault
	if info.Format == codec.FormatHEVC {
		fault = h265.Fault
	}
	var n atomic.Int64
	return func(p *yuv.Picture) (*gifenc.YCbCr, error) {
		if n.Add(1) == after {
			if err := fault(kind); err != nil {
				return nil, err
			}
		}
		return convert(p)
	}
}
