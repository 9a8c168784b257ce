#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the project needs, only those missing.
#   scripts/install-deps.sh              what the service and `make test` need
#   scripts/install-deps.sh bench        plus ffmpeg and x264 (fixtures and the bench comparison only)
#   scripts/install-deps.sh build [ARCH] only what building the binary needs (the Dockerfile's
#                                        build stage); for another ARCH (amd64, arm64) than this
#                                        host's, the cross compilers and ARCH's libraries instead
#   scripts/install-deps.sh arm64        `make test` plus the arm64 cross build and qemu-user-static
#                                        to run its binary (make test-arm64)
set -euo pipefail

# What building cmd/server needs: the Dockerfile's build stage installs exactly these (through
# this script). Every *-dev package here is a library the binary links; a cross build installs
# it for the target architecture (libopenh264-dev:arm64), so a new one goes here and nowhere else.
# libde265-dev: the HEVC decoder (codec/h265), linked as a shared library the image carries.
build_packages=(libopenh264-dev libde265-dev pkg-config)
# What the tests need besides (Redis, Caddy and Chromium for the end-to-end tests).
test_packages=(redis-server gifsicle chromium caddy ca-certificates)

host_arch=$(dpkg --print-architecture)

# add_cross ARCH: adds the C and C++ cross compilers for ARCH (the names scripts/build-static.sh
# calls them by) and ARCH's build libraries to the packages, and ARCH to dpkg's architectures.
add_cross() {
  local arch=$1 triplet p
  case $arch in
    amd64) triplet=x86-64-linux-gnu ;;
    arm64) triplet=aarch64-linux-gnu ;;
    *) echo "install-deps: no cross build for architecture $arch (amd64 or arm64)" >&2; exit 1 ;;
  esac
  # g++ as well as gcc: its package brings the target's static libstdc++.a, which
  # scripts/build-static.sh links in (OpenH264 is C++).
  packages+=("gcc-$triplet" "g++-$triplet")
  for p in "${build_packages[@]}"; do
    if [[ $p == *-dev ]]; then packages+=("$p:$arch"); fi
  done
  foreign=$arch
}

packages=()
foreign=""
group=${1:-}
case "$group" in
  "") packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  bench | fixtures) packages=("${build_packages[@]}" "${test_packages[@]}" ffmpeg x264) ;;
  build)
    arch=${2:-$host_arch}
    if [ "$arch" = "$host_arch" ]; then
      packages=("${build_packages[@]}")
    else
      # pkg-config stays the host's: scripts/build-static.sh points it at the target's .pc files.
      add_cross "$arch"
      packages+=(pkg-config)
    fi
    ;;
  arm64)
    packages=("${build_packages[@]}" "${test_packages[@]}")
    if [ "$host_arch" != arm64 ]; then
      add_cross arm64
      packages+=(qemu-user-static)
    fi
    ;;
  *) echo "install-deps: unknown group $1 (bench, build [ARCH], arm64)" >&2; exit 1 ;;
esac

missing=()
# An unqualified name means this host's architecture (or none): with a foreign architecture added,
# dpkg-query also reports the foreign instance of a Multi-Arch package, which is not the one asked.
installed() {
  local name=${1%%:*} arch=${1#*:}
  [ "$arch" = "$1" ] && arch=$host_arch
  dpkg-query -W -f='${Status} ${Architecture}\n' "$name" 2>/dev/null |
    grep -Eq "^install ok installed ($arch|all)\$"
}
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
# promtool checks the service's /metrics page in the tests (not in a build: the Dockerfile's
# `build` group). It comes from Debian's prometheus package, unpacked alone: installing the
# package would also start a Prometheus server.
need_promtool=0
if [ "$group" != build ] && ! command -v promtool >/dev/null; then need_promtool=1; fi
[ ${#missing[@]} -eq 0 ] && [ $need_promtool -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]} promtool" >&2; exit 1; }
  sudo=sudo
fi
if [ -n "$foreign" ] && ! dpkg --print-foreign-architectures | grep -qx "$foreign"; then
  echo "install-deps: adding the $foreign architecture to dpkg (for its libraries)" >&2
  $sudo dpkg --add-architecture "$foreign"
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt (unattended upgrades, a second checkout's make test) instead of failing.
lock=(-o DPkg::Lock::Timeout=600)
$sudo apt-get "${lock[@]}" update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  $sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $need_promtool -eq 1 ]; then
  echo "install-deps: installing promtool (from Debian's prometheus package) in /usr/local/bin" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root prometheus)
  dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool
  $sudo install -m 0755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
fi
