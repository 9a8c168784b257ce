package codec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/Eyevinn/mp4ff/mp4"

	"github.com/musicpresence/animated-album-covers/codec/yuv"
)

// mp4Demuxer reads the H.264 or H.265 track of an ISO base media file (ISO/IEC 14496-12) front to back:
// progressive (one moov with sample tables, before or after the mdat) or fragmented (an empty
// moov with mvex, then moof/mdat pairs, section 8.8), including one made of a playlist's byte
// ranges. Boxes are decoded with mp4ff: its header/body decoders work on an io.Reader, so the
// file is walked as it arrives and only one box (a moov, a moof, one fragment's mdat) is held.
type mp4Demuxer struct {
	in        byteStream
	container string
	track     videoTrack
	trackID   uint32
	timescale uint32
	trex      *mp4.TrexBox
	info      StreamInfo
	boxes     int // top-level boxes walked

	fragmented bool
	table      []tableSample // progressive: the sample table
	next       int           // progressive: next entry of table
	queue      []tickSample  // fragmented: samples of the current fragment not yet given
	shift      int64         // ticks subtracted so that the first presentation time is zero
	shiftSet   bool
	done       bool
}

// tableSample is one entry of a progressive sample table (section 8.6 and 8.7).
type tableSample struct {
	off  int64
	size uint32
	dts  int64
	cto  int32 // composition time offset (ctts)
	dur  uint32
}

// tickSample is a sample with its times in the track's timescale, before shifting.
type tickSample struct {
	Sample
	dts, pts int64
	dur      uint32
}

// openMP4 reads the start of the file up to the first samples: the moov, and for a fragmented
// file the first fragment, so that Info is complete (size, frame rate) when it returns.
func openMP4(in byteStream, container string) (*mp4Demuxer, error) {
	d := &mp4Demuxer{in: in, container: container}
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	if d.fragmented {
		if err := d.readFragment(); err != nil && err != io.EOF {
			return nil, err
		}
		if len(d.queue) == 0 {
			return nil, fmt.Errorf("%w: mp4: %s: no video samples", ErrInvalid, in.Name())
		}
		d.info.FrameRate = d.fragmentRate()
	}
	return d, nil
}

func (d *mp4Demuxer) Info() StreamInfo { return d.info }

// readHeader walks top-level boxes until the moov is read. An mdat before it (moov at the end)
// is skipped with a range request when the origin serves ranges, else held in memory.
func (d *mp4Demuxer) readHeader() error {
	for {
		hdr, start, err := d.nextBox()
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("%w: mp4: %s: no movie box (moov)", ErrInvalid, d.in.Name())
			}
			return err
		}
		switch hdr.Name {
		case "moov":
			moov, err := d.readMoov(hdr, start)
			if err != nil {
				return err
			}
			return d.readMovie(moov)
		case "mdat":
			if err := d.passMediaData(hdr, start); err != nil {
				return err
			}
		case "moof":
			return fmt.Errorf("%w: mp4: %s: movie fragment before the movie box", ErrInvalid, d.in.Name())
		default:
			if err := d.skipBox(hdr, start); err != nil {
				return err
			}
		}
	}
}

// nextBox reads the header of the next top-level box.
func (d *mp4Demuxer) nextBox() (mp4.BoxHeader, int64, error) {
	d.boxes++
	if d.boxes > MaxBoxes {
		return mp4.BoxHeader{}, 0, fmt.Errorf("%w: mp4: %s: more than %d top-level boxes", ErrInvalid, d.in.Name(), MaxBoxes)
	}
	start := d.in.Offset()
	hdr, err := mp4.DecodeHeader(d.in)
	if err != nil {
		if err == io.EOF {
			return hdr, start, io.EOF // nothing left: the stream ends between boxes
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return hdr, start, fmt.Errorf("%w: %w: mp4: %s: box header at byte %d cut short", ErrInvalid, ErrTruncated, d.in.Name(), start)
		}
		if errors.Is(err, ErrOrigin) || errors.Is(err, ErrTimeout) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return hdr, start, err
		}
		return hdr, start, fmt.Errorf("%w: mp4: %s: box at byte %d: %v", ErrInvalid, d.in.Name(), start, err)
	}
	if hdr.Size > 1<<62 {
		return hdr, start, fmt.Errorf("%w: mp4: %s: box %q at byte %d claims %d bytes", ErrInvalid, d.in.Name(), hdr.Name, start, hdr.Size)
	}
	return hdr, start, nil
}

// readMoov reads the movie box (ISO/IEC 14496-12 section 8.2.1) whose header is at start.
func (d *mp4Demuxer) readMoov(hdr mp4.BoxHeader, start int64) (*mp4.MoovBox, error) {
	box, err := d.readBox(hdr, start, MaxMoovSize)
	if err != nil {
		return nil, err
	}
	moov, ok := box.(*mp4.MoovBox)
	if !ok {
		return nil, fmt.Errorf("%w: mp4: %s: moov at byte %d is not a movie box", ErrInvalid, d.in.Name(), start)
	}
	return moov, nil
}

// readBox reads the rest of a box of at most limit bytes whose header is at start, and decodes
// it.
func (d *mp4Demuxer) readBox(hdr mp4.BoxHeader, start int64, limit int64) (mp4.Box, error) {
	if int64(hdr.Size) > limit {
		return nil, fmt.Errorf("%w: mp4: %s: %s box of %d bytes is over the limit of %d", ErrUnsupported, d.in.Name(), hdr.Name, hdr.Size, limit)
	}
	payload, err := d.in.ReadAt(start+int64(hdr.Hdrlen), int(hdr.Size)-hdr.Hdrlen)
	if err != nil {
		return nil, err
	}
	if hdr.Name == "moov" {
		hideUserData(payload)
	}
	box, err := decodeBoxBody(hdr, start, payload)
	if err != nil {
		return nil, fmt.Errorf("%w: mp4: %s: %s box at byte %d: %v", ErrInvalid, d.in.Name(), hdr.Name, start, err)
	}
	return box, nil
}

// decodeBoxBody decodes a box whose payload is in memory. mp4ff trusts counts and offsets
// inside boxes in places; a malformed box must become an error, not bring the service down.
func decodeBoxBody(hdr mp4.BoxHeader, start int64, payload []byte) (box mp4.Box, err error) {
	defer func() {
		if r := recover(); r != nil {
			box, err = nil, fmt.Errorf("malformed box: %v", r)
		}
	}()
	return mp4.DecodeBoxBody(uint64(start), hdr, bytes.NewReader(payload))
}

func (d *mp4Demuxer) skipBox(hdr mp4.BoxHeader, start int64) error {
	return d.in.SkipTo(start + int64(hdr.Size))
}

// passMediaData gets past an mdat that comes before the moov: its samples are read once the
// moov says where they are.
func (d *mp4Demuxer) passMediaData(hdr mp4.BoxHeader, start int64) error {
	if err := d.in.SkipForLater(start + int64(hdr.Size)); err != nil {
		return fmt.Errorf("mp4: media data before the movie box: %w", err)
	}
	return nil
}

// readMovie finds the video track and reads its sample entry and, for a progressive file, its
// sample table.
func (d *mp4Demuxer) readMovie(moov *mp4.MoovBox) error {
	if len(moov.Traks) > MaxTracks {
		return fmt.Errorf("%w: mp4: %s: %d tracks, more than %d", ErrUnsupported, d.in.Name(), len(moov.Traks), MaxTracks)
	}
	trak, found := chooseVideoTrack(moov.Traks)
	if trak == nil {
		if scheme, ok := encryptedVideo(moov); ok {
			return fmt.Errorf("%w: mp4: %s: encrypted video is not supported (encv, protection scheme %s)", ErrUnsupported, d.in.Name(), scheme)
		}
		what := "no tracks"
		if len(found) > 0 {
			what = "only " + joinUnique(found)
		}
		return fmt.Errorf("%w: mp4: %s: no H.264 or H.265 video track (%s)", ErrUnsupported, d.in.Name(), what)
	}
	d.trackID = trak.Tkhd.TrackID
	d.timescale = trak.Mdia.Mdhd.Timescale
	if d.timescale == 0 {
		return fmt.Errorf("%w: mp4: %s: track %d has timescale 0", ErrInvalid, d.in.Name(), d.trackID)
	}
	track, entry, err := newVideoTrack(trak.Mdia.Minf.Stbl.Stsd)
	if err != nil {
		return fmt.Errorf("mp4: %s: track %d: %w", d.in.Name(), d.trackID, err)
	}
	d.track = track
	d.info = trackStreamInfo(d.container, track)
	if a, ok := containerAspectRatio(trak.Tkhd, entry); ok {
		d.info.SampleAspect = a
	}
	if _, hasSPS := track.streamInfo(); !hasSPS {
		d.info.Codec = entry.Type()
		d.info.Width, d.info.Height = int(entry.Width), int(entry.Height)
		if d.info.Width > yuv.MaxWidth || d.info.Height > yuv.MaxHeight {
			return fmt.Errorf("%w: mp4: %s: picture of %dx%d is over the limit of %dx%d", ErrUnsupported, d.in.Name(), d.info.Width, d.info.Height, yuv.MaxWidth, yuv.MaxHeight)
		}
	}
	stbl := trak.Mdia.Minf.Stbl
	if moov.Mvex != nil && (stbl.Stsz == nil || stbl.Stsz.SampleNumber == 0) {
		d.fragmented = true
		if d.container == "mp4" {
			d.container, d.info.Container = "fmp4", "fmp4"
		}
		for _, t := range moov.Mvex.Trexs {
			if t.TrackID == d.trackID {
				d.trex = t
			}
		}
		if d.trex == nil {
			return fmt.Errorf("%w: mp4: %s: no defaults (trex) for track %d", ErrInvalid, d.in.Name(), d.trackID)
		}
		if mehd := moov.Mvex.Mehd; mehd != nil && moov.Mvhd != nil && moov.Mvhd.Timescale > 0 {
			d.info.Duration = ticks(int64(mehd.FragmentDuration), moov.Mvhd.Timescale)
		}
		return nil
	}
	return d.readSampleTable(stbl)
}

// trackKind names a track that is not H.264, for the error message ("only hvc1 video, mp4a audio").
func trackKind(t *mp4.TrakBox) string {
	stsd := t.Mdia.Minf.Stbl.Stsd
	handler := t.Mdia.Hdlr.HandlerType
	name := handler
	switch handler {
	case "vide":
		name = "video"
	case "soun":
		name = "audio"
	}
	for _, c := range stsd.Children {
		return c.Type() + " " + name
	}
	return name
}

func joinUnique(in []string) string {
	seen := map[string]bool{}
	out := ""
	for _, s := range in {
		if seen[s] {
			continue
		}
		seen[s] = true
		if out != "" {
			out += ", "
		}
		out += s
	}
	return out
}

// ticks converts a time in a timescale to a Duration without overflow for any real file.
func ticks(t int64, timescale uint32) time.Duration {
	ts := int64(timescale)
	return time.Duration(t/ts)*time.Second + time.Duration(t%ts)*time.Second/time.Duration(ts)
}

// Next gives the next sample in decoding order.
func (d *mp4Demuxer) Next(ctx context.Context) (Sample, error) {
	if d.done {
		return Sample{}, io.EOF
	}
	var ts tickSample
	var err error
	if d.fragmented {
		ts, err = d.nextFragmented()
	} else {
		ts, err = d.nextProgressive()
	}
	if err != nil {
		if err == io.EOF {
			d.done = true
		}
		return Sample{}, err
	}
	s := ts.Sample
	s.DTS = ticks(ts.dts-d.shift, d.timescale)
	s.PTS = ticks(ts.pts-d.shift, d.timescale)
	s.Duration = ticks(int64(ts.dur), d.timescale)
	return s, nil
}

// encryptedVideo tells whether a track of moov is protected video: a sample entry encv (ISO/IEC
// 14496-12 8.12, Common Encryption ISO/IEC 23001-7), whose protection scheme it names.
func encryptedVideo(moov *mp4.MoovBox) (scheme string, ok bool) {
	for _, t := range moov.Traks {
		if t.Mdia == nil || t.Mdia.Minf == nil || t.Mdia.Minf.Stbl == nil || t.Mdia.Minf.Stbl.Stsd == nil {
			continue
		}
		for _, c := range t.Mdia.Minf.Stbl.Stsd.Children {
			if c.Type() != "encv" {
				continue
			}
			scheme = "unknown"
			if v, isVisual := c.(*mp4.VisualSampleEntryBox); isVisual && v.Sinf != nil && v.Sinf.Schm != nil {
				scheme = v.Sinf.Schm.SchemeType
			}
			return scheme, true
		}
	}
	return "", false
}
