#!/usr/bin/env bash
# Runs the FleetMfa test suite (what .ci/run calls) against its own Azurite, and ends with
# exactly one plain line "N passed, N failed". Extra arguments go to every `dotnet test`.
#
#   deploy/test.sh [extra dotnet test args]
#
# Environment: FLEETMFA_TEST_DATA (default: a fresh temp dir, removed after a green run),
# FLEETMFA_TEST_AZURITE_PORT (default 20000; queue +1, table +2),
# FLEETMFA_TEST_RESULTS (default TestResults/ in the repo: the .trx files, and screenshots/ of the browser tests).
# The tests get FLEETMFA_TEST_STORAGE (the Azurite connection string), FLEETMFA_TEST_DATA and
# FLEETMFA_TEST_MOSQUITTO_PLUGIN (Mosquitto's rate-limit plugin, built here).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FM_START_MS=$(fm_now_ms)

# Test projects, run in this order.
TEST_PROJECTS=(tests/FleetMfa.Tests tests/FleetMfa.Agent.Tests tests/FleetMfa.EndToEnd)
# Debian packages the tests need (oathtool: the independent TOTP reference, DESIGN §9; openssh-server,
# gcc and libpam0g-dev: the real-sshd SSH MFA tests and the PAM module they load; chromium: Debian's
# browser for the dashboard tests — Playwright drives it, no browser is ever downloaded; systemd:
# systemd-analyze checks the agent's unit in tests/FleetMfa.EndToEnd/Packaging; expect: drives the real OpenSSH
# client through its prompts in the SSH tests; openssl: deploy/cluster-certs.sh, the cluster tests' development CA;
# mosquitto-dev and libmosquitto-dev: the headers of Mosquitto's rate-limit plugin, deploy/mosquitto/plugin).
TEST_APT_PACKAGES=(oathtool curl ca-certificates openssl mosquitto mosquitto-dev libmosquitto-dev clang zlib1g-dev openssh-server openssh-client gcc libpam0g-dev chromium systemd expect)

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_EXECUTED=0
PROBLEMS=()
RUN_FINISHED=""
TEST_DATA_CREATED=""

# Sum the <Counters> of one .trx file into the totals. Returns 1 when it has none.
add_trx() {
    local trx=$1 name=$2 counters attr v executed=0 passed=0 failed=0 skipped
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1) || return 1
    [[ -n "$counters" ]] || return 1
    for attr in total executed passed failed error timeout aborted; do
        v=$(sed -n "s/.* $attr=\"\([0-9]*\)\".*/\1/p" <<<"$counters")
        v=${v:-0}
        case "$attr" in
        total) skipped=$v ;;
        executed) executed=$v ;;
        passed) passed=$v ;;
        # Errored, timed-out and aborted tests count as failed.
        *) failed=$((failed + v)) ;;
        esac
    done
    skipped=$((skipped - executed))
    printf '%s: %s passed, %s failed, %s not executed\n' "$name" "$passed" "$failed" "$skipped"
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    TOTAL_EXECUTED=$((TOTAL_EXECUTED + executed))
}

# EXIT trap: stop Azurite, then always end with elapsed time and "N passed, N failed".
finish() {
    local rc=$?
    trap - EXIT INT TERM HUP
    # A build or test run still going (we were interrupted), then Azurite.
    fm_stop_pid "$FM_FG_PID" 10
    fm_stop_pid "$FM_AZURITE_PID" 10
    if [[ -n "$FM_AZURITE_PID" ]]; then
        rm -f "$TEST_DATA/azurite.pid"
    fi
    if ((TOTAL_FAILED > 0)); then
        PROBLEMS+=("$TOTAL_FAILED test(s) failed")
    fi
    if [[ -z "$RUN_FINISHED" ]]; then
        ((${#PROBLEMS[@]})) || PROBLEMS+=("the run did not complete (status $rc)")
    elif ((TOTAL_EXECUTED == 0)); then
        PROBLEMS+=("no tests were executed")
    fi
    if ((${#PROBLEMS[@]})); then
        local p
        for p in "${PROBLEMS[@]}"; do
            printf 'error: %s\n' "$p"
        done
        if [[ -n "${TEST_DATA:-}" && -d "$TEST_DATA" ]]; then
            printf 'test data kept in %s\n' "$TEST_DATA"
        fi
        rc=1
    else
        if [[ -n "$TEST_DATA_CREATED" ]]; then
            rm -rf "$TEST_DATA"
        fi
        rc=0
    fi
    printf 'elapsed %ss\n' "$(fm_elapsed "$FM_START_MS")"
    printf '%s passed, %s failed\n' "$TOTAL_PASSED" "$TOTAL_FAILED"
    exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The tests get their settings from FLEETMFA_TEST_*; what a developer exported for
# deploy/up.sh must not leak into the silos the tests start.
unset FLEETMFA_DATA FLEETMFA_STORAGE FLEETMFA_ADMIN_KEY FLEETMFA_MASTER_KEY FLEETMFA_SIGNING_KEY FLEETMFA_SIGNING_KEY_PREVIOUS FLEETMFA_BROKER \
    FLEETMFA_HTTP_PORT FLEETMFA_MQTT_PORT FLEETMFA_MQTT_PLAINTEXT_PORT FLEETMFA_AZURITE_PORT FLEETMFA_SILO_PORT FLEETMFA_GATEWAY_PORT \
    FLEETMFA_BROKER_USERNAME FLEETMFA_BROKER_PASSWORD FLEETMFA_MOSQUITTO_PASSWORD_FILE FLEETMFA_MOSQUITTO_PID_FILE \
    FLEETMFA_CLUSTERING FLEETMFA_CLUSTER_ID FLEETMFA_CLUSTER_CERT FLEETMFA_CLUSTER_KEY FLEETMFA_CLUSTER_CA FLEETMFA_MQTT_ADVERTISED_HOST FLEETMFA_AGENT_HOSTNAME FLEETMFA_CONNECT_KEY

# --- tools ---
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt "${TEST_APT_PACKAGES[@]}"
fm_ensure_azurite

# --- our own data dir and Azurite on non-default ports ---
AZ_PORT=${FLEETMFA_TEST_AZURITE_PORT:-20000}
fm_check_port_number "$AZ_PORT" FLEETMFA_TEST_AZURITE_PORT 2
for p in "$AZ_PORT" "$((AZ_PORT + 1))" "$((AZ_PORT + 2))"; do
    fm_port_free "$p" FLEETMFA_TEST_AZURITE_PORT
done
if [[ -n "${FLEETMFA_TEST_DATA:-}" ]]; then
    TEST_DATA=$FLEETMFA_TEST_DATA
    mkdir -p "$TEST_DATA"
else
    TEST_DATA=$(mktemp -d -t fleetmfa-test.XXXXXX)
    TEST_DATA_CREATED=1
fi
TEST_DATA="$(cd "$TEST_DATA" && pwd)"
chmod 700 "$TEST_DATA"
RESULTS=${FLEETMFA_TEST_RESULTS:-$FM_REPO/TestResults}
mkdir -p "$RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"

fm_log "starting Azurite on 127.0.0.1:$AZ_PORT-$((AZ_PORT + 2)) (data: $TEST_DATA)"
fm_start_azurite "$TEST_DATA" "$AZ_PORT" "$TEST_DATA/logs/azurite.log"
FLEETMFA_TEST_STORAGE="$(fm_azurite_connection_string "$AZ_PORT")"
FLEETMFA_TEST_DATA=$TEST_DATA
# Browser tests save screenshots under $RESULTS/screenshots; Playwright must never fetch a browser.
FLEETMFA_TEST_RESULTS=$RESULTS
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export FLEETMFA_TEST_STORAGE FLEETMFA_TEST_DATA FLEETMFA_TEST_RESULTS PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD

# --- build once, then test each project ---
cd "$FM_REPO"
fm_log "building FleetMfa.sln (Release)..."
if ! fm_run_group dotnet build FleetMfa.sln -c Release -nologo; then
    PROBLEMS+=("dotnet build FleetMfa.sln failed")
    exit 1
fi

# The device agent must publish as NativeAOT with no trimming/AOT warning (DESIGN §5).
if ! fm_run_group bash "$FM_DEPLOY/build-agent.sh" "$TEST_DATA/agent-aot"; then
    PROBLEMS+=("deploy/build-agent.sh (NativeAOT agent) failed")
else
    # The SSH tests' PAM module runs this binary, as on a device.
    export FLEETMFA_TEST_AGENT_AOT=$TEST_DATA/agent-aot/fleetmfa-agent
fi
# The PAM module the real-sshd tests load (deploy/pam).
if fm_run_group bash "$FM_DEPLOY/pam/build.sh" "$TEST_DATA/pam"; then
    export FLEETMFA_TEST_PAM_MODULE=$TEST_DATA/pam/pam_fleetmfa.so
else
    PROBLEMS+=("deploy/pam/build.sh (pam_fleetmfa.so) failed")
fi

# Mosquitto's per-client rate limit: every Mosquitto the tests start loads it (MosquittoBroker refuses to start one
# without it).
if (bash "$FM_DEPLOY/mosquitto/plugin/build.sh"); then
    fm_build_mosquitto_plugin
    export FLEETMFA_TEST_MOSQUITTO_PLUGIN=$FM_MOSQUITTO_PLUGIN
else
    PROBLEMS+=("deploy/mosquitto/plugin/build.sh (fleetmfa_limits.so) failed")
fi

# The plugin's certificate revocation against the real Mosquitto, TLS and openssl (37 checks, ~20 s); skipped when the
# run is filtered.
if (($# == 0)); then
    fm_log "verifying Mosquitto's certificate revocation (deploy/mosquitto/verify-revocation.sh)..."
    if ! fm_run_group "$FM_DEPLOY/mosquitto/verify-revocation.sh" >"$RESULTS/verify-revocation.log" 2>&1; then
        PROBLEMS+=("deploy/mosquitto/verify-revocation.sh failed (see $RESULTS/verify-revocation.log)")
    fi
fi

for project in "${TEST_PROJECTS[@]}"; do
    name=$(basename "$project")
    trx="$RESULTS/$name.trx"
    rm -f "$trx"
    fm_log "testing $name..."
    test_rc=0
    fm_run_group dotnet test "$project" --no-build -c Release \
        --results-directory "$RESULTS" --logger "trx;LogFileName=$name.trx" "$@" || test_rc=$?
    if [[ ! -f "$trx" ]] || ! add_trx "$trx" "$name"; then
        PROBLEMS+=("$name did not run (dotnet test status $test_rc, no results in $trx)")
    elif ((test_rc != 0)); then
        PROBLEMS+=("dotnet test $name exited with status $test_rc")
    fi
done
RUN_FINISHED=1
