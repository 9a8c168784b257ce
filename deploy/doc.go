// Package deploy holds no code: its tests check the deployment files at the top of the
// repository (Dockerfile, docker-compose.yaml, Caddyfile, redis.conf, .env.example) and the
// operator's dashboard in this folder, as far as a machine without a Docker engine can.
//
//   - compose_test.go loads docker-compose.yaml with .env.example through the Compose
//     specification's own Go library and checks its shape: services, network, ports, health
//     checks, start order, limits.
//   - image_test.go builds the binary with the image's own build script, checks that it needs
//     nothing the runtime image (distroless cc-debian12) lacks, and runs it in a chroot that
//     holds only what that image holds.
//   - caddy_test.go validates the Caddyfile with Caddy and runs Caddy, the service and
//     redis-server together on loopback, as the compose file wires them.
//   - files_test.go checks the rest: the Dockerfile's stages, .dockerignore, redis.conf,
//     .env.example against the contract's configuration table, the Grafana dashboard.
//
// The tests that start processes need the Debian packages of scripts/install-deps.sh (make test
// installs them) and, for the chroot, root.
package deploy
