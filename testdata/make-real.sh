#!/usr/bin/env bash
# Makes the real-footage corpus: short clips cut from real videos that Go modules ship in their
# testdata (fetched with `go mod download` from the module proxy, never committed as they are),
# squared, re-encoded like TIDAL's and Apple's covers, and edited the way covers are: fades from
# and to black, hard cuts between scenes, grain, a still picture.
#
#   testdata/make-real.sh                    160x160 clips into testdata/real/ (committed; the tests use them)
#   testdata/make-real.sh -size 1280 -out D  the same clips at 1280x1280 into D (the bench makes these)
#   testdata/make-real.sh -size 640 -only cover-15s -out D   one clip only
#
# Sources and licences: testdata/real/NOTICE.md. Needs ffmpeg with libx264 and go.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size=160
out=$here/real
only=
while [ $# -gt 0 ]; do
  case $1 in
    -size) size=$2; shift 2 ;;
    -out) out=$2; shift 2 ;;
    -only) only=$2; shift 2 ;;
    *) echo "make-real: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v ffmpeg >/dev/null || { echo "make-real: needs ffmpeg (scripts/install-deps.sh fixtures)" >&2; exit 1; }
command -v go >/dev/null || { echo "make-real: needs go (to fetch the source videos from the module proxy)" >&2; exit 1; }

# moddir MODULE@VERSION: where the module proxy's copy of a module is, fetched if needed.
moddir() { (cd "$here" && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
koala=$(moddir github.com/AlexEidt/Vidio@v1.5.1)/test/koala.mp4                              # 480x270 30 fps 3.4 s: a koala in a tree, bokeh
countdown=$(moddir github.com/u2takey/ffmpeg-go@v0.5.0)/examples/sample_data/in1.mp4            # 320x240 29.97 fps 7 s: film leader, grain, scratches
face=$(moddir github.com/u2takey/ffmpeg-go@v0.5.0)/examples/sample_data/head-pose-face-detection-male-short.mp4  # 768x432 12 fps 15 s: a face, still camera
bunny=$(moddir github.com/asticode/go-astiav@v0.42.0)/testdata/video.mp4                       # 320x180 24 fps 5 s: Big Buck Bunny's opening, fading in from black
for f in "$koala" "$countdown" "$face" "$bunny"; do [ -s "$f" ] || { echo "make-real: missing $f" >&2; exit 1; }; done

mkdir -p "$out/licenses"
# The modules' licences travel with what is made of their files (testdata/real/NOTICE.md).
cp "$(moddir github.com/AlexEidt/Vidio@v1.5.1)/LICENSE" "$out/licenses/Vidio-MIT.txt"
cp "$(moddir github.com/u2takey/ffmpeg-go@v0.5.0)/LICENSE" "$out/licenses/ffmpeg-go-Apache-2.0.txt"
cp "$(moddir github.com/asticode/go-astiav@v0.42.0)/LICENSE" "$out/licenses/go-astiav-MIT.txt"
chmod u+w "$out"/licenses/*
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# Every clip is square (centre crop, as a cover is), scaled with area averaging (Lanczos when
# growing), BT.709 and labelled so, and encoded as TIDAL's and Apple's covers are: x264 High,
# B-pyramid, an IDR every 2 s, no audio. CRF keeps the bitrate what the content needs at that size.
sq="crop='min(iw,ih)':'min(iw,ih)',scale=$size:$size:flags=area+accurate_rnd,setsar=1"
if [ "$size" -gt 432 ]; then sq="crop='min(iw,ih)':'min(iw,ih)',scale=$size:$size:flags=lanczos,setsar=1"; fi
yuv="scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
enc() { # enc RATE OUT: reads the filtered picture from the filter graph given before
  local rate=$1 out=$2
  [ -z "$only" ] || [ "$(basename "$out" .mp4)" = "$only" ] || return 0
  ff "${inputs[@]}" -filter_complex "$graph" -map '[v]' -an -r "$rate" \
    -c:v libx264 -profile:v high -preset medium -crf 24 -g $((rate * 2)) -keyint_min "$rate" -bf 3 -x264-params b-pyramid=normal \
    -colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv -movflags +faststart "$out"
}

# Single real scenes, as shot.
inputs=(-i "$bunny");     graph="[0:v]$sq,$yuv[v]";                                   enc 24 "$out/bunny-fade-in.mp4"
inputs=(-i "$koala");     graph="[0:v]$sq,$yuv[v]";                                   enc 30 "$out/koala.mp4"
inputs=(-i "$countdown"); graph="[0:v]$sq,$yuv[v]";                                   enc 30 "$out/countdown-grain.mp4"
inputs=(-i "$face");      graph="[0:v]$sq,$yuv[v]";                                   enc 24 "$out/face-15s.mp4"
# Edited as covers are.
inputs=(-i "$koala");     graph="[0:v]$sq,fade=in:d=1,fade=out:st=2.37:d=1,$yuv[v]";  enc 30 "$out/koala-fade-in-out.mp4"
inputs=(-i "$koala");     graph="[0:v]$sq,noise=alls=24:allf=t+u,$yuv[v]";             enc 30 "$out/koala-heavy-grain.mp4"
inputs=(-i "$koala");     graph="[0:v]trim=start_frame=50:end_frame=51,$sq,loop=loop=119:size=1,setpts=N/30/TB,$yuv[v]"; enc 30 "$out/koala-still.mp4"
# Two still-camera scenes and a hard cut: the face, then the koala.
inputs=(-i "$face" -i "$koala")
graph="[0:v]trim=duration=3,fps=30,$sq,setpts=PTS-STARTPTS[a];[1:v]$sq,setpts=PTS-STARTPTS[b];[a][b]concat=n=2,$yuv[v]"
enc 30 "$out/cut-face-koala.mp4"
# A whole 15 s cover: fade in from black (the bunny), cut to the koala, cut to the face, fade out.
inputs=(-i "$bunny" -i "$koala" -i "$face")
graph="[0:v]fps=30,$sq,setpts=PTS-STARTPTS[a];[1:v]$sq,setpts=PTS-STARTPTS[b];[2:v]trim=duration=6.63,fps=30,$sq,setpts=PTS-STARTPTS[c];[a][b][c]concat=n=3,fade=out:st=14:d=1,$yuv[v]"
enc 30 "$out/cover-15s.mp4"

du -ch "$out"/*.mp4 | tail -1 | sed "s|^|make-real: $out: |"
