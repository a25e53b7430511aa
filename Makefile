# dwm's two entry points are `make demo` and `make test` (see README.md). Everything they need is
# installed by these rules: Go modules by the go command, libchdb by scripts/install-libchdb.sh.
GO      ?= go
BIN     := bin/dwm
export CGO_ENABLED ?= 0

.PHONY: setup build demo test bench clean

setup: build
	@scripts/install-libchdb.sh >/dev/null

build:
	$(GO) build -o $(BIN) ./cmd/dwm

# The demo: simulate four weeks of the leagues backend and build the warehouse after each week.
demo: setup
	$(BIN) simulate --weeks 4

# The packages where goroutines share state (the runner's workers, the embedded engine's
# connection pool and cancellation, dwm serve, the server target, the session) run again under
# the race detector, and so does the CLI test that runs `dwm serve` and `dwm build` as two
# race-built processes. -race needs cgo, so a C compiler (scripts/test-tool.sh cc installs
# Debian's gcc when missing); everything else builds without.
RACE_PKGS := ./engine/runner ./engine/warehouse/... ./engine/serve/... ./engine/session

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	CC=$$(scripts/test-tool.sh cc) && export CC CGO_ENABLED=1 && \
	$(GO) test -race -count=1 -timeout 20m $(RACE_PKGS) && \
	$(GO) test -race -count=1 -timeout 20m -run '^TestServeAndRunAgainstIt$$' ./cmd/dwm/cli

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin target .dwm
