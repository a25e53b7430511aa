#!/usr/bin/env bash
# Benchmarks `dwm compile` and `dwm ls` as whole processes on generated projects (docs/benchmarks.md),
# side by side with `dbt parse --no-partial-parse` (dbt-core 1.10 + dbt-clickhouse, the venv of
# scripts/test-tool.sh python) on the same project written for dbt, and with a bare text/template
# parse+execute of the same files. Prints medians, min–max, CPU time, peak RSS, the load average
# before and after, and the ratios measured in the same run.
#
#   scripts/bench-compile.sh                      # 1,000 and 10,000 models
#   scripts/bench-compile.sh -models 10000 -runs 11 -dbt-venv ''   # dwm only
#
# Flags go to engine/bench/compilebench (-models, -runs, -dbt-runs, -dbt-max-runs-10k, -dir).
# dbt parse of 10,000 models takes many minutes; it runs once unless -dbt-max-runs-10k says more.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
go build -o bin/dwm ./cmd/dwm
go build -o bin/compilebench ./engine/bench/compilebench
venv=$(scripts/test-tool.sh python)
exec bin/compilebench -dwm bin/dwm -dbt-venv "$venv" "$@"
