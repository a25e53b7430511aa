#!/usr/bin/env bash
# Installs one test tool into the cache (once; later calls only print the path) and prints its
# path. Tests call it through internal/testtools; `make test` runs it through them, so a fresh
# clone needs nothing installed by hand. The tools are real components the tests run against
# (an S3 server, ClickHouse clients, a browser), never part of dwm itself.
#
#   scripts/test-tool.sh versitygw   # S3 server binary (Go module proxy)
#   scripts/test-tool.sh python      # venv with the pinned clients of scripts/testtools/requirements.txt
#   scripts/test-tool.sh node        # node_modules of scripts/testtools/package.json (npm ci)
#   scripts/test-tool.sh chromium    # Debian's chromium (apt-get when missing)
#   scripts/test-tool.sh cc          # a C compiler for go test -race (Debian's gcc, apt-get when missing)
#
# The cache is ${DWM_CACHE_DIR:-$XDG_CACHE_HOME/dwm or ~/.cache/dwm}/tools; CI keeps it between runs.
set -euo pipefail
tool="${1:?usage: $0 versitygw|python|node|chromium|cc}"
repo=$(cd "$(dirname "$0")/.." && pwd)
cache="${DWM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dwm}/tools"
mkdir -p "$cache"
# One installer per tool at a time: go test runs packages in parallel and several may need it.
exec 9>"$cache/.lock-$tool"
flock 9

# key is a short hash of the files that pin a tool's versions, so a change re-installs it.
key() { cat "$@" | sha256sum | cut -c1-12; }

case "$tool" in
versitygw)
	version=v1.8.0
	dest="$cache/versitygw-$version"
	if [ ! -x "$dest/versitygw" ]; then
		echo "test-tool: building versitygw $version (a few minutes, once)" >&2
		rm -rf "$dest.part" && mkdir -p "$dest.part"
		GOBIN="$dest.part" CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
		rm -rf "$dest" && mv "$dest.part" "$dest"
	fi
	echo "$dest/versitygw"
	;;
python)
	req="$repo/scripts/testtools/requirements.txt"
	dest="$cache/python-$(key "$req")"
	# A venv hard-codes its own path, so it is built in place; .ok is written last, and a
	# folder without it (an interrupted install) is rebuilt.
	if [ ! -f "$dest/.ok" ]; then
		echo "test-tool: installing Python test clients (once)" >&2
		rm -rf "$dest"
		python3 -m venv "$dest" >&2
		"$dest/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
		touch "$dest/.ok"
	fi
	echo "$dest"
	;;
node)
	src="$repo/scripts/testtools"
	dest="$cache/node-$(key "$src/package.json" "$src/package-lock.json")"
	if [ ! -d "$dest/node_modules" ]; then
		echo "test-tool: installing Node.js test clients (once)" >&2
		rm -rf "$dest.part" && mkdir -p "$dest.part"
		cp "$src/package.json" "$src/package-lock.json" "$dest.part/"
		(cd "$dest.part" && npm ci --silent --no-audit --no-fund >&2)
		rm -rf "$dest" && mv "$dest.part" "$dest"
	fi
	echo "$dest"
	;;
chromium)
	if ! command -v chromium >/dev/null; then
		echo "test-tool: installing Debian's chromium (once)" >&2
		sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2 ||
			{ $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2; }
	fi
	command -v chromium
	;;
cc)
	# The race detector needs cgo; cgo needs a C compiler and the C library's headers.
	if ! command -v gcc >/dev/null || [ ! -f /usr/include/stdlib.h ]; then
		echo "test-tool: installing Debian's gcc for go test -race (once)" >&2
		sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev >&2 ||
			{ $sudo apt-get update -q >&2 && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q gcc libc6-dev >&2; }
	fi
	command -v gcc
	;;
*)
	echo "test-tool: unknown tool $tool" >&2
	exit 2
	;;
esac
