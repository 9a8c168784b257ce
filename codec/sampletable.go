package codec

import (
	"fmt"
	"io"
	"math"

	"github.com/Eyevinn/mp4ff/mp4"
)

// readSampleTable expands the sample table of a progressive track (ISO/IEC 14496-12 section
// 8.6.1.2 stts, 8.6.1.3 ctts, 8.7.3 stsz, 8.7.4 stsc, 8.7.5 stco/co64) into one entry per sample,
// in decoding order. mp4ff's per-sample lookups search the run-length tables from the start
// each time; one pass over them is linear.
func (d *mp4Demuxer) readSampleTable(stbl *mp4.StblBox) error {
	name := d.in.Name()
	if stbl.Stsz == nil || stbl.Stts == nil || stbl.Stsc == nil || (stbl.Stco == nil && stbl.Co64 == nil) {
		return fmt.Errorf("%w: mp4: %s: track %d has an incomplete sample table", ErrInvalid, name, d.trackID)
	}
	n := int(stbl.Stsz.SampleNumber)
	if n > MaxSamples {
		return fmt.Errorf("%w: mp4: %s: %d samples, more than %d", ErrUnsupported, name, n, MaxSamples)
	}
	if n == 0 {
		return fmt.Errorf("%w: mp4: %s: track %d has no samples", ErrInvalid, name, d.trackID)
	}
	uniform := stbl.Stsz.SampleUniformSize
	if uniform == 0 && len(stbl.Stsz.SampleSize) < n {
		return fmt.Errorf("%w: mp4: %s: stsz lists %d sizes for %d samples", ErrInvalid, name, len(stbl.Stsz.SampleSize), n)
	}
	var chunks []int64
	if stbl.Co64 != nil {
		for _, o := range stbl.Co64.ChunkOffset {
			if o > math.MaxInt64 {
				return fmt.Errorf("%w: mp4: %s: chunk offset %d", ErrInvalid, name, o)
			}
			chunks = append(chunks, int64(o))
		}
	} else {
		for _, o := range stbl.Stco.ChunkOffset {
			chunks = append(chunks, int64(o))
		}
	}
	table := make([]tableSample, 0, n)

	// stsc: runs of chunks with the same number of samples.
	entries := stbl.Stsc.Entries
	for e := 0; e < len(entries) && len(table) < n; e++ {
		first := int(entries[e].FirstChunk)
		last := len(chunks) // one past the last chunk (1-based) of this run
		if e+1 < len(entries) {
			last = int(entries[e+1].FirstChunk) - 1
		}
		if first < 1 || last > len(chunks) || (e+1 < len(entries) && last < first) {
			return fmt.Errorf("%w: mp4: %s: stsc entry %d names chunks %d to %d of %d", ErrInvalid, name, e, first, last, len(chunks))
		}
		per := int(entries[e].SamplesPerChunk)
		for c := first; c <= last && len(table) < n; c++ {
			off := chunks[c-1]
			for k := 0; k < per && len(table) < n; k++ {
				size := uniform
				if size == 0 {
					size = stbl.Stsz.SampleSize[len(table)]
				}
				if size > MaxSampleSize {
					return fmt.Errorf("%w: mp4: %s: sample %d of %d bytes is over the limit of %d", ErrInvalid, name, len(table)+1, size, MaxSampleSize)
				}
				table = append(table, tableSample{off: off, size: size})
				off += int64(size)
			}
		}
	}
	if len(table) < n {
		return fmt.Errorf("%w: mp4: %s: chunks hold %d of %d samples", ErrInvalid, name, len(table), n)
	}

	// stts: runs of decoding time deltas.
	var dts int64
	i := 0
	for e := 0; e < len(stbl.Stts.SampleCount) && e < len(stbl.Stts.SampleTimeDelta) && i < n; e++ {
		delta := stbl.Stts.SampleTimeDelta[e]
		for k := uint32(0); k < stbl.Stts.SampleCount[e] && i < n; k++ {
			table[i].dts, table[i].dur = dts, delta
			dts += int64(delta)
			i++
		}
	}
	if i < n {
		return fmt.Errorf("%w: mp4: %s: stts times %d of %d samples", ErrInvalid, name, i, n)
	}

	// ctts: composition offsets. mp4ff keeps them as cumulative run ends with a leading 0.
	if c := stbl.Ctts; c != nil {
		if len(c.EndSampleNr) < 1 || len(c.SampleOffset) != len(c.EndSampleNr)-1 {
			return fmt.Errorf("%w: mp4: %s: malformed ctts", ErrInvalid, name)
		}
		last := c.EndSampleNr[len(c.EndSampleNr)-1]
		for i := range table {
			if nr := uint32(i + 1); nr <= last {
				table[i].cto = c.GetCompositionTimeOffset(nr)
			}
		}
	}

	d.table = table
	d.shift = math.MaxInt64
	deltas := map[uint32]int{}
	for _, s := range table {
		d.shift = min(d.shift, s.dts+int64(s.cto))
		deltas[s.dur]++
	}
	d.shiftSet = true
	d.info.Frames = n
	d.info.Duration = ticks(dts, d.timescale)
	d.info.FrameRate = d.nominalRate(deltas)
	return nil
}

// nominalRate is the frame rate the stream was made at: the SPS's timing (Annex E.2.1) when
// it gives a plausible one, as a variable-rate stream's durations do not; else the most common
// sample duration.
func (d *mp4Demuxer) nominalRate(durations map[uint32]int) float64 {
	if sps, _ := d.track.streamInfo(); sps.FrameRate > 0 && sps.FrameRate <= 300 {
		return sps.FrameRate
	}
	if best := mostCommon(durations); best > 0 {
		return float64(d.timescale) / float64(best)
	}
	return 0
}

// mostCommon is the most frequent sample duration: the nominal frame duration of a stream
// whose last frame or a few others differ.
func mostCommon(counts map[uint32]int) uint32 {
	var best uint32
	for v, c := range counts {
		if v > 0 && (c > counts[best] || (c == counts[best] && v < best) || best == 0) {
			best = v
		}
	}
	return best
}

// nextProgressive reads the next sample where the table says it is.
func (d *mp4Demuxer) nextProgressive() (tickSample, error) {
	if d.next >= len(d.table) {
		return tickSample{}, io.EOF
	}
	e := d.table[d.next]
	d.next++
	data, err := d.in.ReadAt(e.off, int(e.size))
	if err != nil {
		return tickSample{}, fmt.Errorf("mp4: sample %d: %w", d.next, err)
	}
	s, err := d.track.accessUnitMP4(data)
	if err != nil {
		return tickSample{}, fmt.Errorf("mp4: %s: sample %d: %w", d.in.Name(), d.next, err)
	}
	return tickSample{Sample: s, dts: e.dts, pts: e.dts + int64(e.cto), dur: e.dur}, nil
}
