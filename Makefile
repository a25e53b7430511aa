# dwm's two entry points are `make demo` and `make test` (see README.md). Everything they need is
# installed by these rules: Go modules by the go command, libchdb by `dwm engine install`.
GO      ?= go
BIN     := bin/dwm
export CGO_ENABLED ?= 0

.PHONY: setup build demo test bench clean cross crash-sweep

# Installs the pinned libchdb into ~/.cache/dwm once (npm fetches it; see docs/engine.md).
setup: build
	@$(BIN) engine install >/dev/null

build:
	$(GO) build -o $(BIN) ./cmd/dwm

# The demo: simulate four weeks of the leagues backend and build the warehouse after each week.
demo: setup
	$(BIN) simulate --weeks 4

# The packages where goroutines share state (the runner's workers, the embedded engine's
# connection pool and cancellation, dwm serve, the server target, the session) run under the
# race detector, and so does the CLI test that runs `dwm serve` and `dwm build` as two race-built
# processes; the plain run skips them, as running them twice would assert nothing more (no
# package has cgo-only code: the race build differs only by its instrumentation). -race needs
# cgo, so a C compiler (scripts/test-tool.sh cc installs Debian's gcc when missing); everything
# else builds without.
RACE_PKGS := ./engine/runner ./engine/warehouse/... ./engine/serve/... ./engine/session
RACE_CLI  := ^TestServeAndRunAgainstIt$$
# e2e is listed first: go test starts ready packages in the order given (at most -p, the number
# of cores, at once), and e2e, the longest, would otherwise wait for a slot until a package
# before it finishes, which puts that package's time on CI's critical path.
E2E_PKG    := ./e2e
PLAIN_PKGS = $(shell $(GO) list $(E2E_PKG)) $(filter-out $(shell $(GO) list $(RACE_PKGS) $(E2E_PKG)),$(shell $(GO) list ./...))

# TEST_TIMEOUT catches a hung test, it is not a speed target (the CI budget is; see
# docs/status.md for measured times): e2e, the slowest package, needs about 21 CPU-minutes (11.5
# minutes alone on 2 idle cores) and took over 40 minutes on a machine shared by 7 builds.
TEST_TIMEOUT ?= 45m

# The race run goes alongside the plain one: the CI budget is CPU-bound, and the plain run leaves
# a core partly idle while its last package (e2e) finishes. Its output follows the plain run's;
# either failing fails the target.
test: setup cross
	$(GO) vet ./...
	race_log=$$(mktemp) || exit 1; \
	( CC=$$(scripts/test-tool.sh cc) && export CC CGO_ENABLED=1 && \
	  $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(RACE_PKGS) && \
	  $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -run '$(RACE_CLI)' ./cmd/dwm/cli ) >"$$race_log" 2>&1 & \
	race=$$!; \
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -skip '$(RACE_CLI)' $(PLAIN_PKGS); plain=$$?; \
	wait $$race; raced=$$?; \
	echo "--- under the race detector:"; cat "$$race_log"; rm -f "$$race_log"; \
	[ $$plain -eq 0 ] && [ $$raced -eq 0 ]

# The exhaustive crash sweep (not in make test): kill the build of three pending weeks before
# every statement of its reference run and compare every relation after a plain re-run
# (docs/materializations.md, "Killed in the middle of a statement"). SWEEP=full-refresh does the
# interrupted full refresh; SWEEP_STEP=7 kills before every 7th statement only.
SWEEP      ?= build
SWEEP_STEP ?= 1
crash-sweep: build
	$(GO) test -count=1 -timeout 0 -parallel 2 -run '^TestCrashSweep$$' ./e2e -sweep $(SWEEP) -sweep-step $(SWEEP_STEP)

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
