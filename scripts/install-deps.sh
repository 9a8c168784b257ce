#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, only those missing.
#   scripts/install-deps.sh          what the service and `make test` need
#   scripts/install-deps.sh bench    plus ffmpeg and x264 (fixtures and the bench comparison only)
set -euo pipefail

# libde265-dev: the HEVC decoder's headers and shared library (codec/h265 links it dynamically).
packages=(libopenh264-dev libde265-dev pkg-config redis-server gifsicle chromium caddy ca-certificates)
if [ "${1:-}" = bench ] || [ "${1:-}" = fixtures ]; then
  packages+=(ffmpeg x264)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
