package codec

import (
	"fmt"
	"io"

	"github.com/Eyevinn/mp4ff/mp4"
)

// readFragment reads boxes up to the next movie fragment (ISO/IEC 14496-12 section 8.8.4 moof
// and the mdat after it) and queues the track's samples. Segment boxes (styp, sidx, emsg, prft,
// free) are passed over; a sidx needs no range requests here since the file is read in order.
func (d *mp4Demuxer) readFragment() error {
	for {
		hdr, start, err := d.nextBox()
		if err != nil {
			return err
		}
		switch hdr.Name {
		case "moof":
			box, err := d.readBox(hdr, start, MaxFragmentSize)
			if err != nil {
				return err
			}
			moof, ok := box.(*mp4.MoofBox)
			if !ok {
				return fmt.Errorf("%w: mp4: %s: moof at byte %d is not a movie fragment", ErrInvalid, d.in.Name(), start)
			}
			mdat, err := d.fragmentData(start)
			if err != nil {
				return err
			}
			n, err := d.queueFragment(moof, mdat)
			if err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
		case "moov":
			// A second init section (an HLS EXT-X-MAP repeated, or a discontinuity):
			// the same track must go on.
			moov, err := d.readMoov(hdr, start)
			if err != nil {
				return err
			}
			if err := d.readMovie(moov); err != nil {
				return err
			}
		default:
			if err := d.skipBox(hdr, start); err != nil {
				return err
			}
		}
	}
}

// fragmentData reads the mdat that follows a moof.
func (d *mp4Demuxer) fragmentData(moofStart int64) (*mp4.MdatBox, error) {
	for {
		hdr, start, err := d.nextBox()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: %w: mp4: %s: fragment at byte %d has no media data", ErrInvalid, ErrTruncated, d.in.Name(), moofStart)
		}
		if err != nil {
			return nil, err
		}
		if hdr.Name != "mdat" {
			if hdr.Name == "moof" || hdr.Name == "moov" {
				return nil, fmt.Errorf("%w: mp4: %s: fragment at byte %d has no media data", ErrInvalid, d.in.Name(), moofStart)
			}
			if err := d.skipBox(hdr, start); err != nil {
				return nil, err
			}
			continue
		}
		box, err := d.readBox(hdr, start, MaxFragmentSize)
		if err != nil {
			return nil, err
		}
		mdat, ok := box.(*mp4.MdatBox)
		if !ok {
			return nil, fmt.Errorf("%w: mp4: %s: mdat at byte %d", ErrInvalid, d.in.Name(), start)
		}
		return mdat, nil
	}
}

// queueFragment turns the track's samples of one fragment into queued samples.
func (d *mp4Demuxer) queueFragment(moof *mp4.MoofBox, mdat *mp4.MdatBox) (int, error) {
	count := 0
	for _, traf := range moof.Trafs {
		if traf.Tfhd == nil || traf.Tfhd.TrackID != d.trackID {
			continue
		}
		for _, trun := range traf.Truns {
			count += int(trun.SampleCount())
		}
	}
	if count > MaxSamples {
		return 0, fmt.Errorf("%w: mp4: %s: fragment of %d samples, more than %d", ErrInvalid, d.in.Name(), count, MaxSamples)
	}
	full, err := fullSamples(&mp4.Fragment{Moof: moof, Mdat: mdat}, d.trex)
	if err != nil {
		return 0, fmt.Errorf("%w: mp4: %s: fragment at byte %d: %v", ErrInvalid, d.in.Name(), moof.StartPos, err)
	}
	first := len(d.queue) == 0 && !d.shiftSet
	for i, fs := range full {
		s, err := d.track.accessUnitMP4(fs.Data)
		if err != nil {
			return 0, fmt.Errorf("mp4: %s: fragment at byte %d, sample %d: %w", d.in.Name(), moof.StartPos, i+1, err)
		}
		d.queue = append(d.queue, tickSample{Sample: s, dts: int64(fs.DecodeTime), pts: fs.PresentationTime(), dur: fs.Dur})
	}
	if first && len(d.queue) > 0 {
		// The first presentation time of the stream is the earliest of its first fragment,
		// which starts with an IDR picture (no picture shown before it).
		d.shift = d.queue[0].pts
		for _, s := range d.queue {
			d.shift = min(d.shift, s.pts)
		}
		d.shiftSet = true
	}
	return len(full), nil
}

// fullSamples gets a fragment's samples with mp4ff. It slices the mdat by the trun's sizes and
// offsets without checking them against the mdat's length; a lying trun must be an error.
func fullSamples(frag *mp4.Fragment, trex *mp4.TrexBox) (out []mp4.FullSample, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("sample sizes or offsets outside the media data")
		}
	}()
	return frag.GetFullSamples(trex)
}

func (d *mp4Demuxer) nextFragmented() (tickSample, error) {
	for len(d.queue) == 0 {
		if err := d.readFragment(); err != nil {
			return tickSample{}, err
		}
	}
	s := d.queue[0]
	d.queue = d.queue[1:]
	return s, nil
}

// fragmentRate is the nominal frame rate from the queued samples' durations.
func (d *mp4Demuxer) fragmentRate() float64 {
	counts := map[uint32]int{}
	for _, s := range d.queue {
		counts[s.dur]++
	}
	return d.nominalRate(counts)
}
