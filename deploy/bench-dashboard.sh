#!/usr/bin/env bash
# Measures the dashboard's devices view in Debian's Chromium: a full load of the devices view, the next page and a
# filter, and the API calls behind them. Figures are printed and written to $FLEETMFA_TEST_RESULTS/dashboard-bench.txt
# (default TestResults/).
#
#   deploy/bench-dashboard.sh [N=100000]         its own Azurite and silo (the end-to-end fixture, free loopback
#                                                ports), N devices seeded through the API
#   deploy/bench-dashboard.sh --url URL --org ORG
#                                                an org that already exists on a running silo (deploy/bench.sh scale
#                                                measures its 100,000-device org this way); the admin key is read from
#                                                FLEETMFA_DASHBOARD_BENCH_KEY, never from the command line
#
# FLEETMFA_DASHBOARD_BENCH_SEED_MINUTES caps the seeding time (default 240); on a busy machine the
# org is then measured at the size reached, which the report states.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEVICES=100000 URL="" ORG=""
while (($#)); do
    case $1 in
    --url)
        [[ "${2:-}" =~ ^http://127\.0\.0\.1:[0-9]+/?$ ]] || fm_die "--url takes http://127.0.0.1:PORT"
        URL=$2
        shift 2
        ;;
    --org)
        [[ "${2:-}" =~ ^[a-z0-9][a-z0-9._-]*$ ]] || fm_die "--org takes an org id"
        ORG=$2
        shift 2
        ;;
    -h | --help)
        sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        [[ "$1" =~ ^[0-9]+$ ]] && (($1 > 0)) || fm_die "N must be a positive number of devices (see --help)"
        DEVICES=$1
        shift
        ;;
    esac
done
if [[ -n "$URL" ]]; then
    [[ -n "$ORG" ]] || fm_die "--url needs --org"
    [[ -n "${FLEETMFA_DASHBOARD_BENCH_KEY:-}" ]] || fm_die "--url needs the silo's admin key in FLEETMFA_DASHBOARD_BENCH_KEY"
    export FLEETMFA_DASHBOARD_BENCH_URL=$URL FLEETMFA_DASHBOARD_BENCH_ORG=$ORG
fi
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt chromium
fm_ensure_azurite

RESULTS=${FLEETMFA_TEST_RESULTS:-$FM_REPO/TestResults}
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
export FLEETMFA_TEST_RESULTS=$RESULTS PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 FLEETMFA_DASHBOARD_BENCH_DEVICES=$DEVICES
unset FLEETMFA_TEST_STORAGE

cd "$FM_REPO"
if [[ "${FLEETMFA_BENCH_BUILD:-1}" != 0 || ! -f tests/FleetMfa.EndToEnd/bin/Release/net10.0/FleetMfa.EndToEnd.dll ]]; then
    fm_run_group dotnet build tests/FleetMfa.EndToEnd -c Release -v q /nologo
fi
fm_run_group dotnet test tests/FleetMfa.EndToEnd --no-build -c Release \
    --filter "FullyQualifiedName~DevicesViewLoadBenchmark" --logger "console;verbosity=detailed"
cat "$RESULTS/dashboard-bench.txt"
