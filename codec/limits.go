package codec

import (
	"github.com/musicpresence/animated-album-covers/codec/h264"
	"github.com/musicpresence/animated-album-covers/codec/h265"
)

// Hard limits on what a source may make us hold or do. Each is checked where the data enters
// (box header, playlist line, SPS), before anything is allocated for it, so that a hostile or
// broken source fails with a typed error instead of using memory or time. The picture size is
// bounded by yuv.MaxWidth and yuv.MaxHeight (checked in the SPS by codec/h264 and codec/h265),
// the bytes, requests and redirects of one source by codec/fetch.
const (
	// MaxSampleSize is the largest access unit accepted: what the decoders take, mediacommon's
	// bound on access units (a 50 Mbit/s 2160p60 stream stays below it).
	MaxSampleSize = max(h264.MaxAccessUnitSize, h265.MaxAccessUnitSize)

	// MaxSamples bounds the sample table of a progressive MP4 (stsz entries) and the samples
	// of one fragment: one hour at 240 fps.
	MaxSamples = 1 << 20

	// MaxMoovSize bounds the movie box read into memory (its sample tables grow with length).
	MaxMoovSize = 32 << 20

	// MaxFragmentSize bounds one moof, or one mdat of a fragment, read into memory.
	MaxFragmentSize = 32 << 20

	// MaxBoxes bounds the top-level boxes walked in one source (fragments, free boxes, sidx…).
	MaxBoxes = 100_000

	// MaxTracks bounds the tracks of a movie.
	MaxTracks = 64

	// MaxPlaylistSize bounds the bytes of one playlist. Apple's masters are a few kB and their
	// media playlists a few hundred bytes; 1 MiB is twenty thousand segment lines.
	MaxPlaylistSize = 1 << 20

	// MaxSegments bounds the segments read from one media playlist, whatever their declared
	// durations (a playlist of zero-length entries must not make us fetch forever).
	MaxSegments = 2_000

	// MaxVariants bounds the variants of a master playlist considered.
	MaxVariants = 1_000

	// MaxPlaylistDepth is how many playlists may lead to the media: a master and the media
	// playlist it names. A master that names a master is refused.
	MaxPlaylistDepth = 2
)
