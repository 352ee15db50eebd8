#!/usr/bin/env bash
# Builds the device agent as a NativeAOT binary for linux-x64: one small file, no .NET runtime
# needed on the device. Any trimming or AOT warning fails the build.
#
#   deploy/build-agent.sh [OUTPUT_DIR]     (default deploy/.out/agent/linux-x64)
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=${1:-$FM_DEPLOY/.out/agent/linux-x64}
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
# ILC links with clang; zlib is needed by the runtime's compression support.
fm_ensure_apt clang zlib1g-dev

mkdir -p "$OUT"
LOG="$OUT/publish.log"
start=$(fm_now_ms)
fm_log "publishing fleetmfa-agent (NativeAOT, linux-x64) into $OUT ..."
if ! dotnet publish "$FM_REPO/agent/FleetMfa.Agent" -c Release -r linux-x64 \
    -p:PublishAot=true -p:StripSymbols=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -o "$OUT" -v q /nologo >"$LOG" 2>&1; then
    cat "$LOG" >&2
    fm_die "NativeAOT publish failed (log: $LOG)"
fi
if grep -qiE '(^|[^a-z])warning ' "$LOG"; then
    grep -iE '(^|[^a-z])warning ' "$LOG" | sort -u >&2
    fm_die "NativeAOT publish produced warnings (log: $LOG)"
fi
size=$(stat -c %s "$OUT/fleetmfa-agent")
fm_log "built $OUT/fleetmfa-agent ($((size / 1024)) KiB) in $(fm_elapsed "$start")s, no trimming/AOT warnings"
