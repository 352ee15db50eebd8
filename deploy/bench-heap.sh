#!/usr/bin/env bash
# Prints the managed (GC) heap of a .NET process after a full, blocking collection, in bytes, as the last line:
# dotnet-gcdump (a .NET diagnostics tool from NuGet, installed under deploy/.tools on first use) collects a heap
# snapshot, which forces the collection, and its report sums every live object.
#
#   deploy/bench-heap.sh PID
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PID=${1:-}
[[ "$PID" =~ ^[0-9]+$ ]] || fm_die "usage: deploy/bench-heap.sh PID"
TOOLS="$FM_DEPLOY/.tools"
if [[ ! -x "$TOOLS/dotnet-gcdump" ]]; then
    dotnet tool install dotnet-gcdump --version 10.0.750501 --tool-path "$TOOLS" >/dev/null || fm_die "could not install dotnet-gcdump"
fi
dump=$(mktemp -t fleetmfa-heap.XXXXXX.gcdump)
trap 'rm -f "$dump"' EXIT
"$TOOLS/dotnet-gcdump" collect -p "$PID" -o "$dump" >/dev/null
"$TOOLS/dotnet-gcdump" report "$dump" 2>/dev/null | awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; found = 1 } END { exit !found }'
