# See README.md. Every target installs the Debian packages it needs first.
GO        ?= go
BIN       := bin/server
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: all build run test test-short test-arm64 test-stack lint bench fixtures fuzz credentials deps bench-deps clean

all: build

deps:
	@scripts/install-deps.sh

bench-deps:
	@scripts/install-deps.sh bench

build: deps
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/server

# Starts the service on the in-process store with development credentials and a bundled sample.
run: build
	@printf '\nService on http://localhost:8080 (in-process store, user dev, password dev, samples of\ntestdata/media served by the service itself). In another terminal, fetch a GIF:\n\n'
	@printf '%s\n\n' 'curl -s -o cover.gif "$$(curl -s -u dev:dev "http://localhost:8080/token?ifm=mp4&ofm=gif&url=http://localhost:8080/dev/samples/high-bframes-320x320-30fps.mp4" | cut -d\" -f4)" && ls -l cover.gif'
	env REDIS_URL= TOKEN_AUTH_USERNAME=dev TOKEN_AUTH_PASSWORD=dev LISTEN_ADDR=:8080 \
		SERVER_BASE_URL=http://localhost:8080 SOURCE_HOSTNAME_WHITELIST=localhost ALLOW_PRIVATE_SOURCES=1 \
		DEV_SAMPLES_DIR=testdata/media $(BIN) serve -env-file /dev/null

# The tests run with the faultinject tag, which compiles in the decoders' crash hooks for the
# crash-isolation tests (codec/h264/fault.go, internal/decodeworker/fault.go); the release build
# (build, scripts/build-static.sh) leaves them out. go vet checks both builds.
TESTTAGS := -tags faultinject

test: deps
	$(GO) vet ./...
	$(GO) vet $(TESTTAGS) ./...
	$(GO) test $(TESTTAGS) -race -timeout 30m -count=1 ./...

# The arm64 build: cross-compiled as the Dockerfile does for linux/arm64, then run under qemu-user
# on the fixtures, its GIFs byte for byte this host's. Not part of `make test` (which skips it when
# the toolchain is absent): it adds the arm64 architecture to dpkg, and the cross compilers.
test-arm64:
	@scripts/install-deps.sh arm64
	$(GO) test -count=1 -timeout 20m -run '^TestArm64' -v ./deploy/

# The compose stack end to end on a Docker daemon (DOCKER_HOST, or the default socket) with the
# Compose v2 plugin: builds the image from this checkout, brings docker-compose.yaml up with
# deploy/testdata/stack-test.compose.yaml, checks it, and takes it down. `make test` runs it too
# when a daemon answers.
test-stack: deps
	$(GO) test -count=1 -timeout 30m -run '^TestStack$$' -v ./deploy/

# Static analysis beyond go vet (unused code, common mistakes); fetches the pinned staticcheck.
lint: deps
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(TESTTAGS) ./...

test-short: deps
	$(GO) test $(TESTTAGS) -short -count=1 ./...

bench: bench-deps build
	$(GO) run ./bench

# Runs every fuzzer in turn for FUZZTIME each (go test -fuzz takes one at a time); new crashers
# land in the package's testdata/fuzz and then run with every make test.
FUZZTIME ?= 60s
FUZZERS  := codec:FuzzPlaylist codec:FuzzMP4 codec:FuzzMPEGTS codec:FuzzFrameSelection \
            codec/h264:FuzzDecode codec/h265:FuzzDecode gifenc:FuzzWriter httpapi:FuzzTokenQuery \
            internal/decodeworker:FuzzWorkerAnswer
fuzz: deps
	@set -e; for f in $(FUZZERS); do \
		echo "fuzz: $${f#*:} in ./$${f%%:*} for $(FUZZTIME)"; \
		$(GO) test -run XXX -fuzz "^$${f#*:}$$" -fuzztime $(FUZZTIME) -parallel 1 ./$${f%%:*}; \
	done

# Remakes the committed fixtures in testdata/ (needs ffmpeg with libx264 and libx265).
fixtures: bench-deps
	testdata/make-fixtures.sh

credentials: build
	@$(BIN) hash-password

clean:
	rm -rf bin
