#!/usr/bin/env bash
# Kept so old instructions still work: the installer is `dwm engine install` (docs/engine.md),
# which needs no checkout. This builds dwm from this checkout and runs it; like before, it prints
# the library's path and does nothing when the library is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/dwm ./cmd/dwm
exec bin/dwm engine install "$@"
