# See README.md. Every target installs the Debian packages it needs first.
GO        ?= go
BIN       := bin/server
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 1

.PHONY: all build run test test-short bench fixtures fuzz credentials deps bench-deps clean

all: build

deps:
	@scripts/install-deps.sh

bench-deps:
	@scripts/install-deps.sh bench

build: deps
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/server

# Starts the service on the in-process store with development credentials and a bundled sample.
run: build
	$(BIN) dev

test: deps
	$(GO) vet ./...
	$(GO) test -race -timeout 30m -count=1 ./...

test-short: deps
	$(GO) test -short -count=1 ./...

bench: bench-deps build
	$(GO) run ./bench

# Remakes the committed fixtures in testdata/ (needs ffmpeg and x264).
fixtures: bench-deps
	testdata/make-fixtures.sh

credentials: build
	@$(BIN) hash-password

clean:
	rm -rf bin
