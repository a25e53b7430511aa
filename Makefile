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

test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin target .dwm
