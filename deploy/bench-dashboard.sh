#!/usr/bin/env bash
# Measures the dashboard's devices view in Debian's Chromium for an org of N devices: starts its
# own Azurite and silo (the end-to-end fixture, free loopback ports), seeds N devices through the
# API, then times a full load of the devices view, the next page and a filter, and the API calls
# behind them. Figures are printed and written to $FLEETMFA_TEST_RESULTS/dashboard-bench.txt
# (default TestResults/).
#
#   deploy/bench-dashboard.sh [N=100000]
#
# FLEETMFA_DASHBOARD_BENCH_SEED_MINUTES caps the seeding time (default 240); on a busy machine the
# org is then measured at the size reached, which the report states.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEVICES=${1:-100000}
[[ "$DEVICES" =~ ^[0-9]+$ ]] && ((DEVICES > 0)) || fm_die "N must be a positive number of devices"
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt chromium
fm_ensure_azurite

RESULTS=${FLEETMFA_TEST_RESULTS:-$FM_REPO/TestResults}
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
export FLEETMFA_TEST_RESULTS=$RESULTS PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 FLEETMFA_DASHBOARD_BENCH_DEVICES=$DEVICES
unset FLEETMFA_TEST_STORAGE

cd "$FM_REPO"
fm_run_group dotnet build tests/FleetMfa.EndToEnd -c Release -v q /nologo
fm_run_group dotnet test tests/FleetMfa.EndToEnd --no-build -c Release \
    --filter "FullyQualifiedName~DevicesViewLoadBenchmark" --logger "console;verbosity=detailed"
cat "$RESULTS/dashboard-bench.txt"
