package codec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
)

// tsClock is the MPEG-TS system clock for PTS and DTS (ISO/IEC 13818-1 2.4.3.7): 90 kHz.
const tsClock = 90000

// tsDemuxer reads the H.264 or H.265 stream of an MPEG-TS (ISO/IEC 13818-1; the HLS segment
// format of RFC 8216 section 3.2) with mediacommon's reader, which reassembles PES packets into
// access units.
type tsDemuxer struct {
	in       byteStream
	reader   *mpegts.Reader
	track    videoTrack
	dtsClock mpegts.TimeDecoder // unwraps the 33-bit DTS
	queue    []tickSample
	info     StreamInfo
	shift    int64
	started  bool // a random access point has been seen; samples before it cannot be decoded and are dropped
	eof      bool
	lastDur  uint32
}

// openTS reads the stream's tables and its first samples, so that Info is complete.
func openTS(in byteStream, container string) (*tsDemuxer, error) {
	d := &tsDemuxer{in: in, reader: &mpegts.Reader{R: in}}
	if err := d.reader.Initialize(); err != nil {
		return nil, d.fail(fmt.Errorf("mpegts: %s: no program tables: %w", in.Name(), err))
	}
	var found []string
	var video, hevcVideo *mpegts.Track
	for _, t := range d.reader.Tracks() {
		switch t.Codec.(type) {
		case *tscodecs.H264:
			video = cmp.Or(video, t)
		case *tscodecs.H265:
			hevcVideo = cmp.Or(hevcVideo, t)
		default:
			found = append(found, tsCodecName(t.Codec))
		}
	}
	d.reader.OnDecodeError(func(error) {}) // damaged packets are skipped, as players do
	switch {
	case video != nil: // H.264 first, as in MP4: OpenH264 is the cheaper decoder
		d.track = &avcTrack{}
		d.reader.OnDataH264(video, d.onAccessUnit)
	case hevcVideo != nil:
		// Parameter sets come in band in a transport stream: "hev1" in RFC 6381 terms.
		d.track = &hevcTrack{entry: "hev1"}
		d.reader.OnDataH265(hevcVideo, d.onAccessUnit)
	default:
		what := "no tracks"
		if len(found) > 0 {
			what = "only " + joinUnique(found)
		}
		return nil, fmt.Errorf("%w: mpegts: %s: no H.264 or H.265 track (%s)", ErrUnsupported, in.Name(), what)
	}
	if err := d.fill(2); err != nil && err != io.EOF {
		return nil, err
	}
	if len(d.queue) == 0 {
		return nil, fmt.Errorf("%w: mpegts: %s: no random access picture (IDR, CRA, BLA)", ErrInvalid, in.Name())
	}
	d.shift = d.queue[0].pts
	durs := map[uint32]int{}
	if len(d.queue) > 1 {
		durs[uint32(d.queue[1].dts-d.queue[0].dts)]++
	}
	sps, _ := d.track.streamInfo()
	fps := sps.FrameRate
	if fps <= 0 || fps > 300 {
		fps = 0
		if best := mostCommon(durs); best > 0 {
			fps = float64(tsClock) / float64(best)
		}
	}
	// MPEG-TS has no pixel aspect of its own: the SPS says it.
	d.info = trackStreamInfo(container, d.track)
	d.info.FrameRate = fps
	return d, nil
}

// tsCodecName names a track's codec for messages ("H265" for *codecs.H265).
func tsCodecName(c tscodecs.Codec) string {
	if c == nil {
		return "unknown"
	}
	return strings.TrimPrefix(reflect.TypeOf(c).String(), "*codecs.")
}

func (d *tsDemuxer) onAccessUnit(pts, dts int64, au [][]byte) error {
	s, randomAccess, err := d.track.accessUnit(au)
	if err != nil {
		return err
	}
	if !d.started && !randomAccess {
		return nil
	}
	d.started = true
	decoded := d.dtsClock.Decode(dts)
	cto := (pts - dts) & 0x1ffffffff
	d.queue = append(d.queue, tickSample{Sample: s, dts: decoded, pts: decoded + cto})
	return nil
}

// fill reads until n samples are queued or the stream ends.
func (d *tsDemuxer) fill(n int) error {
	for len(d.queue) < n && !d.eof {
		if err := d.reader.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				d.eof = true
				return io.EOF
			}
			return d.fail(err)
		}
		if len(d.queue) > MaxSamples {
			return fmt.Errorf("%w: mpegts: %s: more than %d access units queued", ErrInvalid, d.in.Name(), MaxSamples)
		}
	}
	return nil
}

// fail classifies an error out of the reader: ours (fetching, limits) pass through; the
// rest is a broken stream.
func (d *tsDemuxer) fail(err error) error {
	for _, class := range []error{ErrUnsupported, ErrInvalid, ErrOrigin, ErrTimeout, context.Canceled} {
		if errors.Is(err, class) {
			return err
		}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w: mpegts: %s: %v", ErrInvalid, ErrTruncated, d.in.Name(), err)
	}
	return fmt.Errorf("%w: mpegts: %s: %v", ErrInvalid, d.in.Name(), err)
}

func (d *tsDemuxer) Info() StreamInfo { return d.info }

// Next gives the next access unit. One is held back to learn its duration from the next one's
// decoding time (MPEG-TS carries no durations).
func (d *tsDemuxer) Next(ctx context.Context) (Sample, error) {
	if err := d.fill(2); err != nil && err != io.EOF {
		return Sample{}, err
	}
	if len(d.queue) == 0 {
		return Sample{}, io.EOF
	}
	ts := d.queue[0]
	d.queue = d.queue[1:]
	if len(d.queue) > 0 && d.queue[0].dts > ts.dts {
		d.lastDur = uint32(min(d.queue[0].dts-ts.dts, tsClock*10))
	}
	s := ts.Sample
	s.DTS = ticks(ts.dts-d.shift, tsClock)
	s.PTS = ticks(ts.pts-d.shift, tsClock)
	s.Duration = ticks(int64(d.lastDur), tsClock)
	return s, nil
}
