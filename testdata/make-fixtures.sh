#!/usr/bin/env bash
# Makes the committed test fixtures from synthetic sources with Debian's ffmpeg and x264, and
# writes the numbers tests compare against (expected.json) from FFmpeg's own decoder, so that
# tests never need ffmpeg. Run from anywhere: `make fixtures` or testdata/make-fixtures.sh.
# Everything made here is small (a few MB in all); rerunning remakes it all.
set -euo pipefail
cd "$(dirname "$0")"
command -v ffmpeg >/dev/null || { echo "make-fixtures: needs ffmpeg (scripts/install-deps.sh fixtures)" >&2; exit 1; }

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
rm -rf media hls broken
mkdir -p media hls broken

# A source with detail, motion and some grain, like a real cover: testsrc2 over a moving
# mandelbrot, plus temporal noise.
src() { # src SIZE RATE SECONDS
  echo "mandelbrot=size=$1:rate=$2,format=yuv420p[m];testsrc2=size=$1:rate=$2,format=yuv420p[t];[m][t]blend=all_mode=average,noise=alls=6:allf=t,trim=duration=$3"
}
x264() { # x264 PROFILE [extra x264 args…]: options as TIDAL/Apple-like encodes (CRF, b-pyramid)
  local profile=$1; shift
  echo -c:v libx264 -profile:v "$profile" -pix_fmt yuv420p -preset medium -crf 26 "$@"
}

# --- progressive MP4 ---------------------------------------------------------------------------
# High, B-frames with b-pyramid, 3 IDRs, moov at the front (decode while downloading) and at the end.
ff -f lavfi -i "$(src 320x320 30 3)" $(x264 high -g 30 -keyint_min 30 -sc_threshold 0 -bf 3 -x264-params b-pyramid=normal) -movflags +faststart media/high-bframes-320x320-30fps.mp4
ff -f lavfi -i "$(src 320x320 30 3)" $(x264 high -g 30 -keyint_min 30 -sc_threshold 0 -bf 3 -x264-params b-pyramid=normal) media/high-bframes-320x320-30fps-moov-end.mp4
# Small High B-frame stream whose FFmpeg decode is committed (gzipped Y4M) for PSNR tests.
ff -f lavfi -i "$(src 128x128 30 2)" $(x264 high -g 30 -bf 3 -x264-params b-pyramid=normal) -movflags +faststart media/high-bframes-128x128-30fps.mp4
# Main, non-square odd size (SPS cropping), 24 fps.
ff -f lavfi -i "$(src 250x142 24 2)" $(x264 main -g 24 -bf 2) -movflags +faststart media/main-250x142-24fps.mp4
# Baseline (no B-frames), 60 fps.
ff -f lavfi -i "$(src 160x160 60 2)" $(x264 baseline -g 60) -movflags +faststart media/baseline-160x160-60fps.mp4
# Variable frame rate: frame times stretch as the clip goes on.
ff -f lavfi -i "$(src 160x160 30 2)" -vf "setpts='N/30/TB+N*N/3000/TB'" -fps_mode vfr $(x264 high -bf 0 -g 30) -movflags +faststart media/vfr-160x160.mp4
# TIDAL-like square High at 1280 would be too large to commit; the bench makes those.

# --- fragmented MP4: one file with sidx, moof/mdat per second, like Apple's single-file layout ---
ff -f lavfi -i "$(src 320x320 30 3)" $(x264 high -g 30 -keyint_min 30 -sc_threshold 0 -bf 3) \
  -movflags +frag_keyframe+empty_moov+default_base_moof+global_sidx media/fragmented-320x320-30fps.mp4

# --- HLS: an Apple-like master over byte-range fMP4 media playlists, plus an MPEG-TS variant ----
hls_fmp4() { # hls_fmp4 NAME SIZE
  ff -f lavfi -i "$(src "$2" 30 4)" $(x264 high -g 30 -keyint_min 30 -sc_threshold 0 -bf 3) \
    -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type fmp4 -hls_flags single_file \
    -hls_segment_filename "hls/$1-.mp4" "hls/$1.m3u8"
}
hls_fmp4 video_sdr_160x160 160x160
hls_fmp4 video_sdr_240x240 240x240
hls_fmp4 video_sdr_480x480 480x480
ff -f lavfi -i "$(src 160x160 30 4)" -c:v libx265 -preset fast -x265-params log-level=error -tag:v hvc1 \
  -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type fmp4 -hls_flags single_file \
  -hls_segment_filename "hls/video_hevc_160x160-.mp4" hls/video_hevc_160x160.m3u8
ff -f lavfi -i "$(src 200x200 30 4)" $(x264 main -g 30 -bf 2) \
  -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type mpegts \
  -hls_segment_filename "hls/video_ts_200x200_%d.ts" hls/video_ts_200x200.m3u8

cat > hls/master.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS

#EXT-X-I-FRAME-STREAM-INF:AVERAGE-BANDWIDTH=90000,_AVG-BANDWIDTH=90000,BANDWIDTH=100000,VIDEO-RANGE=SDR,CODECS="avc1.64000d",RESOLUTION=160x160,URI="video_sdr_160x160.m3u8"

#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=900000,_AVG-BANDWIDTH=900000,BANDWIDTH=1200000,VIDEO-RANGE=PQ,CLOSED-CAPTIONS=NONE,CODECS="hvc1.2.20000000.L153.B0",FRAME-RATE=30.000,RESOLUTION=480x480,STABLE-VARIANT-ID="a9c1"
video_hevc_160x160.m3u8
#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=800000,_AVG-BANDWIDTH=800000,BANDWIDTH=1000000,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE,CODECS="avc1.640015",FRAME-RATE=30.000,RESOLUTION=480x480,STABLE-VARIANT-ID="5e02"
video_sdr_480x480.m3u8
#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=300000,_AVG-BANDWIDTH=300000,BANDWIDTH=400000,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE,CODECS="hvc1.2.4.L90.B0",FRAME-RATE=30.000,RESOLUTION=160x160,STABLE-VARIANT-ID="e611"
video_hevc_160x160.m3u8
#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=250000,_AVG-BANDWIDTH=250000,BANDWIDTH=330000,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE,CODECS="avc1.64000d",FRAME-RATE=30.000,RESOLUTION=160x160,STABLE-VARIANT-ID="d0f6"
video_sdr_160x160.m3u8
#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=400000,_AVG-BANDWIDTH=400000,BANDWIDTH=520000,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE,CODECS="avc1.640015",FRAME-RATE=30.000,RESOLUTION=240x240,STABLE-VARIANT-ID="b7a0"
video_sdr_240x240.m3u8
#EXT-X-STREAM-INF:AVERAGE-BANDWIDTH=380000,_AVG-BANDWIDTH=380000,BANDWIDTH=500000,VIDEO-RANGE=SDR,CLOSED-CAPTIONS=NONE,CODECS="avc1.640015",FRAME-RATE=30.000,RESOLUTION=240x240,STABLE-VARIANT-ID="b7a1"
video_sdr_240x240.m3u8
M3U8
cat > hls/master-ts.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="avc1.4d400d",RESOLUTION=200x200
video_ts_200x200.m3u8
M3U8

# --- broken inputs ---------------------------------------------------------------------------
printf '<!doctype html><html><head><title>404</title></head><body>Not here</body></html>\n' > broken/not-video.html
printf '{"error":"not found","status":404}\n' > broken/not-video.json
: > broken/empty.mp4
size=$(stat -c %s media/high-bframes-320x320-30fps.mp4)
head -c $((size / 2)) media/high-bframes-320x320-30fps.mp4 > broken/truncated.mp4
ff -f lavfi -i "sine=frequency=440:duration=1" -c:a aac -b:a 64k broken/audio-only.mp4
ff -f lavfi -i "$(src 160x160 30 1)" -c:v libx265 -preset fast -x265-params log-level=error -tag:v hvc1 -movflags +faststart broken/hevc-only.mp4
ff -f lavfi -i "testsrc2=size=4112x32:rate=30,trim=duration=0.2" $(x264 high) -level 6.2 -movflags +faststart broken/too-wide-4112x32.mp4
# A corrupt stretch of bytes inside the media data (moov is at the front, so 60% in is mdat).
cp media/baseline-160x160-60fps.mp4 broken/corrupt-nal.mp4
size=$(stat -c %s broken/corrupt-nal.mp4)
head -c 200 /dev/urandom | dd of=broken/corrupt-nal.mp4 bs=1 seek=$((size * 6 / 10)) conv=notrunc status=none
# A master that points to a master.
printf '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS="avc1.64000d",RESOLUTION=160x160\nmaster.m3u8\n' > broken/master-of-master.m3u8
# A master with only HEVC variants.
printf '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,CODECS="hvc1.2.4.L90.B0",RESOLUTION=160x160,VIDEO-RANGE=SDR\n../hls/video_hevc_160x160.m3u8\n' > broken/hevc-master.m3u8
# A segment cut short: the media playlist names byte ranges past the end of a truncated file.
sed 's/video_sdr_160x160-.mp4/truncated-segment-.mp4/' hls/video_sdr_160x160.m3u8 > broken/truncated-segment.m3u8
size=$(stat -c %s hls/video_sdr_160x160-.mp4)
head -c $((size * 2 / 3)) hls/video_sdr_160x160-.mp4 > broken/truncated-segment-.mp4

# --- what FFmpeg's decoder makes of each, for the tests ------------------------------------------
# expected/NAME.framemd5: FFmpeg's per-frame MD5 of the decoded yuv420p picture (cropped), in
# presentation order, with its timestamp; expected/NAME.json: width, height, frame count, fps.
rm -rf expected; mkdir -p expected
for f in media/*.mp4 hls/video_sdr_160x160.m3u8 hls/video_ts_200x200.m3u8; do
  name=$(basename "$f"); name=${name%.*}
  ff -threads 1 -i "$f" -map 0:v:0 -fps_mode passthrough -f framemd5 "expected/$name.framemd5"
  ffprobe -v error -select_streams v:0 -count_frames \
    -show_entries stream=codec_name,profile,width,height,r_frame_rate,avg_frame_rate,nb_read_frames,has_b_frames \
    -of json "$f" > "expected/$name.json"
done
# The whole FFmpeg decode of the small B-frame stream, for PSNR against OpenH264.
ff -threads 1 -i media/high-bframes-128x128-30fps.mp4 -fps_mode passthrough -f yuv4mpegpipe -pix_fmt yuv420p - | gzip -9 > expected/high-bframes-128x128-30fps.y4m.gz

du -sh . | sed 's/^/make-fixtures: /'

# --- renditions: one cover at several sizes under one TIDAL-like path (codec/rendition tests) ---
# Made from one source, like TIDAL's sizes of one cover; origin.mp4 stands for the full size
# (the same bytes as 640x640). 80x80 and 1280x1280 are left out: the tests treat them as sizes
# the origin does not have. Short, 24 frames, low bitrate: a few kB each.
rm -rf renditions; mkdir -p renditions/videos/ab/cd/ef
for size in 160 320 640; do
  ff -f lavfi -i "$(src 640x640 24 1)" -vf "scale=$size:$size:flags=area" $(x264 high -g 24 -bf 2 -crf 38) -movflags +faststart "renditions/videos/ab/cd/ef/${size}x${size}.mp4"
done
cp renditions/videos/ab/cd/ef/640x640.mp4 renditions/videos/ab/cd/ef/origin.mp4

# --- compat: inputs the earlier service read (issue 12), from real footage ----------------------
# Made from koala.mp4 of github.com/AlexEidt/Vidio v1.5.1 (MIT; notice in compat/LICENSE-koala):
# 480x270, 30 fps, H.264 High. Fetched with the Go toolchain, the one registry client at hand.
rm -rf compat; mkdir -p compat
koala=$(cd "$(mktemp -d)" && go mod download -json github.com/AlexEidt/Vidio@v1.5.1 | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')/test/koala.mp4
[ -f "$koala" ] || { echo "make-fixtures: koala.mp4 not found ($koala)" >&2; exit 1; }
{ echo "compat/* (but this file) are made from test/koala.mp4 of github.com/AlexEidt/Vidio v1.5.1, under:"; echo; cat "$(dirname "$(dirname "$koala")")"/LICENSE; } > compat/LICENSE-koala
clip() { ff -i "$koala" -an -t 1 "$@"; }
# boxat FILE TYPE: the offset of the first TYPE box of FILE (of its size field).
boxat() { echo $(( $(grep -obUa "$2" "$1" | head -n1 | cut -d: -f1) - 4 )); }
# renamebox FILE FROM TO: renames the first FROM box of FILE to TO, in place.
renamebox() { printf '%s' "$3" | dd of="$1" bs=1 seek=$(( $(boxat "$1" "$2") + 4 )) conv=notrunc status=none; }

# Sample aspect, where ffmpeg (5.1) takes it from: an MP4's pasp box; else the track header's
# size (tkhd) where it differs from the sample entry's; else the SPS. 320x240 of 4:3 samples,
# shown at 16:9, all three agreeing; the SPS saying 4:3 and pasp 1:1 (pasp wins: ffmpeg shows
# 320x240); Extended_SAR 5:4 in the SPS alone (pasp renamed free, tkhd set to 320x240); tkhd
# alone saying 426x240 (the SPS 1:1, pasp renamed free).
clip -vf "scale=320:240:flags=area,setsar=4/3" $(x264 high -g 30 -bf 2) -movflags +faststart compat/anamorphic-320x240-sar4x3.mp4
cp compat/anamorphic-320x240-sar4x3.mp4 compat/sar4x3-pasp1x1.mp4
printf '\0\0\0\1\0\0\0\1' | dd of=compat/sar4x3-pasp1x1.mp4 bs=1 seek=$(( $(boxat compat/sar4x3-pasp1x1.mp4 pasp) + 8 )) conv=notrunc status=none
ff -i compat/anamorphic-320x240-sar4x3.mp4 -c copy -bsf:v h264_metadata=sample_aspect_ratio=5/4 -movflags +faststart compat/sar5x4-sps-only.mp4
renamebox compat/sar5x4-sps-only.mp4 pasp free
# tkhd (version 0): the width, 16.16 fixed point, is 76 bytes into the box's body.
printf '\1\100\0\0' | dd of=compat/sar5x4-sps-only.mp4 bs=1 seek=$(( $(boxat compat/sar5x4-sps-only.mp4 tkhd) + 84 )) conv=notrunc status=none
ff -i compat/anamorphic-320x240-sar4x3.mp4 -c copy -bsf:v h264_metadata=sample_aspect_ratio=1/1 -movflags +faststart compat/sar-tkhd-only.mp4
renamebox compat/sar-tkhd-only.mp4 pasp free

# QuickTime user data ending in the 32-bit zero (a .mov, and the same in an .mp4), moov last.
clip -vf "scale=160:90:flags=area" $(x264 high -g 30 -bf 2) -metadata:s:v:0 title=koala -metadata title=koala -f mov compat/koala-udta.mov.tmp
clip -vf "scale=160:90:flags=area" $(x264 main -g 30 -bf 2) -metadata title=koala -f mp4 compat/koala-udta.mp4.tmp
go run ./tools/qtudta compat/koala-udta.mov.tmp compat/udta-terminated.mov
go run ./tools/qtudta compat/koala-udta.mp4.tmp compat/udta-terminated.mp4
rm compat/*.tmp

# Sources cut inside themselves but served whole: the file ends 60% in, so the moov's sample
# table (at the front) names samples past the end; and a fragmented file cut inside a fragment.
clip -vf "scale=160:90:flags=area" $(x264 high -g 10 -bf 2) -movflags +faststart -f mp4 compat/whole.mp4.tmp
head -c $(( $(stat -c %s compat/whole.mp4.tmp) * 6 / 10 )) compat/whole.mp4.tmp > compat/truncated-inside.mp4
clip -vf "scale=160:90:flags=area" $(x264 high -g 10 -keyint_min 10 -sc_threshold 0 -bf 2) \
  -movflags +frag_keyframe+empty_moov+default_base_moof -f mp4 compat/whole-fragmented.mp4.tmp
head -c $(( $(stat -c %s compat/whole-fragmented.mp4.tmp) * 6 / 10 )) compat/whole-fragmented.mp4.tmp > compat/truncated-inside-fragmented.mp4
rm compat/*.tmp

# Containers and tracks not read: the refusals must name them.
small() { ff -i "$koala" -an -t 0.3 -vf "scale=160:90:flags=area" "$@"; }
small -c:v libvpx-vp9 -b:v 100k compat/koala.webm
small $(x264 high) compat/koala.mkv
small -c:v libvpx -b:v 100k compat/koala.ivf
small $(x264 high) -bsf:v h264_mp4toannexb -f h264 compat/koala.h264
small $(x264 high) -encryption_scheme cenc-aes-ctr -encryption_key 00112233445566778899aabbccddeeff \
  -encryption_kid 0123456789abcdef0123456789abcdef -movflags +faststart compat/encrypted-cenc.mp4
du -sh compat | sed 's/^/make-fixtures: /'

# --- real: the real-footage corpus (issue 11) ---------------------------------------------------
# Clips cut from real videos of Go modules' testdata, squared and edited as covers are (fades,
# cuts, grain, a still): testdata/make-real.sh, which the bench also runs at 1280x1280.
./make-real.sh

# --- HEVC (H.265): x265 streams for codec/h265 and the HEVC paths of codec, pipeline, httpapi ---
# 8-bit Main and 10-bit Main 10, square and not, B-frames with b-pyramid and open GOPs (a CRA
# picture with RASL leading pictures every 30 pictures after the first IDR), HDR (PQ) for the
# tone mapping, hev1 with parameter sets in band, fragmented MP4, MPEG-TS, and HLS masters.
# expected/hevc-*.framemd5 is FFmpeg's decode at the stream's own bit depth (yuv420p10le for
# Main 10), which libde265 must match bit for bit.
rm -rf hevc; mkdir -p hevc
x265() { # x265 PIXFMT [x265 params…]: preset fast, keyframe every 30, open GOP, 4 B-frames
  local pixfmt=$1; shift
  local params="log-level=error:keyint=30:min-keyint=30:scenecut=0:open-gop=1:bframes=4:b-pyramid=1"
  for p in "$@"; do params="$params:$p"; done
  echo -c:v libx265 -preset fast -crf 30 -pix_fmt "$pixfmt" -x265-params "$params"
}
sdr709="-color_primaries bt709 -color_trc bt709 -colorspace bt709"
# The SDR source as an HDR master carries it (BT.2408: SDR white at 203 cd/m²), in BT.2020 with
# PQ (HDR10) or HLG, 10 bits: what the tone mapping must bring back near the SDR original.
hdr() { # hdr TRANSFER (smpte2084 or arib-std-b67)
  echo "zscale=tin=bt709:min=bt709:pin=bt709:rin=tv:t=$1:m=bt2020nc:p=bt2020:r=tv:npl=203,format=yuv420p10le"
}
ff -f lavfi -i "$(src 192x192 30 3)" $(x265 yuv420p) -tag:v hvc1 -movflags +faststart hevc/main-192x192-30fps.mp4
ff -f lavfi -i "$(src 250x142 24 2)" $(x265 yuv420p10le) $sdr709 -tag:v hvc1 -movflags +faststart hevc/main10-250x142-24fps.mp4
for t in smpte2084:pq arib-std-b67:hlg; do
  ff -f lavfi -i "$(src 160x160 30 1),$(hdr "${t%:*}")" $(x265 yuv420p10le colorprim=bt2020 transfer="${t%:*}" colormatrix=bt2020nc) \
    -color_primaries bt2020 -color_trc "${t%:*}" -colorspace bt2020nc -tag:v hvc1 -movflags +faststart "hevc/main10-${t#*:}-160x160-30fps.mp4"
done
# hev1: parameter sets repeated in band at every keyframe, in a fragmented MP4.
ff -f lavfi -i "$(src 160x160 30 2)" $(x265 yuv420p repeat-headers=1) -tag:v hev1 \
  -movflags +frag_keyframe+empty_moov+default_base_moof hevc/hev1-fragmented-160x160-30fps.mp4
ff -f lavfi -i "$(src 160x160 30 2)" $(x265 yuv420p repeat-headers=1) -f mpegts hevc/main-160x160-30fps.ts
# 4:3 samples, said by the SPS's VUI alone (a transport stream has no pasp box).
ff -f lavfi -i "$(src 160x120 30 0.5)" -vf setsar=4/3 $(x265 yuv420p) -f mpegts hevc/anamorphic-160x120-sar4x3.ts
# Streams the decoder refuses, before it allocates anything: too wide, and 4:2:2 (a range
# extensions profile).
ff -f lavfi -i "testsrc2=size=4112x32:rate=30,trim=duration=0.1" $(x265 yuv420p) -tag:v hvc1 broken/hevc-too-wide-4112x32.mp4
ff -f lavfi -i "$(src 64x64 30 0.2)" $(x265 yuv422p) -tag:v hvc1 broken/hevc-422-64x64.mp4

# HLS, Apple-like: byte-range fMP4 Main 10 SDR variants, one PQ variant, and H.264 ones. Closed
# GOPs here: every segment starts with an IDR picture (EXT-X-INDEPENDENT-SEGMENTS), and FFmpeg's
# HLS muxer writes a wrong composition time for a CRA picture that starts a fragment.
hevc_hls() { # hevc_hls NAME SIZE PIXFMT X265PARAMS [extra ffmpeg args…]
  local name=$1 size=$2 pixfmt=$3 params=$4; shift 4
  ff -f lavfi -i "$(src "$size" 30 3)" $(x265 "$pixfmt" open-gop=0 $params) "$@" -tag:v hvc1 \
    -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type fmp4 -hls_flags single_file \
    -hls_segment_filename "hevc/$name-.mp4" "hevc/$name.m3u8"
}
hevc_hls video_hevc_sdr_192x192 192x192 yuv420p10le "" $sdr709
hevc_hls video_hevc_sdr_320x320 320x320 yuv420p10le "" $sdr709
hevc_hls video_hevc_pq_320x320 320x320 yuv420p10le "colorprim=bt2020 transfer=smpte2084 colormatrix=bt2020nc" \
  -vf "$(hdr smpte2084)" -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc
ff -f lavfi -i "$(src 128x128 30 3)" $(x264 high -g 30 -keyint_min 30 -sc_threshold 0 -bf 3) \
  -f hls -hls_time 1 -hls_playlist_type vod -hls_segment_type fmp4 -hls_flags single_file \
  -hls_segment_filename "hevc/video_sdr_128x128-.mp4" hevc/video_sdr_128x128.m3u8
# Only HEVC: the smallest SDR variant at least twice the output (192 for 80 px) is read.
cat > hevc/master-hevc-only.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-STREAM-INF:BANDWIDTH=900000,VIDEO-RANGE=SDR,CODECS="hvc1.2.4.L93.B0",FRAME-RATE=30.000,RESOLUTION=320x320
video_hevc_sdr_320x320.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=950000,VIDEO-RANGE=PQ,CODECS="hvc1.2.4.L93.B0",FRAME-RATE=30.000,RESOLUTION=320x320
video_hevc_pq_320x320.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=400000,VIDEO-RANGE=SDR,CODECS="hvc1.2.4.L63.B0",FRAME-RATE=30.000,RESOLUTION=192x192
video_hevc_sdr_192x192.m3u8
M3U8
# H.264 only at sizes too small for 80 px (128), HEVC above: HEVC 192 is read for 80 px, while
# for 48 px (96 is enough) H.264 128 is.
cat > hevc/master-largest-hevc.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=950000,VIDEO-RANGE=PQ,CODECS="hvc1.2.4.L93.B0",FRAME-RATE=30.000,RESOLUTION=320x320
video_hevc_pq_320x320.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=900000,VIDEO-RANGE=SDR,CODECS="hvc1.2.4.L93.B0",FRAME-RATE=30.000,RESOLUTION=320x320
video_hevc_sdr_320x320.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=400000,VIDEO-RANGE=SDR,CODECS="hvc1.2.4.L63.B0",FRAME-RATE=30.000,RESOLUTION=192x192
video_hevc_sdr_192x192.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=200000,VIDEO-RANGE=SDR,CODECS="avc1.64000b",FRAME-RATE=30.000,RESOLUTION=128x128
video_sdr_128x128.m3u8
M3U8
# Only HDR: the PQ variant is read and tone mapped.
cat > hevc/master-pq-only.m3u8 <<'M3U8'
#EXTM3U
#EXT-X-STREAM-INF:BANDWIDTH=950000,VIDEO-RANGE=PQ,CODECS="hvc1.2.4.L93.B0",FRAME-RATE=30.000,RESOLUTION=320x320
video_hevc_pq_320x320.m3u8
M3U8
for f in hevc/*.mp4 hevc/*.ts hevc/video_hevc_sdr_192x192.m3u8; do
  case $f in *-.mp4) continue;; esac
  name=$(basename "$f"); name=hevc-${name%.*}
  ff -threads 1 -i "$f" -map 0:v:0 -fps_mode passthrough -f framemd5 "expected/$name.framemd5"
  ffprobe -v error -select_streams v:0 -count_frames \
    -show_entries stream=codec_name,profile,width,height,pix_fmt,r_frame_rate,avg_frame_rate,nb_read_frames,has_b_frames,color_transfer \
    -of json "$f" > "expected/$name.json"
done
du -sh hevc | sed 's/^/make-fixtures: /'

# --- issue 15: H.264 streams OpenH264 does not decode, refused when opened --------------------
# High 10 (10-bit 4:2:0), High 4:2:2 (8-bit 4:2:2) and interlaced High: the SPS of each parses,
# and `server probe` must refuse them as `server decode` does (codec/h264's ParseSPS).
h264unsupported() { # h264unsupported NAME PROFILE PIXFMT [extra ffmpeg args…]
  local name=$1 profile=$2 pixfmt=$3; shift 3
  ff -f lavfi -i "testsrc2=size=64x64:rate=30,trim=duration=0.2" -c:v libx264 -profile:v "$profile" -pix_fmt "$pixfmt" \
    -preset fast -crf 30 "$@" -movflags +faststart "broken/$name.mp4"
}
h264unsupported high10-64x64 high10 yuv420p10le
h264unsupported high422-64x64 high422 yuv422p
h264unsupported interlaced-64x64 high yuv420p -flags +ildct+ilme
