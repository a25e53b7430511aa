#!/bin/sh
# Makes DEST a copy of the example leagues project that reads the CDC tool's tables instead of CDC
# files: the staging models go, examples/cdc-tools/ replaces the history models, event_stream and
# the two singular tests that read file ledgers (docs/warehouse.md, "Fed by a CDC tool").
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 DEST" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$1
mkdir -p "$dest"
for p in project.yml models tests macros seeds; do
	if [ -e "$root/$p" ]; then
		cp -R "$root/$p" "$dest/"
	fi
done
rm -rf "$dest/models/staging"
cp -R "$root/examples/cdc-tools/." "$dest/"
echo "wrote $dest: build it with dwm build --vars '{cdc_tool: peerdb}' (or debezium) after dwm generate --sink TARGET --cdc-format peerdb"
