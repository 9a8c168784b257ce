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
# promtool checks the service's /metrics page in the tests. It comes from Debian's prometheus
# package, unpacked alone: installing the package would also start a Prometheus server.
need_promtool=0
command -v promtool >/dev/null || need_promtool=1
[ ${#missing[@]} -eq 0 ] && [ $need_promtool -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]} promtool" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $need_promtool -eq 1 ]; then
  echo "install-deps: installing promtool (from Debian's prometheus package) in /usr/local/bin" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root prometheus)
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  $sudo install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
fi
