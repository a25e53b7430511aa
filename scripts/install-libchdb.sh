#!/usr/bin/env bash
# Installs libchdb (embedded ClickHouse) once into a cache outside the repo and prints its path.
# The library ships inside an npm package, so npm is the only tool this needs. Re-runs are free:
# the file is reused when present. Override the location with DWM_CACHE_DIR.
set -euo pipefail
version="${LIBCHDB_VERSION:-26.7.3-stable.1}"
pkg="@chdb/lib-linux-x64-gnu"
cache="${DWM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dwm}"
dest="$cache/libchdb/$version"
if [ -s "$dest/libchdb.so" ]; then echo "$dest/libchdb.so"; exit 0; fi
command -v npm >/dev/null || { echo "install-libchdb: npm is needed to fetch $pkg" >&2; exit 1; }
mkdir -p "$dest"
tmp=$(mktemp -d "$cache/libchdb/.dl.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
echo "install-libchdb: fetching $pkg@$version (about 180 MB, once)" >&2
(cd "$tmp" && npm pack --silent "$pkg@$version" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/libchdb.so
# Rename into place last so an interrupted download never leaves a half-written library behind.
mv "$tmp/package/libchdb.so" "$dest/libchdb.so.part" && mv "$dest/libchdb.so.part" "$dest/libchdb.so"
echo "$dest/libchdb.so"
