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

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// Playlists are decoded with grafov/m3u8. gohlslib's decoder (the other candidate) reads Apple's
// masters without error but keeps neither VIDEO-RANGE nor the I-frame playlists, both of which
// the variant choice must see; m3u8 keeps them, ignores unknown tags and attributes in its
// non-strict mode, and reads BYTERANGE on EXT-X-MAP.

// HLSChoice is what an HLS input offered and what was read: every variant of a master and
// the one chosen, and the media playlist.
type HLSChoice struct {
	Master   string    // the master's URL; "" when the input was a media playlist
	Variants []Variant // every variant of the master, I-frame playlists included
	Chosen   int       // index in Variants; -1 when the input was a media playlist
	Reason   string    // why the chosen variant was taken (see ChooseVariant)
	Media    string    // the media playlist's URL

	mediaName string        // the media playlist's as messages show it
	duration  time.Duration // of the whole media playlist
}

// openHLS reads a playlist (master or media) from in, which it closes, and opens the stream of
// its media: the init section and the segments up to the duration limit, as one stream.
func openHLS(ctx context.Context, f *fetch.Fetcher, in *fetch.Stream, opts OpenOptions) (*fetch.Stream, *HLSChoice, error) {
	choice := &HLSChoice{Chosen: -1}
	pl, listType, err := readPlaylist(in, in.Name())
	loc, name := in.URL(), in.Name()
	in.Close()
	if err != nil {
		return nil, nil, err
	}
	if listType == m3u8.MASTER {
		master := pl.(*m3u8.MasterPlaylist)
		choice.Master = fetch.DisplayName(loc)
		choice.Variants = masterVariants(master)
		if len(choice.Variants) > MaxVariants {
			return nil, nil, fmt.Errorf("%w: hls: %s: %d variants, more than %d", ErrUnsupported, name, len(choice.Variants), MaxVariants)
		}
		i, reason, err := ChooseVariant(choice.Variants, opts.OutputSize)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		choice.Chosen, choice.Reason = i, reason
		if pl, loc, err = readVariant(ctx, f, loc, i, choice.Variants[i]); err != nil {
			return nil, nil, err
		}
	}
	choice.Media, choice.mediaName = fetch.DisplayName(loc), fetch.Redact(loc)
	media := pl.(*m3u8.MediaPlaylist)
	pieces, total, err := mediaPieces(media, loc, opts.MaxDuration)
	if err != nil {
		return nil, nil, fmt.Errorf("hls: %s: %w", choice.mediaName, err)
	}
	choice.duration = total
	// Every location is checked before the first request: a refused entry stops the source
	// before anything is fetched from any of them.
	checked := map[string]bool{}
	for _, p := range pieces {
		if s := p.URL.String(); !checked[s] && p.URL.Scheme != "file" {
			checked[s] = true
			if err := f.Check(ctx, p.URL); err != nil {
				return nil, nil, fmt.Errorf("hls: %s: segment: %w", choice.mediaName, err)
			}
		}
	}
	return f.OpenPieces(ctx, pieces), choice, nil
}

// readVariant reads the media playlist of variant i of the master at loc, and returns it with
// its location.
func readVariant(ctx context.Context, f *fetch.Fetcher, master *url.URL, i int, v Variant) (*m3u8.MediaPlaylist, *url.URL, error) {
	name := fetch.Redact(master)
	vloc, err := fetch.Resolve(master, v.URI)
	if err != nil {
		return nil, nil, fmt.Errorf("hls: %s: variant %d: %w", name, i, err)
	}
	in, err := f.Open(ctx, vloc)
	if err != nil {
		return nil, nil, fmt.Errorf("hls: variant %d: %w", i, err)
	}
	defer in.Close()
	if k, err := sniff(in); err != nil || k != kindHLS {
		return nil, nil, fmt.Errorf("%w: hls: variant %d: %s is not a playlist", ErrUnsupported, i, in.Name())
	}
	pl, listType, err := readPlaylist(in, in.Name())
	if err != nil {
		return nil, nil, fmt.Errorf("hls: variant %d: %w", i, err)
	}
	if listType != m3u8.MEDIA {
		// RFC 8216 section 4.3.4.2: the URI of a variant names a media playlist.
		return nil, nil, fmt.Errorf("%w: hls: variant %d: %s is a master playlist, not a media playlist", ErrUnsupported, i, in.Name())
	}
	return pl.(*m3u8.MediaPlaylist), in.URL(), nil
}

// readPlaylist reads and decodes a whole playlist of at most MaxPlaylistSize bytes from r;
// name is r's resource as messages show it.
func readPlaylist(r io.Reader, name string) (pl m3u8.Playlist, lt m3u8.ListType, err error) {
	buf, err := io.ReadAll(io.LimitReader(r, MaxPlaylistSize+1))
	if err != nil {
		return nil, 0, err
	}
	if len(buf) > MaxPlaylistSize {
		return nil, 0, fmt.Errorf("%w: hls: %s: playlist larger than %d bytes", ErrUnsupported, name, MaxPlaylistSize)
	}
	defer func() {
		// The decoder is not written for hostile input; a playlist that trips it is invalid.
		if r := recover(); r != nil {
			pl, lt, err = nil, 0, fmt.Errorf("%w: hls: %s: malformed playlist", ErrInvalid, name)
		}
	}()
	pl, lt, err = m3u8.DecodeFrom(bytes.NewReader(buf), false)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: hls: %s: %v", ErrInvalid, name, err)
	}
	switch p := pl.(type) {
	case *m3u8.MasterPlaylist:
		if p == nil || len(p.Variants) == 0 {
			return nil, 0, fmt.Errorf("%w: hls: %s: master playlist without variants", ErrInvalid, name)
		}
	case *m3u8.MediaPlaylist:
		if p == nil {
			return nil, 0, fmt.Errorf("%w: hls: %s: empty playlist", ErrInvalid, name)
		}
	default:
		return nil, 0, fmt.Errorf("%w: hls: %s: not a playlist", ErrInvalid, name)
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
func mediaPieces(media *m3u8.MediaPlaylist, base *url.URL, maxDuration time.Duration) ([]fetch.Piece, time.Duration, error) {
	if media.Key != nil && media.Key.Method != "" && media.Key.Method != "NONE" {
		return nil, 0, fmt.Errorf("%w: encrypted segments (%s)", ErrUnsupported, media.Key.Method)
	}
	var pieces []fetch.Piece
	var initLoc string
	addMap := func(m *m3u8.Map) error {
		if m == nil || m.URI == "" {
			return nil
		}
		p, err := rangePiece(base, m.URI, m.Limit, m.Offset)
		if err != nil {
			return fmt.Errorf("EXT-X-MAP: %w", err)
		}
		if key := fmt.Sprint(p.URL, p.Offset, p.Length); key != initLoc {
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
	var prev *fetch.Piece
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
		if seg.Limit > 0 && off == 0 && prev != nil && prev.Length >= 0 && strings.TrimSpace(seg.URI) != "" {
			if loc, err := fetch.Resolve(base, seg.URI); err == nil && loc.String() == prev.URL.String() {
				off = prev.End()
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
func rangePiece(base *url.URL, uri string, limit, offset int64) (fetch.Piece, error) {
	if strings.TrimSpace(uri) == "" {
		return fetch.Piece{}, fmt.Errorf("%w: empty URI", ErrInvalid)
	}
	loc, err := fetch.Resolve(base, uri)
	if err != nil {
		return fetch.Piece{}, err
	}
	if limit < 0 || offset < 0 || offset > math.MaxInt64-limit {
		return fetch.Piece{}, fmt.Errorf("%w: byte range %d@%d", ErrInvalid, limit, offset)
	}
	if limit == 0 {
		return fetch.Piece{URL: loc, Length: -1}, nil
	}
	return fetch.Piece{URL: loc, Offset: offset, Length: limit}, nil
}
