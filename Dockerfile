# The service image: built on Debian 12 with Go, run on distroless Debian 12.
#   docker compose up -d --build      (see "Running an instance" in README.md)
#   docker build --build-arg VERSION=$(git describe --tags --always) -t animated-album-covers .

# The build stage must be Debian 12 too: the binary is linked against its glibc, and the runtime
# image carries the same Debian 12 glibc, so every symbol version the binary asks for is there.
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build

# libopenh264-dev ships libopenh264.a, which scripts/build-static.sh links in (the runtime image
# has no OpenH264). The golang image already has gcc, g++ and pkg-config; naming pkg-config
# keeps this line right if that ever changes. libde265-dev: the HEVC decoder, linked shared.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenh264-dev libde265-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Modules first, in their own layer, so that a change to the code does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
# VERSION ends up in `server version`; .git is not in the build context (.dockerignore), so it
# comes from here (compose passes it from .env).
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    VERSION=${VERSION} scripts/build-static.sh /out/server
# libde265 (LGPL-3.0-or-later) is not linked in: its shared object and licence texts go into a
# root tree the runtime stage copies over its own, at Debian's paths, where it can be replaced
# (TARGETARCH, when the stage declares it, picks a cross build's target library).
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
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/server", "healthcheck"]

ENTRYPOINT ["/server"]
CMD ["serve"]
