#!/usr/bin/env bash
# `dwm ls` of the 10,000-model project of scripts/bench-compile.sh, as whole processes, with and
# without the listing cache (docs/benchmarks.md, "dwm ls and the listing cache"). Each round runs,
# one after the other so all see the same machine load:
#   base   OLD_DWM ls                      (a dwm without the cache, or any baseline binary)
#   parse  NEW_DWM ls --no-partial-parse   (parses every file, like base)
#   hit    NEW_DWM ls                      (unchanged project: read from target/cache/listing)
#   miss   NEW_DWM ls after a model changed (parses, then writes the cache)
# Before each miss one model file gets a comment appended and the script waits out the racy
# window (2 s), so the miss writes a cache as it would for a user who saved a file a moment ago.
# Every output is compared with the baseline's: a listing that differs stops the script.
#
#   scripts/bench-ls.sh OLD_DWM NEW_DWM [ROUNDS]     # ROUNDS defaults to 11
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_DWM NEW_DWM [ROUNDS]" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2") rounds=${3:-11}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
go build -o "$work/compilebench" ./engine/bench/compilebench
"$work/compilebench" -dwm "$new" -models 10000 -runs 1 -dbt-venv '' -dir "$work" >/dev/null
cd "$work/dwm-10000"
models=(models/*/*.sql)
model=${models[0]}
sleep 2.1 # the generated files, past the racy window
"$new" ls >/dev/null # writes the cache
timed() { # name, command...
	local name=$1
	shift
	/usr/bin/time -f "$name %e %U %S %M" -o "$work/t" "$@" >"$work/out"
	cat "$work/t"
	cmp -s "$work/out" "$work/want" || { echo "$name: the listing differs from the baseline's" >&2; exit 1; }
}
for i in $(seq "$rounds"); do
	"$old" ls >"$work/want"
	timed base "$old" ls
	timed parse "$new" ls --no-partial-parse
	timed hit "$new" ls
	echo "-- round $i" >>"$model"
	sleep 2.1
	"$old" ls >"$work/want"
	timed miss "$new" ls
done | tee "$work/runs"
awk '
	{ n[$1]++; wall[$1, n[$1]] = $2; cpu[$1, n[$1]] = $3 + $4; rss[$1, n[$1]] = $5 / 1024 }
	function median(a, k, m,   v, i, j, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		for (k in n) { w[k] = median(wall, k, n[k]); c[k] = median(cpu, k, n[k]); printf "%-6s median wall %.3f s, user+sys %.2f s, peak RSS %.0f MB (%d runs)\n", k, w[k], c[k], median(rss, k, n[k]), n[k] }
		for (k in n) if (k != "base") printf "%s / base: wall %.3f, user+sys %.3f\n", k, w[k] / w["base"], c[k] / c["base"]
	}' "$work/runs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
