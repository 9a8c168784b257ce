// Package deploy holds no code: its tests check the deployment files at the top of the
// repository (Dockerfile, .dockerignore, docker-compose.yaml, Caddyfile, redis.conf,
// .env.example) and the Grafana dashboard in this folder: as far as a machine without a Docker
// engine can, and on a Docker engine when one answers.
//
//   - compose_test.go loads docker-compose.yaml with .env.example through the Compose
//     specification's own Go library and checks its shape: services, network, ports, health
//     checks, start order, limits against the conversion concurrency, environment, mounts.
//   - image_test.go checks the Dockerfile's two stages, builds the binary as its build stage
//     does (a copy of the build context, scripts/build-static.sh), checks that it needs nothing
//     the runtime image (distroless cc-debian12) lacks, and runs it, as nonroot, in a chroot
//     that holds only what that image holds: `server version`, `server serve` with
//     .env.example's values, and `server healthcheck`.
//   - caddy_test.go validates the Caddyfile with Caddy and runs Caddy, the service and
//     redis-server (with redis.conf) together on loopback, as the compose file wires them:
//     metrics authentication, 403 on bare /metrics, and a cover converted and streamed through
//     Caddy.
//   - files_test.go checks the rest: .dockerignore (with Docker's own matcher), redis.conf read
//     back from a running redis-server, .env.example against the contract's configuration
//     table, the dashboard.
//   - arm64_test.go cross-builds the binary for arm64 as the Dockerfile does for linux/arm64 and
//     runs it under qemu-user on the fixtures: its GIFs must be the host build's, byte for byte
//     (make test-arm64 installs the cross toolchain).
//   - stack_test.go runs the compose stack on a Docker daemon, with testdata/stack-test.compose.yaml
//     over docker-compose.yaml: the image built from the checkout, health, /token, covers,
//     metrics, the video container's confinement, a Redis restart, `docker run --env-file`,
//     down -v (make test-stack).
//
// The tests that start processes need the Debian packages of scripts/install-deps.sh (make test
// installs them; without them they skip and say so) and, for the chroot, root; the arm64 test
// needs `scripts/install-deps.sh arm64`, the stack test a Docker daemon: each skips, saying so,
// without them.
package deploy
