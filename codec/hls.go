package codec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/grafov/m3u8"
)

// Playlists are decoded with grafov/m3u8. gohlslib's decoder (the other candidate) reads Apple's
// masters without error but keeps neither VIDEO-RANGE nor the I-frame playlists, both of which
// the variant choice must see; m3u8 keeps them, ignores unknown tags and attributes in its
// non-strict mode, and reads BYTERANGE on EXT-X-MAP.

// hlsChoice is what a master playlist offered and what was taken, for Probe.
type hlsChoice struct {
	master   string    // the master's URL
	variants []Variant // every variant, I-frame playlists included
	chosen   int       // index in variants; -1 when the input was a media playlist
	reason   string    // why the chosen variant was taken
	media    string    // the media playlist's URL
}

// openHLS reads a playlist (master or media) from in and opens its media.
func openHLS(ctx context.Context, f *fetcher, in *mediaStream, opts OpenOptions) (Source, *hlsChoice, error) {
	choice := &hlsChoice{chosen: -1}
	pl, listType, err := readPlaylist(in)
	if err != nil {
		return nil, nil, err
	}
	loc := in.loc
	in.Close()
	if listType == m3u8.MASTER {
		master := pl.(*m3u8.MasterPlaylist)
		choice.master = displayName(loc)
		choice.variants = masterVariants(master)
		if len(choice.variants) > MaxVariants {
			return nil, nil, fmt.Errorf("%w: hls: %s: %d variants, more than %d", ErrUnsupported, in.name, len(choice.variants), MaxVariants)
		}
		i, reason, err := ChooseVariant(choice.variants, opts.OutputSize)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", in.name, err)
		}
		choice.chosen, choice.reason = i, reason
		v := choice.variants[i]
		vloc, err := resolve(loc, v.URI)
		if err != nil {
			return nil, nil, fmt.Errorf("hls: %s: variant %d: %w", in.name, i, err)
		}
		b, err := f.open(ctx, vloc, 0, -1)
		if err != nil {
			return nil, nil, fmt.Errorf("hls: variant %d: %w", i, err)
		}
		vin := newBodyStream(ctx, f, b)
		defer vin.Close()
		if k, err := sniff(vin.r); err != nil || k != kindHLS {
			return nil, nil, fmt.Errorf("%w: hls: variant %d: %s is not a playlist", ErrUnsupported, i, vin.name)
		}
		pl, listType, err = readPlaylist(vin)
		if err != nil {
			return nil, nil, fmt.Errorf("hls: variant %d: %w", i, err)
		}
		if listType != m3u8.MEDIA {
			// RFC 8216 section 4.3.4.2: the URI of a variant names a media playlist.
			return nil, nil, fmt.Errorf("%w: hls: variant %d: %s is a master playlist, not a media playlist", ErrUnsupported, i, vin.name)
		}
		loc = vin.loc
	}
	choice.media = displayName(loc)
	media := pl.(*m3u8.MediaPlaylist)
	pieces, total, err := mediaPieces(media, loc, opts.MaxDuration)
	if err != nil {
		return nil, nil, fmt.Errorf("hls: %s: %w", redact(loc), err)
	}
	// Every location is checked before the first request: a refused entry stops the source
	// before anything is fetched from any of them.
	checked := map[string]bool{}
	for _, p := range pieces {
		if s := p.loc.String(); !checked[s] && p.loc.Scheme != "file" {
			checked[s] = true
			if err := f.check(ctx, p.loc); err != nil {
				return nil, nil, fmt.Errorf("hls: %s: segment: %w", redact(loc), err)
			}
		}
	}
	pr := newPieceReader(ctx, f, pieces)
	stream := newPieceStream(ctx, f, pr, redact(pieces[0].loc))
	k, err := sniff(stream.r)
	if err != nil {
		stream.Close()
		return nil, nil, fmt.Errorf("hls: %s: first segment: %w", redact(loc), err)
	}
	var src Source
	var info *StreamInfo
	switch k {
	case kindMP4:
		var d *mp4Demuxer
		if d, err = openMP4(stream, "hls-fmp4"); err == nil {
			src, info = d, &d.info
		}
	case kindTS:
		var d *tsDemuxer
		if d, err = openTS(stream, "hls-ts"); err == nil {
			src, info = d, &d.info
		}
	default:
		err = fmt.Errorf("%w: hls: %s: segments are %s, not MP4 or MPEG-TS", ErrUnsupported, redact(loc), k)
	}
	if err != nil {
		stream.Close()
		return nil, nil, err
	}
	info.Container = map[kind]string{kindMP4: "hls-fmp4", kindTS: "hls-ts"}[k]
	info.Duration = total
	info.Frames = 0
	if u := pr.firstURL(); u != nil {
		info.URL = displayName(u)
	}
	if info.FrameRate == 0 && choice.chosen >= 0 {
		info.FrameRate = choice.variants[choice.chosen].FrameRate
	}
	return src, choice, nil
}

// readPlaylist reads and decodes a whole playlist of at most MaxPlaylistSize bytes.
func readPlaylist(in *mediaStream) (pl m3u8.Playlist, lt m3u8.ListType, err error) {
	buf, err := io.ReadAll(io.LimitReader(in, MaxPlaylistSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(buf) > MaxPlaylistSize {
		return nil, 0, fmt.Errorf("%w: hls: %s: playlist larger than %d bytes", ErrUnsupported, in.name, MaxPlaylistSize)
	}
	defer func() {
		// The decoder is not written for hostile input; a playlist that trips it is invalid.
		if r := recover(); r != nil {
			pl, lt, err = nil, 0, fmt.Errorf("%w: hls: %s: malformed playlist", ErrInvalid, in.name)
		}
	}()
	pl, lt, err = m3u8.DecodeFrom(bytes.NewReader(buf), false)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: hls: %s: %v", ErrInvalid, in.name, err)
	}
	switch p := pl.(type) {
	case *m3u8.MasterPlaylist:
		if p == nil || len(p.Variants) == 0 {
			return nil, 0, fmt.Errorf("%w: hls: %s: master playlist without variants", ErrInvalid, in.name)
		}
	case *m3u8.MediaPlaylist:
		if p == nil {
			return nil, 0, fmt.Errorf("%w: hls: %s: empty playlist", ErrInvalid, in.name)
		}
	default:
		return nil, 0, fmt.Errorf("%w: hls: %s: not a playlist", ErrInvalid, in.name)
	}
	return pl, lt, nil
}

// masterVariants lists a master's variants as Variants.
func masterVariants(master *m3u8.MasterPlaylist) []Variant {
	var out []Variant
	for _, v := range master.Variants {
		if v == nil {
			continue
		}
		w, h := parseResolution(v.Resolution)
		out = append(out, Variant{
			URI:              v.URI,
			Bandwidth:        int(v.Bandwidth),
			AverageBandwidth: int(v.AverageBandwidth),
			Codecs:           v.Codecs,
			Width:            w,
			Height:           h,
			FrameRate:        v.FrameRate,
			VideoRange:       v.VideoRange,
			IFrameOnly:       v.Iframe,
		})
	}
	return out
}

// mediaPieces lists what to read of a media playlist: its init section, then its segments up
// to maxDuration (RFC 8216 section 4.3.2.1 EXTINF). A playlist without EXT-X-ENDLIST is read as
// far as it goes then, never reloaded. It also returns the playlist's whole duration.
func mediaPieces(media *m3u8.MediaPlaylist, base *url.URL, maxDuration time.Duration) ([]piece, time.Duration, error) {
	if media.Key != nil && media.Key.Method != "" && media.Key.Method != "NONE" {
		return nil, 0, fmt.Errorf("%w: encrypted segments (%s)", ErrUnsupported, media.Key.Method)
	}
	var pieces []piece
	var initLoc string
	addMap := func(m *m3u8.Map) error {
		if m == nil || m.URI == "" {
			return nil
		}
		p, err := rangePiece(base, m.URI, m.Limit, m.Offset)
		if err != nil {
			return fmt.Errorf("EXT-X-MAP: %w", err)
		}
		if key := fmt.Sprint(p.loc, p.off, p.n); key != initLoc {
			initLoc = key
			pieces = append(pieces, p)
		}
		return nil
	}
	if err := addMap(media.Map); err != nil {
		return nil, 0, err
	}
	var elapsed, total float64
	segments := 0
	var prev *piece
	for i, seg := range media.Segments {
		if seg == nil {
			continue // m3u8 keeps spare capacity as nil entries
		}
		if seg.Duration < 0 || math.IsNaN(seg.Duration) || seg.Duration > 24*3600 {
			return nil, 0, fmt.Errorf("%w: segment %d: duration %v", ErrInvalid, i, seg.Duration)
		}
		total += seg.Duration
		if segments >= MaxSegments || (maxDuration > 0 && elapsed >= maxDuration.Seconds()) {
			continue
		}
		if seg.Key != nil && seg.Key.Method != "" && seg.Key.Method != "NONE" {
			return nil, 0, fmt.Errorf("%w: segment %d: encrypted (%s)", ErrUnsupported, i, seg.Key.Method)
		}
		if err := addMap(seg.Map); err != nil {
			return nil, 0, err
		}
		off := seg.Offset
		// RFC 8216 section 4.3.2.2: a BYTERANGE without an offset starts where the previous
		// range of the same resource ended (m3u8 reports such an offset as 0).
		if seg.Limit > 0 && off == 0 && prev != nil && prev.n >= 0 && strings.TrimSpace(seg.URI) != "" {
			if loc, err := resolve(base, seg.URI); err == nil && loc.String() == prev.loc.String() {
				off = prev.end()
			}
		}
		p, err := rangePiece(base, seg.URI, seg.Limit, off)
		if err != nil {
			return nil, 0, fmt.Errorf("segment %d: %w", i, err)
		}
		pieces = append(pieces, p)
		prev = &p
		elapsed += seg.Duration
		segments++
	}
	if segments == 0 {
		return nil, 0, fmt.Errorf("%w: no segments", ErrInvalid)
	}
	return pieces, time.Duration(total * float64(time.Second)), nil
}

// rangePiece makes the piece of an entry: a byte range when it has one, else the whole resource.
func rangePiece(base *url.URL, uri string, limit, offset int64) (piece, error) {
	if strings.TrimSpace(uri) == "" {
		return piece{}, fmt.Errorf("%w: empty URI", ErrInvalid)
	}
	loc, err := resolve(base, uri)
	if err != nil {
		return piece{}, err
	}
	if limit < 0 || offset < 0 || offset > math.MaxInt64-limit {
		return piece{}, fmt.Errorf("%w: byte range %d@%d", ErrInvalid, limit, offset)
	}
	if limit == 0 {
		return piece{loc: loc, n: -1}, nil
	}
	return piece{loc: loc, off: offset, n: limit}, nil
}
