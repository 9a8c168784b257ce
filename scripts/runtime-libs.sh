#!/usr/bin/env bash
# Puts the shared libraries the release binary needs beyond the runtime image's own (glibc,
# libstdc++, libgcc_s: gcr.io/distroless/cc-debian12) into a root file system tree, at the paths
# Debian installs them, with their licences. The Dockerfile copies that tree onto the runtime
# image; deploy/image_test.go runs this script too, so the test's root holds what the image holds.
#   scripts/runtime-libs.sh DEST
#   GOARCH=arm64 scripts/runtime-libs.sh DEST    (a cross build's: the target's multiarch
#                                                 libde265-0:arm64, as scripts/build-static.sh
#                                                 links against)
#
# Today that is libde265 alone (codec/h265): LGPL-3.0-or-later, so it ships as the shared object
# the binary loads, where anyone can replace it, with its copyright file and the texts of the
# LGPL and the GPL it builds on (LGPL-3.0 section 4b), which the copyright file points to.
set -euo pipefail
dest=${1:?usage: scripts/runtime-libs.sh DEST}

# Debian's architecture names are Go's for amd64 and arm64; for another target, pkg-config reads
# that target's .pc files only (and readelf reads an ELF file of any architecture).
if [ -n "${GOARCH:-}" ] && [ "$GOARCH" != "$(dpkg --print-architecture)" ]; then
  case $GOARCH in
    amd64) triplet=x86_64-linux-gnu ;;
    arm64) triplet=aarch64-linux-gnu ;;
    *) echo "runtime-libs: no cross build for GOARCH=$GOARCH (amd64 or arm64)" >&2; exit 1 ;;
  esac
  export PKG_CONFIG_LIBDIR=/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig
fi

if ! libdir=$(pkg-config --variable=libdir libde265) || [ -z "$libdir" ]; then
  echo "runtime-libs: pkg-config finds no libde265${triplet:+ for $triplet}: install libde265-dev${GOARCH:+:$GOARCH}" >&2
  exit 1
fi
lib=$(readlink -f "$libdir/libde265.so")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] || { echo "runtime-libs: $lib has no SONAME" >&2; exit 1; }
install -D -m 0644 "$lib" "$dest$libdir/$soname"
install -D -m 0644 /usr/share/doc/libde265-0/copyright "$dest/usr/share/doc/libde265-0/copyright"
for licence in LGPL-3 GPL-3; do
  install -D -m 0644 "/usr/share/common-licenses/$licence" "$dest/usr/share/common-licenses/$licence"
done
