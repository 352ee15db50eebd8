#!/usr/bin/env bash
# Measures what README "Why a C shim" reports: dlopen + first call of a NativeAOT pam_sm_authenticate
# in a fresh process, against the C shim's exec of the NativeAOT agent (verify --check-required).
#
#   deploy/pam/aot-comparison/run.sh AGENT_AOT_BINARY [RUNS=30]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AGENT=${1:?usage: run.sh AGENT_AOT_BINARY [RUNS]}
RUNS=${2:-30}
WORK=$(mktemp -d -t fleetmfa-aotpam.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
gcc -O2 -o "$WORK/harness" "$HERE/harness.c" -ldl
dotnet publish "$HERE/AotPam.csproj" -c Release -r linux-x64 -o "$WORK/out" -v q -nologo >&2
pct() { sort -n | awk -v name="$1" '{a[NR]=$1} END {printf "%s p50=%.1f ms p99=%.1f ms (n=%d)\n", name, a[int(NR*0.5+0.5)], a[int(NR*0.99+0.5)], NR}'; }
for _ in $(seq "$RUNS"); do "$WORK/harness" "$WORK/out/AotPam.so"; done | awk '{print ($1+$2)/1000}' | pct "nativeaot-module dlopen+first-call"
mkdir -p "$WORK/store"
for _ in $(seq "$RUNS"); do
    s=$(date +%s%N); "$AGENT" verify --user x --check-required --data-dir "$WORK/store" >/dev/null 2>&1 || true; e=$(date +%s%N)
    echo $(((e - s) / 1000)) | awk '{print $1/1000}'
done | pct "c-shim exec of the agent"
