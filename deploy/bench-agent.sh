#!/usr/bin/env bash
# Measures the NativeAOT device agent against a real silo (Azurite + embedded broker, started
# here on non-default ports and stopped by PID): binary size, start-to-subscribed time, idle
# RSS, and `verify` latency (p50/p99 over N runs of a wrong code, the longest path: the TOTP window,
# the ledger update under the store lock, the audit append), first with the daemon running (verify
# asks it over its local socket) and then with it stopped (verify decrypts the store itself).
# The last line is `key=value ...`.
#
#   deploy/bench-agent.sh [RUNS=200]
#
# FLEETMFA_BENCH_AGENT=/path/to/fleetmfa-agent measures that binary instead of building one (to compare two
# builds back to back on a noisy machine); FLEETMFA_BENCH_PORT_BASE moves every port (default 41000);
# FLEETMFA_BENCH_TMPDIR puts the work directory, and so the agent's store, elsewhere (/dev/shm: tmpfs, where
# fsync costs nothing, to tell the disk's share of `verify` from the agent's); FLEETMFA_BENCH_STARTS (default 5).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-200}
[[ "$RUNS" =~ ^[0-9]+$ ]] && ((RUNS > 0)) || fm_die "RUNS must be a positive number"
WORK=$(mktemp -d -p "${FLEETMFA_BENCH_TMPDIR:-${TMPDIR:-/tmp}}" fleetmfa-bench-agent.XXXXXX)
chmod 700 "$WORK"
BASE=${FLEETMFA_BENCH_PORT_BASE:-41000}
HTTP=$((BASE + 80)) AGENTS=$((BASE + 81)) MQTT=$((BASE + 83)) AZ=$BASE SILO_PORT=$((BASE + 11)) GATEWAY=$((BASE + 30))
for p in "$HTTP" "$AGENTS" "$MQTT" "$AZ" "$((AZ + 1))" "$((AZ + 2))" "$SILO_PORT" "$GATEWAY"; do
    fm_port_free "$p" FLEETMFA_BENCH_PORT_BASE
done

SILO_PID="" AGENT_PID=""
# shellcheck disable=SC2317  # invoked from traps
cleanup() {
    fm_stop_pid "$AGENT_PID" 5
    fm_stop_pid "$SILO_PID" 20
    fm_stop_pid "$FM_AZURITE_PID" 10
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fm_ensure_apt oathtool curl
if [[ -n "${FLEETMFA_BENCH_AGENT:-}" ]]; then
    [[ -x "$FLEETMFA_BENCH_AGENT" ]] || fm_die "FLEETMFA_BENCH_AGENT=$FLEETMFA_BENCH_AGENT is not an executable"
    mkdir -p "$WORK/bin"
    cp "$FLEETMFA_BENCH_AGENT" "$WORK/bin/fleetmfa-agent"
else
    bash "$FM_DEPLOY/build-agent.sh" "$WORK/bin" >/dev/null
fi
AGENT="$WORK/bin/fleetmfa-agent"
fm_run_group dotnet build "$FM_REPO/silo/FleetMfa.Silo" -c Release -v q /nologo >"$WORK/build.log" 2>&1 || {
    cat "$WORK/build.log" >&2
    fm_die "silo build failed"
}

# A busy machine can take more than lib.sh's default 30 s to bring Azurite up.
fm_spawn_azurite "$WORK" "$AZ" "$WORK/azurite.log"
fm_wait_azurite "$AZ" "$WORK/azurite.log" 180
cd "$FM_REPO/silo/FleetMfa.Silo"
FLEETMFA_DATA="$WORK/silo" FLEETMFA_STORAGE="$(fm_azurite_connection_string "$AZ")" FLEETMFA_HTTP_PORT=$HTTP \
    FLEETMFA_AGENT_HTTPS_PORT=$AGENTS FLEETMFA_AGENT_HTTPS_ADDRESS=127.0.0.1 FLEETMFA_MQTT_PORT=$MQTT FLEETMFA_SILO_PORT=$SILO_PORT FLEETMFA_GATEWAY_PORT=$GATEWAY FLEETMFA_BROKER=embedded \
    fm_spawn "$WORK/silo.log" "$WORK/silo.pid" dotnet bin/Release/net10.0/FleetMfa.Silo.dll
SILO_PID=$FM_LAST_PID
cd "$FM_REPO"
API="http://127.0.0.1:$HTTP"
fm_wait_http "$API/healthz" 120 "$SILO_PID" || { tail -n 30 "$WORK/silo.log" >&2; fm_die "the silo did not become healthy"; }
KEY=$(<"$WORK/silo/admin.key")
api() { curl -sf -X "$1" "$API$2" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

api PUT /api/orgs/bench '{"name":"Agent benchmark"}' >/dev/null
api PUT /api/orgs/bench/mfa/totp '{"enabled":true}' >/dev/null
CONNECT_KEY=$(api POST /api/orgs/bench/connect-keys | json_field key)
"$AGENT" enroll --server "https://127.0.0.1:$AGENTS" --connect-key "$CONNECT_KEY" --data-dir "$WORK/agent" >/dev/null
DEVICE=$(json_field deviceId <"$WORK/agent/config.json")

# start-to-subscribed: from just before exec to the daemon's own "subscribed" log line; the median of
# STARTS starts (the daemon is stopped and started again in between), as one start on a busy machine says little
STARTS=${FLEETMFA_BENCH_STARTS:-5}
starts=()
for ((s = 1; s <= STARTS; s++)); do
    if [[ -n "$AGENT_PID" ]]; then
        fm_stop_pid "$AGENT_PID" 5
        AGENT_PID=""
    fi
    : >"$WORK/agent.log"
    start_ns=$(date +%s%N)
    fm_spawn "$WORK/agent.log" "$WORK/agent.pid" env FLEETMFA_SSH_POLICY=off "$AGENT" run --data-dir "$WORK/agent"
    AGENT_PID=$FM_LAST_PID
    deadline=$(($(fm_now_ms) + 30000))
    until grep -q "subscribed to the desired state" "$WORK/agent.log"; do
        (($(fm_now_ms) < deadline)) || fm_die "the agent did not subscribe within 30s (log: $WORK/agent.log)"
        sleep 0.02
    done
    subscribed_at=$(grep -m1 "subscribed to the desired state" "$WORK/agent.log" | cut -d' ' -f1)
    subscribed_ns=$(date -d "$subscribed_at" +%s%N)
    starts+=("$(awk -v a="$start_ns" -v b="$subscribed_ns" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')")
done
start_ms=$(printf '%s\n' "${starts[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

# MFA on, a user enrolled and bound: the agent applies a state with one sealed secret
api POST "/api/orgs/bench/devices/$DEVICE/mfa/enable" >/dev/null
api PUT /api/orgs/bench/users/alice '{"username":"alice"}' >/dev/null
SECRET=$(api POST /api/orgs/bench/users/alice/totp/enroll | json_field secret)
api PUT "/api/orgs/bench/devices/$DEVICE/users/alice" '{"localUsername":"alice"}' >/dev/null
api POST /api/orgs/bench/users/alice/totp/confirm "{\"code\":\"$(oathtool --totp -b "$SECRET")\"}" >/dev/null
deadline=$(($(fm_now_ms) + 30000))
until "$AGENT" status --data-dir "$WORK/agent" | grep -q '"userId":"alice"'; do
    (($(fm_now_ms) < deadline)) || fm_die "the agent did not receive the user within 30s"
    sleep 0.1
done

# idle RSS: the daemon, connected, holding one user, nothing happening; past its first 5-second tick, which hands
# what start-up allocated back to the OS (IdleMemoryTrim). Private memory (RssAnon) apart from the binary's and the
# libraries' file pages (RssFile), which the kernel shares and can drop.
sleep 6
rss_of() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$AGENT_PID/status"; }
rss_kib=$(rss_of VmRSS) anon_kib=$(rss_of RssAnon) file_kib=$(rss_of RssFile)
size_kib=$(($(stat -c %s "$AGENT") / 1024))

# verify latency: a wrong code takes the longest path; lift the lockout so every run does the full work.
# With the daemon running, verify asks it over its socket (what PAM does on an enrolled device); then, with the
# daemon stopped, the direct path (decrypt the store, TOTP window, ledger update under the store lock, audit).
sed -i 's/"maxFailures":[0-9]*/"maxFailures":1000000/' "$WORK/agent/config.json"
verify_percentiles() {
    : >"$WORK/verify.ms"
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        echo 000000 | "$AGENT" verify --user alice --data-dir "$WORK/agent" || true
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000)) >>"$WORK/verify.ms"
    done
    sort -n "$WORK/verify.ms" | awk '{ v[NR] = $1 } END { i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i99 > NR) i99 = NR; printf "%.2f %.2f\n", v[i50] / 1000, v[i99] / 1000 }'
}
read -r p50 p99 < <(verify_percentiles)
# and once the daemon is idle again after serving them (the next tick trims)
sleep 6
after_kib=$(rss_of VmRSS)
accepted=$(oathtool --totp -b "$SECRET" | "$AGENT" verify --user alice --data-dir "$WORK/agent" && echo yes || echo no)
fm_stop_pid "$AGENT_PID" 5
AGENT_PID=""
read -r direct_p50 direct_p99 < <(verify_percentiles)

printf 'agent binary %s KiB; start-to-subscribed %s ms (median of %s); idle RSS %s KiB (private %s, file pages %s), %s KiB once idle after the verify runs; verify p50 %s ms, p99 %s ms over %s runs (daemon running; direct: p50 %s ms, p99 %s ms); a valid oathtool code accepted: %s\n' \
    "$size_kib" "$start_ms" "${starts[*]}" "$rss_kib" "$anon_kib" "$file_kib" "$after_kib" "$p50" "$p99" "$RUNS" "$direct_p50" "$direct_p99" "$accepted"
printf 'agent_binary_kib=%s start_to_subscribed_ms=%s idle_rss_kib=%s idle_rss_private_kib=%s idle_rss_file_kib=%s rss_after_verify_kib=%s verify_p50_ms=%s verify_p99_ms=%s verify_direct_p50_ms=%s verify_direct_p99_ms=%s verify_runs=%s\n' \
    "$size_kib" "$start_ms" "$rss_kib" "$anon_kib" "$file_kib" "$after_kib" "$p50" "$p99" "$direct_p50" "$direct_p99" "$RUNS"
