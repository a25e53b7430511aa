# dwm's two entry points are `make demo` and `make test` (see README.md). Everything they need is
# installed by these rules: Go modules by the go command, libchdb by `dwm engine install`.
GO      ?= go
BIN     := bin/dwm
export CGO_ENABLED ?= 0

.PHONY: setup build demo test bench clean cross

# Installs the pinned libchdb into ~/.cache/dwm once (npm fetches it; see docs/engine.md).
setup: build
	@$(BIN) engine install >/dev/null

build:
	$(GO) build -o $(BIN) ./cmd/dwm

# The demo: simulate four weeks of the leagues backend and build the warehouse after each week.
demo: setup
	$(BIN) simulate --weeks 4

test: setup cross
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

# dwm's four platforms must build with CGO_ENABLED=0, and the packages holding platform-specific
# code (library loading, file locks) must vet, on each. Only linux/amd64 is run here (README).
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
cross:
	@for p in $(PLATFORMS); do \
		echo "cross-build and vet for $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/dwm && \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./engine/warehouse/... || exit 1; \
	done

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin target .dwm
