#!/usr/bin/env bash
# Puts the shared libraries the release binary needs beyond the runtime image's own (glibc,
# libstdc++, libgcc_s: gcr.io/distroless/cc-debian12) into a root file system tree, at the paths
# Debian installs them, with their licences. The Dockerfile copies that tree onto the runtime
# image; deploy/image_test.go runs this script too, so the test's root holds what the image holds.
#   scripts/runtime-libs.sh DEST        (PKG_CONFIG names another pkg-config, e.g. a cross one)
#
# Today that is libde265 alone (codec/h265): LGPL-3.0-or-later, so it ships as the shared object
# the binary loads, where anyone can replace it, with its copyright file and the texts of the
# LGPL and the GPL it builds on (LGPL-3.0 section 4b), which the copyright file points to.
set -euo pipefail
dest=${1:?usage: scripts/runtime-libs.sh DEST}
pkgconfig=${PKG_CONFIG:-pkg-config}

libdir=$($pkgconfig --variable=libdir libde265)
lib=$(readlink -f "$libdir/libde265.so")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] || { echo "runtime-libs: $lib has no SONAME" >&2; exit 1; }
install -D -m 0644 "$lib" "$dest$libdir/$soname"
install -D -m 0644 /usr/share/doc/libde265-0/copyright "$dest/usr/share/doc/libde265-0/copyright"
for licence in LGPL-3 GPL-3; do
  install -D -m 0644 "/usr/share/common-licenses/$licence" "$dest/usr/share/common-licenses/$licence"
done
