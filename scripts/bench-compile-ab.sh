#!/usr/bin/env bash
# Compares two dwm binaries on the 10,000-model project of scripts/bench-compile.sh, as whole
# processes, alternating them run by run so both see the same machine load (docs/benchmarks.md,
# "The graph library, before and after"). Prints one line per run and the medians.
#
#   scripts/bench-compile-ab.sh OLD_DWM NEW_DWM [ROUNDS]     # ROUNDS defaults to 9
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OLD_DWM NEW_DWM [ROUNDS]" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2") rounds=${3:-9}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo"
go build -o "$work/compilebench" ./engine/bench/compilebench
# One untimed pass writes the project (and warms the page cache).
"$work/compilebench" -dwm "$new" -models 10000 -runs 1 -dbt-venv '' -dir "$work" >/dev/null
cd "$work/dwm-10000"
for _ in $(seq "$rounds"); do
	for v in old new; do
		bin=$old
		[ "$v" = new ] && bin=$new
		for c in compile ls; do
			# wall, user, system seconds and peak RSS (KB), as the kernel saw the process
			/usr/bin/time -f "$v $c %e %U %S %M" -o "$work/t" "$bin" "$c" >/dev/null
			cat "$work/t"
		done
	done
done | tee "$work/runs"
awk '
	{ k = $1 " " $2; n[k]++; wall[k, n[k]] = $3; cpu[k, n[k]] = $4 + $5; rss[k, n[k]] = $6 / 1024 }
	function median(a, k, m,   v, i, j, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		for (k in n) printf "%-12s median wall %.2f s, user+sys %.2f s, peak RSS %.0f MB (%d runs)\n", k, median(wall, k, n[k]), median(cpu, k, n[k]), median(rss, k, n[k]), n[k]
		for (c in n) if (c ~ /^new /) { o = "old " substr(c, 5); printf "%s: new/old user+sys %.3f, wall %.3f\n", substr(c, 5), median(cpu, c, n[c]) / median(cpu, o, n[o]), median(wall, c, n[c]) / median(wall, o, n[o]) }
	}' "$work/runs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
