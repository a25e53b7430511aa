#!/usr/bin/env bash
# Benchmarks the leagues warehouse on the server path against the embedded engine, in one run
# (docs/benchmarks-warehouse.md, "Server and object storage"): generates the weeks once, then for
# each week delivers its files to both sides and builds
#   - embedded: the chDB target reading the files from local disk (file()), and
#   - server:   a type: clickhouse, protocol: http target (dwm serve in another process) reading
#               them from a real S3 server (versitygw on loopback, filled through the S3 API),
# one after the other with --threads 1, and prints seconds per week and phase for both and their
# ratio (server / embedded). The last week's `dwm checksum` of both must agree.
#
#   scripts/bench-server.sh OUT [dwm generate flags...]
#   scripts/bench-server.sh /tmp/bench-srv --weeks 4 --initial-users 100000 --weekly-signups 3000
#
# Needs bin/dwm (make build), go, jq and bash's /dev/tcp. KEEP_DATA=1 keeps OUT's data.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [dwm generate flags...]" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
repo=$(cd "$(dirname "$0")/.." && pwd)
dwm="${DWM:-$repo/bin/dwm}"
[ -x "$dwm" ] || { echo "bench-server: build bin/dwm first (make build)" >&2; exit 1; }
vgw=$("$repo/scripts/test-tool.sh" versitygw)
s3put="$out/s3put"
(cd "$repo" && CGO_ENABLED=0 go build -o "$s3put" ./internal/s3test/s3put)

rm -rf "$out/gen" "$out/s3" "$out/serve" "$out/embedded" "$out/server" "$out"/*.jsonl
mkdir -p "$out/s3"
echo "bench-server: dwm generate $*" >&2
"$dwm" generate -q --out "$out/gen/cdc" "$@" >"$out/generate.log"

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
	done
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- -"$p" 2>/dev/null || true; done; }
trap cleanup EXIT

s3port=$(free_port)
export AWS_ENDPOINT_URL=http://127.0.0.1:$s3port AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=bench-secret-0123456789
ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY setsid "$vgw" --port "127.0.0.1:$s3port" posix "$out/s3" \
	>"$out/versitygw.log" 2>&1 &
pids+=($!)
setsid "$dwm" serve --path "$out/serve" --port 0 >"$out/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	port=$(sed -n 's#.*listening on http://127.0.0.1:\([0-9]*\).*#\1#p' "$out/serve.log")
	[ -n "$port" ] && (echo >/dev/tcp/127.0.0.1/$s3port) 2>/dev/null && break
	sleep 0.2
done
[ -n "${port:-}" ] || { echo "bench-server: dwm serve did not start (see $out/serve.log)" >&2; exit 1; }

for side in embedded server; do
	mkdir -p "$out/$side"
	for p in project.yml models tests macros seeds; do
		[ -e "$repo/$p" ] && cp -r "$repo/$p" "$out/$side/"
	done
done
sed -i "s#^targets:#targets:\n  srv: {type: clickhouse, protocol: http, host: 127.0.0.1, port: $port, database: duolingo}#" "$out/server/project.yml"

# phases turns a build's run_results.json into JSON lines {side, week, phase, seconds}.
phases() {
	local side=$1 week=$2 dir=$3
	jq -c --arg side "$side" --argjson week "$week" --slurpfile m "$dir/target/manifest.json" '
		.results[] | . as $r | ($m[0].nodes[$r.unique_id]) as $n
		| {side: $side, week: $week, seconds: $r.execution_time,
		   phase: (if $n.resource_type == "model" then $n.config.materialized else $n.resource_type end)}' \
		"$dir/target/run_results.json"
}

weeks=$(cd "$out/gen/cdc" && ls -d w[0-9]* | grep -v w000)
w=0
for d in $weeks; do
	w=$((w + 1))
	dirs="$d"; [ $w = 1 ] && dirs="w000 $d"
	for x in $dirs; do
		mkdir -p "$out/embedded/data/cdc" && cp -r "$out/gen/cdc/$x" "$out/embedded/data/cdc/"
		"$s3put" lake "cdc/$x" "$out/gen/cdc/$x" >/dev/null
	done
	for side in embedded server; do
		args=(--threads 1)
		[ $side = server ] && args+=(--target srv --vars '{cdc_dir: s3://lake/cdc}')
		echo "bench-server: week $w, $side" >&2
		s=$(date +%s%N)
		"$dwm" build --project-dir "$out/$side" "${args[@]}" >"$out/$side-w$w.log" 2>&1 ||
			{ echo "bench-server: week $w $side failed (see $out/$side-w$w.log)" >&2; exit 1; }
		e=$(date +%s%N)
		phases $side $w "$out/$side" >>"$out/phases.jsonl"
		jq -nc --arg side $side --argjson week $w --argjson ns $((e - s)) '{side: $side, week: $week, phase: "build", seconds: ($ns / 1e9)}' >>"$out/phases.jsonl"
	done
done

"$dwm" checksum --project-dir "$out/embedded" --ignore-columns inserted_at,_file >"$out/embedded.sums"
"$dwm" checksum --project-dir "$out/server" --target srv --ignore-columns inserted_at,_file >"$out/server.sums"
if cmp -s "$out/embedded.sums" "$out/server.sums"; then same=yes; else same=NO; fi

{
	echo "week  phase  embedded_s  server_s  server/embedded"
	jq -rs '
		def f: . * 100 | round / 100 | tostring;
		group_by(.week)[] | group_by(.phase)[]
		| (map(select(.side == "embedded") | .seconds) | add // 0) as $e
		| (map(select(.side == "server") | .seconds) | add // 0) as $s
		| "\(.[0].week)  \(.[0].phase)  \($e|f)  \($s|f)  \(if $e > 0 then ($s / $e | f) else "-" end)"' "$out/phases.jsonl"
	echo "last week's checksums equal (leaving out inserted_at, _file): $same"
} | tee "$out/summary.txt"
if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$out/gen" "$out/s3" "$out/serve" "$out/embedded/.dwm" "$out/embedded/data"; fi
[ $same = yes ]
