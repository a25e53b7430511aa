#!/usr/bin/env bash
# Benchmarks the leagues warehouse end to end (docs/benchmarks-warehouse.md): copies the example
# project into OUT/project, runs `dwm simulate --threads 1 --timings` there under /usr/bin/time -v,
# times a raw chDB load of the last week's event_stream.csv as the fact-load baseline, prints
# per-week and per-phase timings, then deletes the generated data unless KEEP_DATA=1.
#
#   scripts/bench-warehouse.sh OUT [dwm simulate flags...]
#   scripts/bench-warehouse.sh /tmp/bench-1m --weeks 4 --initial-users 1000000 --weekly-signups 30000
#
# --threads 1 runs one node at a time so each phase's time is its own (ClickHouse still uses every
# core inside a statement). Needs bin/dwm (make build), jq and GNU time (STATEMENTS=1, RSS=1: perl).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 OUT [dwm simulate flags...]" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd); shift
repo=$(cd "$(dirname "$0")/.." && pwd)
dwm="${DWM:-$repo/bin/dwm}"
[ -x "$dwm" ] || { echo "bench-warehouse: build bin/dwm first (make build)" >&2; exit 1; }

proj="$out/project"
rm -rf "$proj" && mkdir -p "$proj"
for p in project.yml models tests macros seeds; do
	[ -e "$repo/$p" ] && cp -r "$repo/$p" "$proj/"
done
timings="$out/timings.jsonl"
# ERASE_WITHIN=D gives the data subject (users) an erasure window (docs/gdpr.md, "Erasure window"):
# upstream deletions are scrubbed once they have waited D/2, sharing one rewrite per table.
if [ -n "${ERASE_WITHIN:-}" ]; then
	yml="$proj/models/history/history.yml"
	sed -i "s/^    meta: {pii_subject: true}\$/    meta: {pii_subject: true, pii_erase_within: $ERASE_WITHIN}/" "$yml"
	grep -q "pii_erase_within: $ERASE_WITHIN}" "$yml" || { echo "bench-warehouse: no subject meta to set ERASE_WITHIN in $yml" >&2; exit 1; }
fi

# STATEMENTS=1: time every statement (needs perl): dwm logs each statement before it runs
# (DWM_STATEMENT_LOG) into a FIFO that perl stamps with the time it arrives, so a statement lasts
# until the next one of its node starts. OUT/statements.tsv is "time, index, node, SQL"; the
# summary splits the scd2 nodes' time into their own statements and the erasure the subject model
# runs after it is built (docs/gdpr.md), which the node's time includes.
stamps="$out/statements.tsv"
rm -f "$stamps"
if [ "${STATEMENTS:-0}" = 1 ]; then
	fifo="$out/statements.fifo"
	rm -f "$fifo" && mkfifo "$fifo"
	perl -MTime::HiRes=time -e 'open(my $in, "+<", $ARGV[0]) or die "$ARGV[0]: $!"; $| = 1; while (<$in>) { printf "%.4f\t%s", time, $_ }' \
		"$fifo" >"$stamps" &
	stamper=$!
	export DWM_STATEMENT_LOG="$fifo"
fi

# RSS=1: sample the resident memory of the dwm process every 0.1 s (needs perl) into OUT/rss.tsv
# ("time, kB"); with STATEMENTS=1 as well, the summary names the statements during which it
# peaked (the 200k and 1M memory profiles of docs/benchmarks-warehouse.md, "Seventh session").
rss="$out/rss.tsv"
rm -f "$rss"
echo "bench-warehouse: dwm simulate --threads 1 $* (log: $out/simulate.log)" >&2
status=0
/usr/bin/time -v -o "$out/time.txt" "$dwm" simulate --project-dir "$proj" --threads 1 --timings "$timings" "$@" \
	>"$out/simulate.log" 2>&1 &
timed=$!
if [ "${RSS:-0}" = 1 ]; then
	# /usr/bin/time's child is the dwm process.
	for _ in $(seq 100); do dwmpid=$(pgrep -P "$timed" | head -1) && break; sleep 0.05; done
	[ -n "${dwmpid:-}" ] && perl -MTime::HiRes=time,sleep -e '$| = 1; while (open(my $f, "<", "/proc/$ARGV[0]/status")) {
		my ($l) = grep { /^VmRSS:/ } <$f>; close $f; printf "%.4f\t%d\n", time, ($l =~ /(\d+)/)[0]; sleep 0.1 }' "$dwmpid" >"$rss" &
fi
wait "$timed" || status=$?
if [ -n "${stamper:-}" ]; then
	sleep 1
	kill "$stamper" 2>/dev/null || true
	rm -f "$fifo"
	unset DWM_STATEMENT_LOG
fi

# Baseline: the same CSV as the last week's fact load, loaded by chDB with nothing else
# (CREATE TABLE ... AS SELECT * FROM file()), through a one-model project on its own warehouse.
last=$(ls -d "$proj"/data/cdc/w[0-9]* 2>/dev/null | tail -1)
if [ -n "$last" ] && [ -f "$last/event_stream.csv" ]; then
	base="$out/baseline"
	rm -rf "$base" && mkdir -p "$base/models"
	printf 'name: baseline\ntarget: dev\ntargets:\n  dev: {type: chdb, path: .dwm/dev, database: baseline}\n' >"$base/project.yml"
	printf '{{ config "materialized" "table" "order_by" "tuple()" }}\nSELECT * FROM file(%s, %s)\n' \
		"'$last/event_stream.csv'" "'CSVWithNames'" >"$base/models/raw_event_stream.sql"
	"$dwm" build --project-dir "$base" >"$out/baseline.log" 2>&1 || status=$?
	jq -c '.results[] | {phase: "baseline_raw_load", node: .unique_id, seconds: .execution_time, rows: .rows_affected}' \
		"$base/target/run_results.json" >"$out/baseline.jsonl" || true
	rm -rf "$base/.dwm"
fi
if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$proj/data" "$proj/.dwm"; fi

[ -s "$timings" ] || { echo "bench-warehouse: no timings written (see $out/simulate.log)" >&2; exit 1; }
{
	echo "week  generate  staging  scd2  fact(events/s)  user_activity  marts  tests  build"
	jq -rs '
		def s(p): map(select(.phase == p) | .seconds) | add // 0;
		def f: . * 100 | round / 100 | tostring;
		group_by(.week)[] | (map(select(.phase == "fact")) | first) as $fact
		| "\(.[0].week)  \(s("generate")|f)  \(s("staging")|f)  \(s("scd2")|f)  \(s("fact")|f)(\(if $fact then ($fact.rows / $fact.seconds | round) else 0 end))  \(s("incremental")|f)  \(s("table") + s("view")|f)  \(s("test")|f)  \(s("build")|f)"' "$timings"
	jq -rs '
		def scd2(w): map(select(.week == w and .phase == "scd2") | .seconds) | add // 0;
		(map(.week) | max) as $n
		| if $n >= 2 then "scd2 week \($n) / week 2: \(scd2($n) / scd2(2) * 100 | round / 100)" else empty end' "$timings"
	jq -rs '
		def s(w; p): map(select(.week == w and .phase == p) | .seconds) | add // 0;
		(map(.week) | max) as $n
		| if $n >= 2 and s(1; "test") > 0 and s(1; "fact") > 0 then
			"tests week \($n) / week 1: \(s($n; "test") / s(1; "test") * 100 | round / 100)" +
			" (divided by the same weeks'"'"' fact loads: \((s($n; "test") / s($n; "fact")) / (s(1; "test") / s(1; "fact")) * 100 | round / 100))"
		  else empty end' "$timings"
	if [ -s "$stamps" ]; then
		# Weeks start where the first node of the run comes round again.
		awk -F'\t' -v nodes="$(jq -r 'select(.phase == "scd2") | .node' "$timings" | sort -u | paste -sd,)" '
			BEGIN { n = split(nodes, a, ","); for (i = 1; i <= n; i++) scd2[a[i]] = 1 }
			NR == 1 { first = $3 }
			{ if ($3 == first && prev != first) week++; prev = $3 }
			NR > 1 && pnode == $3 && scd2[pnode] { if (perase) er[pweek] += $1 - pt; else own[pweek] += $1 - pt }
			{ pt = $1; pnode = $3; pweek = week
			  perase = ($4 ~ /dwm_erasure_log|^ALTER TABLE [^ ]+ UPDATE |FROM system[.]columns AS c INNER JOIN system[.]tables/) }
			END { print "week  scd2 statements  erasure after the subject model (in the scd2 phase)"
			      for (w = 1; w <= week; w++) printf "%d  %.2f  %.2f\n", w, own[w], er[w]
			      if (week >= 2 && own[2] > 0) printf "scd2 statements week %d / week 2: %.2f\n", week, own[week] / own[2] }' "$stamps"
		# The erasure's own statements in every node (a model's own scrub after its build, too; with an
		# erasure window a table is often scrubbed there): the scrubbing mutations, the counts of what
		# is left, the log and the target lookup; not the loads, which read the log to blank rows.
		awk -F'\t' '
			NR == 1 { first = $3 }
			{ if ($3 == first && prev != first) week++; prev = $3 }
			NR > 1 && pnode == $3 { if (pupd) up[pweek] += $1 - pt; if (pother) ot[pweek] += $1 - pt }
			{ pt = $1; pnode = $3; pweek = week; q = $4; sub(/^(\/\*[^*]*\*\/ *)*/, "", q)
			  pupd = (q ~ /^ALTER TABLE [^ ]+ UPDATE /)
			  pother = !pupd && ((q ~ /^SELECT count(If)?\(/ && q ~ /dwm_erasure_log/) || q ~ /^(INSERT INTO|CREATE TABLE IF NOT EXISTS) [^ ]*dwm_erasure_log/ ||
			                     q ~ /FROM system[.]columns AS c INNER JOIN system[.]tables/) }
			END { print "week  erasure in every node: scrubbing mutations  counts, log, lookups"
			      for (w = 1; w <= week; w++) { printf "%d  %.2f  %.2f\n", w, up[w], ot[w]; tu += up[w]; to += ot[w] }
			      printf "erasure, all weeks: mutations %.1f s, the rest %.1f s\n", tu, to }' "$stamps"
	fi
	if [ -s "$stamps" ] && [ -s "$rss" ]; then
		# Each sample belongs to the statement logged last before it; per statement the highest
		# sample and how far it rose above the one before the statement began.
		sort -n -k1,1 <(awk -F'\t' '{ print $1 "\tS\t" $3 "\t" substr($4, 1, 110) }' "$stamps") \
			<(awk -F'\t' '{ print $1 "\tR\t" $2 }' "$rss") | awk -F'\t' '
			$2 == "S" { cur = $3 "  " $4; if (!(cur in top)) { top[cur] = 0; rise[cur] = 0 } start = last; next }
			{ last = $3; if (cur != "" && $3 > top[cur]) { top[cur] = $3; if ($3 - start > rise[cur]) rise[cur] = $3 - start } }
			END { for (k in top) printf "%d\t%d\t%s\n", top[k] / 1024, rise[k] / 1024, k }' |
			sort -rn | awk -F'\t' 'BEGIN { print "peak RSS by statement (MB, rise over its start, node, SQL):" } NR <= 8 { printf "  %6d  +%5d  %s\n", $1, $2, $3 }'
	fi
	if [ -s "$out/baseline.jsonl" ]; then
		jq -r '"baseline raw load of the last event_stream.csv: \(.seconds * 100 | round / 100)s, \(.rows) rows, \(.rows / .seconds | round) rows/s"' "$out/baseline.jsonl"
	fi
	grep -E 'Maximum resident set size|Elapsed \(wall' "$out/time.txt" || true
} | tee "$out/summary.txt"
exit "$status"
