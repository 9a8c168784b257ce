#!/usr/bin/env bash
# Builds the release binary the container image ships: OpenH264, libstdc++ and libgcc linked in
# statically, glibc and libde265 dynamically. The Dockerfile runs this script and
# deploy/image_test.go runs it too, so the flags that are tested are the flags that are shipped.
#   scripts/build-static.sh [OUTPUT]     (default bin/server-static; VERSION from the environment)
#   GOARCH=arm64 scripts/build-static.sh bin/server-arm64    (cross build: scripts/install-deps.sh
#                                                             build arm64 installs what it needs)
#
# Why this split: the runtime image (gcr.io/distroless/cc-debian12) has glibc but no OpenH264,
# and glibc is the one library that must stay shared (it is built to be loaded, not copied in;
# its security fixes then come with the base image). Everything else is folded into the binary
# but libde265, which the image carries beside it (scripts/runtime-libs.sh), so readelf -d shows
# only libc.so.6, libm.so.6, the dynamic loader and libde265.so.0.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/server-static}
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}

# codec/h264 asks for OpenH264 with "#cgo pkg-config: openh264" (or -lopenh264), which would pick
# libopenh264.so. CGO_LDFLAGS come before those flags on the link line, so -Bstatic here makes
# the linker take libopenh264.a and libstdc++.a first (OpenH264 is C++: operator new, RTTI,
# exceptions). --as-needed then drops the later -lopenh264 (the .so) from DT_NEEDED, since
# nothing is left for it to resolve. -lm and -lpthread stay shared: they are part of glibc.
#
# libde265 (codec/h265, LGPL-3.0-or-later) stays a shared library, as the LGPL wants: its
# "#cgo pkg-config: libde265" comes after -Bdynamic. It brings the shared libstdc++ and libgcc_s
# of the runtime image; --exclude-libs keeps the static libstdc++ above out of the binary's
# dynamic symbols, so that libde265 binds to the shared one alone, never to half of each.
export CGO_ENABLED=1

# A cross build uses Debian's cross compilers and the target's multiarch libraries
# (libopenh264-dev:arm64 in /usr/lib/aarch64-linux-gnu); pkg-config reads the target's .pc files
# only, so that no flag of the host's libraries reaches the target's link.
goarch=${GOARCH:-$(go env GOHOSTARCH)}
if [ "$goarch" != "$(go env GOHOSTARCH)" ]; then
  case $goarch in
    amd64) triplet=x86_64-linux-gnu ;;
    arm64) triplet=aarch64-linux-gnu ;;
    *) echo "build-static: no cross build for GOARCH=$goarch (amd64 or arm64)" >&2; exit 1 ;;
  esac
  command -v "$triplet-gcc" >/dev/null ||
    { echo "build-static: $triplet-gcc not found: run scripts/install-deps.sh build $goarch" >&2; exit 1; }
  export GOARCH=$goarch CC=$triplet-gcc CXX=$triplet-g++
  export PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
fi
export CGO_LDFLAGS="-Wl,--as-needed -Wl,--exclude-libs,ALL -Wl,-Bstatic -lopenh264 -lstdc++ -Wl,-Bdynamic -lm -lpthread"

# -static-libgcc keeps libgcc_s.so out (C++ unwinding then uses the static libgcc_eh); the
# -static-libstdc++ only matters if a package ever carries C++ sources and Go links with g++.
# netgo and osusergo: DNS and user lookups in pure Go, so nothing reaches for glibc's NSS
# modules, which a distroless image does not configure.
exec go build -trimpath -tags netgo,osusergo \
  -ldflags "-s -w -X main.version=${version} -linkmode external -extldflags '-static-libstdc++ -static-libgcc'" \
  -o "$out" ./cmd/server
