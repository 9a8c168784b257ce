# The service image: built on Debian 12 with Go, run on distroless Debian 12; linux/amd64 and
# linux/arm64.
#   docker compose up -d --build      (see "Running an instance" in README.md)
#   docker build --build-arg VERSION=$(git describe --tags --always) -t animated-album-covers .
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/animated-album-covers --push .

# The build stage must be Debian 12 too: the binary is linked against its glibc, and the runtime
# image carries the same Debian 12 glibc, so every symbol version the binary asks for is there.
# It runs on the builder's own platform and cross-compiles for the image's (TARGETARCH, set by
# BuildKit): `docker buildx build --platform linux/amd64,linux/arm64` then compiles natively for
# both, instead of running the Go compiler under emulation for the foreign one.
ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETARCH

WORKDIR /src
# The build packages are `build_packages` in scripts/install-deps.sh, the list `make test`
# installs too: libopenh264-dev ships libopenh264.a, which scripts/build-static.sh links in (the
# runtime image has no OpenH264); libde265-dev, the HEVC decoder, linked shared. For a TARGETARCH
# other than the builder's, the script installs Debian's cross compilers and the target's -dev
# packages (libopenh264-dev:arm64, libde265-dev:arm64) instead.
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh build "${TARGETARCH}" \
 && rm -rf /var/lib/apt/lists/*

# Modules first, in their own layer, so that a change to the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
# VERSION ends up in `server version`; .git is not in the build context (.dockerignore), so it
# comes from here (compose passes it from .env).
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOARCH=${TARGETARCH} VERSION=${VERSION} scripts/build-static.sh /out/server
# libde265 (LGPL-3.0-or-later) is not linked in: its shared object (the TARGETARCH one) and licence
# texts go into a root tree the runtime stage copies over its own, at Debian's paths, where it can
# be replaced.
RUN GOARCH=${TARGETARCH} scripts/runtime-libs.sh /out/root

# cc-debian12, not static-debian12: after scripts/build-static.sh the binary still needs glibc
# (libc.so.6, libm.so.6 and the dynamic loader) and libde265 (which needs cc-debian12's libstdc++
# and libgcc_s), and nothing else; static-debian12 has no libc.
# glibc is kept shared on purpose (see scripts/build-static.sh). The image also brings the CA
# certificates (HTTPS to the sources), /etc/passwd with the nonroot user, and tzdata; no shell.
FROM gcr.io/distroless/cc-debian12:nonroot

COPY --from=build /out/server /server
COPY --from=build /out/root/ /

# 65532 is distroless's "nonroot"; numeric, so that Kubernetes' runAsNonRoot can check it.
USER 65532:65532
EXPOSE 8080

# Exec form: there is no shell in the image. `server healthcheck` asks the service's /healthz.
# The timing is docker-compose.yaml's (service video), which explains it.
HEALTHCHECK --interval=3s --timeout=5s --retries=5 \
  CMD ["/server", "healthcheck"]

ENTRYPOINT ["/server"]
CMD ["serve"]
