package codec

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafov/m3u8"

	"github.com/musicpresence/animated-album-covers/codec/fetch"
)

// TestPlaylistsParse decodes the Apple-like examples and the fixtures' playlists: unknown
// attributes (_AVG-BANDWIDTH, STABLE-VARIANT-ID), I-frame lines, VIDEO-RANGE, BYTERANGE on the
// map, and picks the variant the examples' README names.
func TestPlaylistsParse(t *testing.T) {
	tests := []struct {
		file           string
		variants       int // of a master, I-frame playlists included
		iframes, hdr   int
		chosen         string // for an 80 px output
		segments       int    // of a media playlist
		spans          int    // runs of adjacent byte ranges: the requests its pieces take
		mapOff, mapLen int64
	}{
		{file: "/work/shared/examples/apple-like-master.m3u8", variants: 10, iframes: 2, hdr: 1, chosen: "P000_Anull_video_gr203_sdr_360x360.m3u8"},
		{file: "/work/shared/examples/apple-like-media.m3u8", segments: 3, spans: 1, mapOff: 0, mapLen: 985},
		{file: fixtures + "/hls/master.m3u8", variants: 7, iframes: 1, hdr: 1, chosen: "video_sdr_160x160.m3u8"},
		{file: fixtures + "/hls/master-ts.m3u8", variants: 1, chosen: "video_ts_200x200.m3u8"},
		{file: fixtures + "/hls/video_sdr_160x160.m3u8", segments: 4, spans: 1, mapLen: 825},
		{file: fixtures + "/hls/video_sdr_480x480.m3u8", segments: 4, spans: 1, mapLen: 826},
		{file: fixtures + "/hls/video_hevc_160x160.m3u8", segments: 1, spans: 1, mapLen: 3215},
		{file: fixtures + "/hls/video_ts_200x200.m3u8", segments: 4, spans: 4},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			buf, err := os.ReadFile(tt.file)
			if err != nil {
				t.Skip(err)
			}
			pl, lt, err := m3u8.DecodeFrom(bytes.NewReader(buf), false)
			if err != nil {
				t.Fatal(err)
			}
			if tt.variants > 0 {
				if lt != m3u8.MASTER {
					t.Fatalf("list type %v, want master", lt)
				}
				vs := masterVariants(pl.(*m3u8.MasterPlaylist))
				iframes, hdr := 0, 0
				for _, v := range vs {
					if v.IFrameOnly {
						iframes++
					}
					if !v.sdr() {
						hdr++
					}
				}
				if len(vs) != tt.variants || iframes != tt.iframes || hdr != tt.hdr {
					t.Errorf("%d variants, %d I-frame, %d HDR; want %d, %d, %d", len(vs), iframes, hdr, tt.variants, tt.iframes, tt.hdr)
				}
				i, _, err := ChooseVariant(vs, 80)
				if err != nil || vs[i].URI != tt.chosen {
					t.Errorf("ChooseVariant = %d (%+v), %v; want %s", i, vs[max(i, 0)], err, tt.chosen)
				}
				return
			}
			if lt != m3u8.MEDIA {
				t.Fatalf("list type %v, want media", lt)
			}
			base := &url.URL{Scheme: "https", Host: "origin.example", Path: "/v/p.m3u8"}
			pieces, total, err := mediaPieces(pl.(*m3u8.MediaPlaylist), base, 0)
			if err != nil {
				t.Fatal(err)
			}
			wantPieces := tt.segments
			if tt.mapLen > 0 {
				wantPieces++
				if pieces[0].Offset != tt.mapOff || pieces[0].Length != tt.mapLen {
					t.Errorf("init section %d@%d, want %d@%d", pieces[0].Length, pieces[0].Offset, tt.mapLen, tt.mapOff)
				}
			}
			if len(pieces) != wantPieces {
				t.Errorf("%d pieces, want %d", len(pieces), wantPieces)
			}
			if runs := adjacentRuns(pieces); runs != tt.spans {
				t.Errorf("%d runs of adjacent byte ranges, want %d", runs, tt.spans)
			}
			if total <= 0 {
				t.Errorf("duration %v", total)
			}
			if !strings.HasPrefix(pieces[0].URL.String(), "https://origin.example/v/") {
				t.Errorf("entry resolved to %s", pieces[0].URL)
			}
		})
	}
}

// adjacentRuns counts the runs of pieces that are adjacent byte ranges of one resource, each of
// which fetch reads with one request (TestOpenHLS counts the requests themselves).
func adjacentRuns(pieces []fetch.Piece) int {
	n := 0
	for i, p := range pieces {
		if i == 0 || p.Length < 0 || pieces[i-1].Length < 0 || p.URL.String() != pieces[i-1].URL.String() || p.Offset != pieces[i-1].End() {
			n++
		}
	}
	return n
}

// TestOpenHLS reads the fixtures' playlists over HTTP and from files, and checks the samples
// against FFmpeg's, the variant chosen, and that the single-file byte ranges took one request.
func TestOpenHLS(t *testing.T) {
	tests := []struct {
		input     string
		expected  string
		container string
		profile   string
		size      int
		urlSuffix string // of StreamInfo.URL
		media     string // the one media file whose requests are counted ("" for TS)
	}{
		{"master.m3u8", "video_sdr_160x160", "hls-fmp4", "High", 160, "/video_sdr_160x160-.mp4", "/video_sdr_160x160-.mp4"},
		{"video_sdr_160x160.m3u8", "video_sdr_160x160", "hls-fmp4", "High", 160, "/video_sdr_160x160-.mp4", "/video_sdr_160x160-.mp4"},
		{"master-ts.m3u8", "video_ts_200x200", "hls-ts", "Main", 200, "/video_ts_200x200_0.ts", ""},
		{"video_ts_200x200.m3u8", "video_ts_200x200", "hls-ts", "Main", 200, "/video_ts_200x200_0.ts", ""},
	}
	for _, tt := range tests {
		want := readFramemd5(t, tt.expected)
		for _, via := range []string{"http", "file"} {
			t.Run(tt.input+"/"+via, func(t *testing.T) {
				o := newOrigin(t, filepath.Join(fixtures, "hls"))
				input := o.URL + "/" + tt.input
				if via == "file" {
					input = filepath.Join(fixtures, "hls", tt.input)
				}
				src := openT(t, input, OpenOptions{})
				info := src.Info()
				if info.Container != tt.container || info.Profile != tt.profile || info.Width != tt.size || info.Height != tt.size || info.FrameRate != 30 {
					t.Errorf("info %+v", info)
				}
				if info.Duration != 4*time.Second {
					t.Errorf("duration %v, want 4s", info.Duration)
				}
				if !strings.HasSuffix(filepath.ToSlash(info.URL), tt.urlSuffix) {
					t.Errorf("URL %q, want …%s", info.URL, tt.urlSuffix)
				}
				checkSamples(t, readAll(t, src), want, true)
				if via == "http" && tt.media != "" {
					if n, _ := o.count(tt.media); n != 1 {
						t.Errorf("%s: %d requests, want 1 for the init section and every segment", tt.media, n)
					}
				}
			})
		}
	}
}

// TestOpenHLSMaxDuration stops at the duration limit: samples end there and segments after
// it are never fetched.
func TestOpenHLSMaxDuration(t *testing.T) {
	o := newOrigin(t, filepath.Join(fixtures, "hls"))
	src := openT(t, o.URL+"/video_ts_200x200.m3u8", OpenOptions{MaxDuration: 1500 * time.Millisecond})
	samples := readAll(t, src)
	for _, s := range samples {
		if s.DTS >= 1500*time.Millisecond {
			t.Fatalf("sample at DTS %v past the limit", s.DTS)
		}
	}
	shown := 0
	for _, s := range samples {
		if s.PTS < 1500*time.Millisecond {
			shown++
		}
	}
	// Every picture shown before the limit, and at most the reordering depth more.
	if shown != 45 || len(samples) > 45+3 {
		t.Errorf("%d samples, %d shown before 1.5 s; want 45 shown", len(samples), shown)
	}
	if n, _ := o.count("/video_ts_200x200_3.ts"); n != 0 {
		t.Errorf("segment 3 (from 3 s) fetched %d times", n)
	}
}
