#!/usr/bin/env bash
# Hand-out latency through the controller while it reloads a 10,000-object config, before and after the
# config-source seam, in one run: HandoutReload is built twice, here and in a copy of the commit before the seam
# (with this benchmark package copied in and DISPO_RELOAD_BEFORE=1, so its load runs as `loadConfig` did, on the
# controller's actor), then both run on the same generated directory.
#
# Environment (all optional):
#   BASE                the commit before the seam (default 3598afc)
#   BEFORE_TREE         where the copy of BASE lives and is built (default $TMPDIR/dispo-reload-before-<BASE>;
#                       kept, so later runs build incrementally)
#   DISPO_BENCH_CONFIG  config directory to reload instead of generating one (10,000 objects)
#   SWIFT               the swift driver (default swift)
# Arguments go to HandoutReload (--requests N, --batch N).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$(dirname "$here")"
root="$(dirname "$bench")"
SWIFT="${SWIFT:-swift}"
base="$(git -C "$root" rev-parse --short=12 "${BASE:-3598afc}^{commit}")"
before="${BEFORE_TREE:-${TMPDIR:-/tmp}/dispo-reload-before-$base}"

if [ ! -f "$before/Package.swift" ]; then
    mkdir -p "$before"
    git -C "$root" archive "$base" | tar -x -C "$before"
fi
# The same measurement on both sides: this benchmark package replaces the copy's (its build folder stays).
find "$before/Benchmarks" -mindepth 1 -maxdepth 1 ! -name .build -exec rm -rf {} +
tar -C "$bench" --exclude=./.build -cf - . | tar -C "$before/Benchmarks" -xf -

echo "== building HandoutReload (after: this tree)" >&2
"$SWIFT" build -c release --package-path "$bench" --product HandoutReload >&2
echo "== building HandoutReload (before: $base in $before)" >&2
DISPO_RELOAD_BEFORE=1 "$SWIFT" build -c release --package-path "$before/Benchmarks" --product HandoutReload >&2

work="$(mktemp -d "${TMPDIR:-/tmp}/dispo-reload.XXXXXX")"
trap 'rm -rf "$work"' EXIT
if [ -z "${DISPO_BENCH_CONFIG:-}" ]; then
    python3 "$bench/load/generate.py" "$work/config" >&2
    export DISPO_BENCH_CONFIG="$work/config"
fi

"$before/Benchmarks/.build/release/HandoutReload" "$@"
"$bench/.build/release/HandoutReload" "$@"
