#!/usr/bin/env bash
# The standard benchmarks (tests/FleetMfa.Load): each starts its own Azurite, Mosquitto and silo on non-default
# loopback ports (FLEETMFA_BENCH_PORT_BASE, default 25100), stops them by PID, and prints its figures as a last line
# `key=value ...`. Without a NAME the whole set runs and tests/FleetMfa.Load/RESULTS.md is rewritten.
#
#   deploy/bench.sh                       the standard set -> RESULTS.md
#   deploy/bench.sh NAME [--devices N]    one of: fanout register org-switch queries grain-memory dashboard agent ssh
#                                         storage key-flood, or
#                                         scale (the four 100,000-device ones on one registered org)
#
#   fanout        N in {1000, 10000} real agents over Mosquitto + Azurite, one rollout enabling MFA on all;
#                 and 1000 over the embedded broker (--devices N: only N, over Mosquitto)
#   register      10,000 and 100,000 devices (--devices N: only N) registered through the enroll API with a signing
#                 request each, on Mosquitto over TLS: registrations/s overall and in the first and last 10 %
#   org-switch    100,000 registered devices (no agents), MFA on, org TOTP off -> on: until every desired state is
#                 published (seen by an independent MQTT subscriber)
#   queries       device-detail reads/s, page of 100 and org summary p50/p99 over 100,000 devices
#   grain-memory  silo memory per activated device grain at 100,000 devices
#   dashboard     deploy/bench-dashboard.sh over the same org: the devices view in Debian's Chromium
#   agent         deploy/bench-agent.sh: NativeAOT agent idle RSS, start-to-subscribed, verify p50/p99
#   ssh           deploy/bench-ssh.sh 40: the time a real SSH login (private sshd, PAM module, NativeAOT agent) spends
#                 in the MFA check — --check-required and verify p50/p99 as the PAM module times them (needs root)
#   key-flood     a silo with its default rate limits: 10,000 requests with random well-formed keys for random orgs
#                 from 16 loopback addresses, 64 at a time; the admin's GET of its org from another address before
#                 and during the flood (p50/p99/max), the flood's 429s and 401s
#   storage       Azurite alone, against the entities in a table: grain state read+write pairs/s with a row key per
#                 grain or Orleans' own (one for all grains of a type), device index row writes and shard reads/s,
#                 each in one table and over 16 (how many tables the silo spreads grain state and the index over)
#
# Azurite runs in memory (FLEETMFA_AZURITE_IN_MEMORY=0 for its disk persistence, which rewrites its whole table
# database every 5 s: 32 MB at 18,000 devices, a cost that grows with the data and that Azure Table storage does not have).
# FLEETMFA_BENCH_ENABLE=devices enables MFA with one call per device instead of one rollout;
# FLEETMFA_BENCH_SETUP_CONCURRENCY (default 64): registrations and enable calls in flight while the scale org is set
# up (at 256, requests queued behind Azurite for over Orleans' 30 s response timeout); FLEETMFA_BENCH_BUILD=0 skips
# the (Release) build when one exists; FLEETMFA_BENCH_SCALE=N runs org-switch,
# queries and grain-memory over N devices instead of 100,000 in the full set; FLEETMFA_BENCH_RESULTS=FILE writes the
# results of a single run to FILE (the full set always writes RESULTS.md). For a diagnosis: FLEETMFA_BENCH_KEEP=DIR
# keeps the silo's, Azurite's and Mosquitto's logs and the load generator's output in DIR; FLEETMFA_AZURITE_DEBUG=FILE
# writes Azurite's request log to FILE.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
    sed -n '2,/^set -euo pipefail/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

NAME=all DEVICES=""
while (($#)); do
    case $1 in
    --devices)
        [[ "${2:-}" =~ ^[0-9]+$ ]] && ((10#$2 > 0)) || fm_die "--devices needs a positive number"
        DEVICES=$((10#$2))
        shift 2
        ;;
    fanout | register | org-switch | queries | grain-memory | dashboard | scale | agent | ssh | storage | key-flood)
        NAME=$1
        shift
        ;;
    -h | --help) usage ;;
    *) usage ;;
    esac
done

BASE=${FLEETMFA_BENCH_PORT_BASE:-25100}
export FLEETMFA_AZURITE_IN_MEMORY=${FLEETMFA_AZURITE_IN_MEMORY:-1}
fm_check_port_number "$BASE" FLEETMFA_BENCH_PORT_BASE 400
AZ=$BASE HTTP=$((BASE + 80)) AGENTS=$((BASE + 81)) MQTT=$((BASE + 83)) SILO_PORT=$((BASE + 11)) GATEWAY=$((BASE + 30))
ENABLE=${FLEETMFA_BENCH_ENABLE:-rollout}
SETUP_CONCURRENCY=${FLEETMFA_BENCH_SETUP_CONCURRENCY:-64}
SCALE=${DEVICES:-${FLEETMFA_BENCH_SCALE:-100000}}
RESULTS=${FLEETMFA_BENCH_RESULTS:-$FM_REPO/tests/FleetMfa.Load/RESULTS.md}
LOAD_DLL=${FLEETMFA_BENCH_LOAD_DLL:-$FM_REPO/tests/FleetMfa.Load/bin/Release/net10.0/FleetMfa.Load.dll}
SILO_DIR="$FM_REPO/silo/FleetMfa.Silo"

WORK=$(mktemp -d -t fleetmfa-bench.XXXXXX)
SHM=$(mktemp -d -p /dev/shm fleetmfa-bench.XXXXXX 2>/dev/null || mktemp -d -t fleetmfa-bench-agents.XXXXXX)
chmod 700 "$WORK" "$SHM"
SILO_PID="" MOSQ_DIR=""
# shellcheck disable=SC2317  # invoked from traps
cleanup() {
    fm_stop_pid "$SILO_PID" 20
    fm_stop_pid "$FM_MOSQUITTO_PID" 10
    fm_stop_pid "$FM_AZURITE_PID" 10
    if [[ -n "${FLEETMFA_BENCH_KEEP:-}" && -d "$WORK/run" ]]; then
        mkdir -p "$FLEETMFA_BENCH_KEEP"
        cp "$WORK"/run/*.log "$WORK"/load.out "$FLEETMFA_BENCH_KEEP"/ 2>/dev/null || true
    fi
    rm -rf "$WORK" "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Thousands of agents in one process, each with two descriptors (its MQTT connection and its verify socket);
# Mosquitto inherits the limit too. Under a hard limit of 20,000 the load generator died ("Out of memory.") as its
# 10,000 agents connected.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 25000)) || fm_log "warning: ulimit -n is $(ulimit -n); 10,000 agents need more than 20,000 descriptors (two each)"

# One line per figure for RESULTS.md: "benchmark|figure|value|target|met".
ROWS=() COMMANDS=()

build() {
    if [[ "${FLEETMFA_BENCH_BUILD:-1}" == 0 && -f "$LOAD_DLL" && -f "$SILO_DIR/bin/Release/net10.0/FleetMfa.Silo.dll" ]]; then
        fm_log "FLEETMFA_BENCH_BUILD=0: using the existing Release builds"
        return 0
    fi
    fm_log "building the silo and the load generator (Release)..."
    local p
    for p in "$SILO_DIR" "$FM_REPO/tests/FleetMfa.Load"; do
        fm_run_group dotnet build "$p" -c Release -v q /nologo >"$WORK/build.log" 2>&1 || {
            cat "$WORK/build.log" >&2
            fm_die "build of $p failed"
        }
    done
}

# stack_start BROKER (mosquitto|embedded): fresh Azurite (+ Mosquitto) and a silo, all on the bench ports.
stack_start() {
    local broker=$1
    stack_stop
    rm -rf "$WORK/run"
    mkdir -p "$WORK/run"
    for p in "$HTTP" "$AGENTS" "$MQTT" "$AZ" "$((AZ + 1))" "$((AZ + 2))" "$SILO_PORT" "$GATEWAY"; do
        fm_port_free "$p" FLEETMFA_BENCH_PORT_BASE
    done
    fm_start_azurite "$WORK/run" "$AZ" "$WORK/run/azurite.log"
    if [[ $broker == mosquitto ]]; then
        MOSQ_DIR="$WORK/run/mosquitto"
        # Over TLS, as deployed: agents and the silo's bridge log in with certificates of the FleetMfa CA
        # ($MOSQ_DIR/ca.pem, which the silo is given).
        unset FLEETMFA_AGENT_CA_CERT
        fm_start_mosquitto "$MOSQ_DIR" "$MQTT" "$WORK/run/mosquitto.log"
        # An independent observer account (read-only on every topic) for org-switch, with a certificate of that CA;
        # the bridge's own account cannot be shared: Mosquitto ties the client id to the username.
        (umask 077 && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=fleetmfa-observer" \
            -keyout "$MOSQ_DIR/observer.key" 2>/dev/null |
            openssl x509 -req -CA "$MOSQ_DIR/ca.pem" -CAkey "$MOSQ_DIR/ca.pem" -set_serial "0x$(openssl rand -hex 16)" -days 7 \
                -extfile <(printf 'extendedKeyUsage=clientAuth\n') -out "$MOSQ_DIR/observer.crt" 2>/dev/null &&
            cat "$MOSQ_DIR/observer.crt" "$MOSQ_DIR/observer.key" >"$MOSQ_DIR/observer.pem")
        printf '\nuser fleetmfa-observer\ntopic read fleetmfa/v1/#\n' >>"$MOSQ_DIR/acl"
        kill -HUP "$(<"$MOSQ_DIR/mosquitto.pid")"
    else
        MOSQ_DIR=""
        unset FLEETMFA_BROKER_USERNAME FLEETMFA_BROKER_PASSWORD FLEETMFA_MOSQUITTO_PASSWORD_FILE FLEETMFA_MOSQUITTO_PID_FILE \
            FLEETMFA_MOSQUITTO_CRL_FILE FLEETMFA_MOSQUITTO_REVOKED_FILE FLEETMFA_AGENT_CA_CERT
        export FLEETMFA_BROKER=embedded
    fi
    silo_start
}

# Every load generator speaks from 127.0.0.1 with one connect key: the silo's rate limits (per address and per
# key) would refuse most of a benchmark, so they are set far above anything measured here — except for key-flood,
# which measures the silo with its defaults (RateLimitOptions) and sets these to them.
BENCH_RATE=10000000
RL_ADDRESS=$BENCH_RATE RL_KEY=$BENCH_RATE RL_FAILURES=$BENCH_RATE
RL_ADDRESS_BURST=$BENCH_RATE RL_KEY_BURST=$BENCH_RATE RL_FAILURE_BURST=$BENCH_RATE

silo_start() {
    fm_log "starting the silo ($FLEETMFA_BROKER)..."
    cd "$SILO_DIR"
    FLEETMFA_DATA="$WORK/run/silo" FLEETMFA_STORAGE="$(fm_azurite_connection_string "$AZ")" FLEETMFA_HTTP_PORT=$HTTP \
        FLEETMFA_AGENT_HTTPS_PORT=$AGENTS FLEETMFA_AGENT_HTTPS_ADDRESS=127.0.0.1 FLEETMFA_MQTT_PORT=$MQTT FLEETMFA_SILO_PORT=$SILO_PORT FLEETMFA_GATEWAY_PORT=$GATEWAY \
        FLEETMFA_RATE_LIMIT_ADDRESS=$RL_ADDRESS FLEETMFA_RATE_LIMIT_KEY=$RL_KEY FLEETMFA_RATE_LIMIT_FAILURES=$RL_FAILURES \
        FleetMfa__RateLimits__AddressBurst=$RL_ADDRESS_BURST FleetMfa__RateLimits__KeyBurst=$RL_KEY_BURST \
        FleetMfa__RateLimits__FailureBurst=$RL_FAILURE_BURST \
        fm_spawn "$WORK/run/silo.log" "$WORK/run/silo.pid" dotnet bin/Release/net10.0/FleetMfa.Silo.dll
    SILO_PID=$FM_LAST_PID
    cd "$FM_REPO"
    fm_wait_http "http://127.0.0.1:$HTTP/healthz" 180 "$SILO_PID" || {
        tail -n 30 "$WORK/run/silo.log" >&2
        fm_die "the silo did not become healthy (log: $WORK/run/silo.log)"
    }
}

silo_stop() {
    fm_stop_pid "$SILO_PID" 20
    SILO_PID=""
}

stack_stop() {
    silo_stop
    fm_stop_pid "$FM_MOSQUITTO_PID" 10
    FM_MOSQUITTO_PID=""
    fm_stop_pid "$FM_AZURITE_PID" 10
    FM_AZURITE_PID=""
}

# load LABEL BENCHMARK ARGS...: runs the load generator; its last stdout line goes to FIGURES.
FIGURES=""
load() {
    local label=$1
    shift
    local cmd=(dotnet "$LOAD_DLL" "$@" --api "http://127.0.0.1:$HTTP" --agents "https://127.0.0.1:$AGENTS" --admin-key-file "$WORK/run/silo/admin.key")
    fm_log "== $label: FleetMfa.Load $*"
    local out="$WORK/load.out"
    if ! fm_run_group "${cmd[@]}" >"$out"; then
        cat "$out"
        tail -n 20 "$WORK/run/silo.log" >&2
        fm_die "$label failed"
    fi
    FIGURES=$(tail -n 1 "$out")
    printf '%s\n' "$FIGURES"
}

# fig KEY: a figure from FIGURES.
fig() {
    tr ' ' '\n' <<<"$FIGURES" | sed -n "s/^$1=//p"
}

# per_op NAME: the storage benchmark's "rate (Azurite CPU ms each)" for NAME_per_s and NAME_azurite_cpu_ms.
per_op() {
    printf '%s (%s)' "$(fig "${1}_per_s")" "$(fig "${1}_azurite_cpu_ms")"
}

# row BENCHMARK FIGURE VALUE [TARGET OP LIMIT]: a RESULTS.md row; OP is le or ge.
row() {
    local bench=$1 figure=$2 value=$3 target=${4:-} op=${5:-} limit=${6:-} met=""
    if [[ -n "$op" && -n "$value" ]]; then
        met=$(awk -v v="$value" -v l="$limit" -v op="$op" 'BEGIN { ok = (op == "le") ? (v <= l) : (v >= l); print ok ? "yes" : "**no**" }')
    fi
    ROWS+=("$bench|$figure|$value|$target|$met")
}

FANOUT_1K="" FANOUT_10K=""
bench_fanout() {
    local sizes=(1000 10000) n
    [[ -n "$DEVICES" ]] && sizes=("$DEVICES")
    for n in "${sizes[@]}"; do
        stack_start mosquitto
        load "fanout $n (Mosquitto + Azurite)" fanout --devices "$n" --enable "$ENABLE" --work "$SHM" --org "fanout-$n" \
            --cpu-pids "silo=$SILO_PID,azurite=$FM_AZURITE_PID,mosquitto=$FM_MOSQUITTO_PID"
        COMMANDS+=("fanout $n, Mosquitto: \`deploy/bench.sh fanout --devices $n\`")
        local label="fanout $n, Mosquitto"
        row "$label" "devices enabled in the control plane (complete?)" "$(fig enabled) / $n ($(fig complete))"
        row "$label" "seconds until all enabled" "$(fig seconds)" "$([[ $n == 10000 ]] && echo '≤ 10')" "$([[ $n == 10000 ]] && echo le)" 10
        row "$label" "devices/s" "$(fig devices_per_s)" "$([[ $n == 10000 ]] && echo '≥ 1000')" "$([[ $n == 10000 ]] && echo ge)" 1000
        row "$label" "per device p50 / p99 (ms, switch → agent applied)" "$(fig apply_p50_ms) / $(fig apply_p99_ms)"
        row "$label" "agents that applied MFA on / last one after (s)" "$(fig agents_applied) / $(fig agents_applied_s)"
        row "$label" "agents holding the unsealed secret" "$(fig unsealed) / $n"
        row "$label" "enable request(s) accepted (ms)" "$(fig accepted_ms)"
        row "$label" "CPU s during the switch: silo / Azurite / Mosquitto / agents" "$(fig cpu_silo_s) / $(fig cpu_azurite_s) / $(fig cpu_mosquitto_s) / $(fig cpu_load_s)"
        row "$label" "server errors retried" "$(fig server_error_retries)"
        [[ $n == 1000 ]] && FANOUT_1K=$(fig seconds)
        [[ $n == 10000 ]] && FANOUT_10K=$(fig seconds)
    done
    if [[ -n "$FANOUT_1K" && -n "$FANOUT_10K" ]]; then
        row "fanout" "time(10k) / time(1k)" "$(awk -v a="$FANOUT_10K" -v b="$FANOUT_1K" 'BEGIN { printf "%.1f", a / b }')" "≤ 12" le 12
    fi
    if [[ -z "$DEVICES" ]]; then
        stack_start embedded
        load "fanout 1000 (embedded broker)" fanout --devices 1000 --enable "$ENABLE" --work "$SHM" --org fanout-embedded \
            --cpu-pids "silo=$SILO_PID,azurite=$FM_AZURITE_PID"
        row "fanout 1000, embedded broker" "devices enabled in the control plane (complete?)" "$(fig enabled) / 1000 ($(fig complete))"
        row "fanout 1000, embedded broker" "seconds until all enabled" "$(fig seconds)"
        row "fanout 1000, embedded broker" "devices/s" "$(fig devices_per_s)"
        row "fanout 1000, embedded broker" "per device p50 / p99 (ms)" "$(fig apply_p50_ms) / $(fig apply_p99_ms)"
        row "fanout 1000, embedded broker" "CPU s during the switch: silo / Azurite / agents" "$(fig cpu_silo_s) / $(fig cpu_azurite_s) / $(fig cpu_load_s)"
    fi
    stack_stop
}

# Registration alone, at 10,000 and 100,000 devices on Mosquitto over TLS: no broker file grows with the fleet, so the
# rate in the last tenth should hold up against the first (with the password file it fell from 190/s to 105/s).
bench_register() {
    local sizes=(10000 100000) n
    [[ -n "$DEVICES" ]] && sizes=("$DEVICES")
    for n in "${sizes[@]}"; do
        stack_start mosquitto
        load "register $n devices" register --devices "$n" --org "register-$n" --concurrency "$SETUP_CONCURRENCY" --timeout 7200
        COMMANDS+=("register: \`deploy/bench.sh register --devices $n\`")
        row "register, $n devices" "registrations/s (enroll API, with a CSR each)" "$(fig register_per_s)"
        row "register, $n devices" "registrations/s in the first 10 %" "$(fig register_first_tenth_per_s)"
        row "register, $n devices" "registrations/s in the last 10 %" "$(fig register_last_tenth_per_s)" "$([[ $n == 100000 ]] && echo '≥ 300')" "$([[ $n == 100000 ]] && echo ge)" 300
    done
    stack_stop
}

# The scale benchmarks share one registered org of SCALE devices.
bench_scale() {
    local which=$1
    stack_start mosquitto
    load "register $SCALE devices" register --devices "$SCALE" --org scale --concurrency "$SETUP_CONCURRENCY" --timeout 7200
    row "set-up ($SCALE devices)" "registrations/s (enroll API) / MFA enable calls/s" "$(fig register_per_s) / $(fig enable_per_s)"
    row "set-up ($SCALE devices)" "registrations/s in the first / last 10 %" "$(fig register_first_tenth_per_s) / $(fig register_last_tenth_per_s)"
    if [[ $which == all || $which == org-switch ]]; then
        load "org-switch over $SCALE devices" org-switch --org scale --mqtt-port "$MQTT" \
            --observer-user fleetmfa-observer --observer-cert "$MOSQ_DIR/observer.pem" --timeout 1800 \
            --cpu-pids "silo=$SILO_PID,azurite=$FM_AZURITE_PID,mosquitto=$FM_MOSQUITTO_PID"
        COMMANDS+=("org-switch: \`deploy/bench.sh org-switch --devices $SCALE\`")
        row "org-switch, $SCALE devices" "desired states published (complete?) / switch request status" "$(fig published) / $SCALE ($(fig complete)) / $(fig put_status)"
        row "org-switch, $SCALE devices" "seconds until every desired state is published" "$(fig seconds)" "≤ 60" le 60
        row "org-switch, $SCALE devices" "devices/s" "$(fig devices_per_s)"
        row "org-switch, $SCALE devices" "per device p50 / p99 (ms)" "$(fig publish_p50_ms) / $(fig publish_p99_ms)"
        row "org-switch, $SCALE devices" "PUT mfa/totp returned (ms)" "$(fig put_returned_ms)"
        row "org-switch, $SCALE devices" "CPU s: silo / Azurite / Mosquitto" "$(fig cpu_silo_s) / $(fig cpu_azurite_s) / $(fig cpu_mosquitto_s)"
    fi
    if [[ $which == all || $which == grain-memory ]]; then
        # A fresh silo: no device grain is active until the benchmark reads each device once.
        silo_stop
        silo_start
        load "grain-memory at $SCALE devices" grain-memory --org scale --silo-pid "$SILO_PID" --timeout 3600 \
            --heap-command "$FM_DEPLOY/bench-heap.sh"
        COMMANDS+=("grain-memory: \`deploy/bench.sh grain-memory --devices $SCALE\`")
        row "grain-memory, $SCALE devices" "GC heap bytes per device grain (after full GC)" "$(fig heap_bytes_per_grain)" "≤ 4096" le 4096
        row "grain-memory, $SCALE devices" "RSS bytes per device grain" "$(fig rss_bytes_per_grain)"
        row "grain-memory, $SCALE devices" "silo RSS before / after (MiB)" "$(fig rss_before_mib) / $(fig rss_after_mib)"
        row "grain-memory, $SCALE devices" "silo GC heap before / after (MiB)" "$(fig heap_before_mib) / $(fig heap_after_mib)"
    fi
    if [[ $which == all || $which == queries ]]; then
        load "queries over $SCALE devices" queries --org scale --samples 2000
        COMMANDS+=("queries: \`deploy/bench.sh queries --devices $SCALE\`")
        row "queries, $SCALE devices" "device-detail reads/s (32 concurrent)" "$(fig detail_reads_per_s)"
        row "queries, $SCALE devices" "device detail p50 / p99 (ms)" "$(fig detail_p50_ms) / $(fig detail_p99_ms)"
        row "queries, $SCALE devices" "page of 100 p50 (ms)" "$(fig page100_p50_ms)"
        row "queries, $SCALE devices" "page of 100 p99 (ms)" "$(fig page100_p99_ms)" "≤ 50" le 50
        row "queries, $SCALE devices" "org summary p50 (ms)" "$(fig summary_p50_ms)"
        row "queries, $SCALE devices" "org summary p99 (ms)" "$(fig summary_p99_ms)" "≤ 50" le 50
    fi
    if [[ $which == all || $which == dashboard ]]; then
        bench_dashboard
    fi
    stack_stop
}

# The dashboard's devices view in Chromium over the scale org: deploy/bench-dashboard.sh against this silo (its test
# fixture starts an idle Azurite and silo of its own on BASE+200 and up).
bench_dashboard() {
    fm_log "== dashboard devices view over $SCALE devices: deploy/bench-dashboard.sh --url http://127.0.0.1:$HTTP --org scale"
    local out="$WORK/dashboard.out"
    if ! FLEETMFA_DASHBOARD_BENCH_KEY="$(<"$WORK/run/silo/admin.key")" FLEETMFA_TEST_AZURITE_PORT=$((BASE + 200)) \
        FLEETMFA_TEST_RESULTS="$WORK/dashboard" bash "$FM_DEPLOY/bench-dashboard.sh" --url "http://127.0.0.1:$HTTP" --org scale >"$out" 2>&1; then
        tail -n 40 "$out" >&2
        fm_die "the dashboard benchmark failed"
    fi
    FIGURES=$(tail -n 1 "$out")
    printf '%s\n' "$FIGURES"
    COMMANDS+=("dashboard: \`deploy/bench.sh dashboard --devices $SCALE\` (runs \`deploy/bench-dashboard.sh --url … --org scale\`)")
    local label="dashboard, $SCALE devices"
    row "$label" "devices view load in Chromium, median / max of 5 (ms, navigation → first 50 rows)" "$(fig view_load_median_ms) / $(fig view_load_max_ms)"
    row "$label" "next page in Chromium, median / max of 5 (ms)" "$(fig next_page_median_ms) / $(fig next_page_max_ms)"
    row "$label" "filter mfa=$(fig filter) in Chromium, median / max of 5 (ms)" "$(fig filter_median_ms) / $(fig filter_max_ms)"
    row "$label" "API page of 50 / filter mfa=$(fig filter) / org summary, median (ms)" "$(fig api_page_median_ms) / $(fig api_filter_median_ms) / $(fig api_summary_median_ms)"
}

bench_agent() {
    fm_log "== agent: deploy/bench-agent.sh"
    FIGURES=$(FLEETMFA_BENCH_PORT_BASE=$((BASE + 300)) bash "$FM_DEPLOY/bench-agent.sh" | tail -n 1)
    printf '%s\n' "$FIGURES"
    COMMANDS+=("agent: \`deploy/bench.sh agent\` (runs \`deploy/bench-agent.sh\`)")
    row "agent (NativeAOT)" "idle RSS (KiB)" "$(fig idle_rss_kib)" "≤ 12288" le 12288
    row "agent (NativeAOT)" "idle RSS: private / file pages (KiB)" "$(fig idle_rss_private_kib) / $(fig idle_rss_file_kib)"
    row "agent (NativeAOT)" "RSS once idle after the verify runs (KiB)" "$(fig rss_after_verify_kib)"
    row "agent (NativeAOT)" "start-to-subscribed (ms)" "$(fig start_to_subscribed_ms)" "≤ 20" le 20
    row "agent (NativeAOT)" "verify p50 (ms)" "$(fig verify_p50_ms)"
    row "agent (NativeAOT)" "verify p99 (ms)" "$(fig verify_p99_ms)" "≤ 10" le 10
    row "agent (NativeAOT)" "binary (KiB)" "$(fig agent_binary_kib)"
}

bench_ssh() {
    fm_log "== ssh: deploy/bench-ssh.sh 40"
    FIGURES=$(bash "$FM_DEPLOY/bench-ssh.sh" 40 | tail -n 1)
    printf '%s\n' "$FIGURES"
    COMMANDS+=("ssh: \`deploy/bench.sh ssh\` (runs \`deploy/bench-ssh.sh 40\`)")
    row "ssh login (PAM, NativeAOT agent)" "--check-required p50 / p99 (ms)" "$(fig check_p50_ms) / $(fig check_p99_ms)"
    row "ssh login (PAM, NativeAOT agent)" "verify p50 / p99 (ms)" "$(fig verify_p50_ms) / $(fig verify_p99_ms)"
    row "ssh login (PAM, NativeAOT agent)" "the MFA check in all p50 / p99 (ms)" "$(fig mfa_total_p50_ms) / $(fig mfa_total_p99_ms)"
    row "ssh login (PAM, NativeAOT agent)" "whole SSH.NET login p50 / p99 (ms)" "$(fig login_p50_ms) / $(fig login_p99_ms)"
}

# Random keys against the default rate limits while the admin works (tests/FleetMfa.Load KeyFloodBenchmark).
bench_key_flood() {
    RL_ADDRESS=3000 RL_KEY=1200 RL_FAILURES=10 RL_ADDRESS_BURST=200 RL_KEY_BURST=100 RL_FAILURE_BURST=20
    stack_start embedded
    load "key-flood (default rate limits)" key-flood --org key-flood --concurrency 64
    COMMANDS+=("key-flood: \`deploy/bench.sh key-flood\`")
    local label="key-flood, 10,000 random keys"
    row "$label" "flood: requests/s, 429 / 401 / other" "$(fig requests_per_s), $(fig status_429) / $(fig status_401) / $(fig status_other)"
    row "$label" "admin GET of its org before the flood p50 / p99 (ms)" "$(fig admin_before_p50_ms) / $(fig admin_before_p99_ms)"
    row "$label" "admin GET during the flood p99 (ms)" "$(fig admin_p99_ms)" "≤ 100" le 100
    row "$label" "admin GET during the flood p50 / max (ms), calls not 200" "$(fig admin_p50_ms) / $(fig admin_max_ms), $(fig admin_not_ok) of $(fig admin_calls)"
    stack_stop
    RL_ADDRESS=$BENCH_RATE RL_KEY=$BENCH_RATE RL_FAILURES=$BENCH_RATE
    RL_ADDRESS_BURST=$BENCH_RATE RL_KEY_BURST=$BENCH_RATE RL_FAILURE_BURST=$BENCH_RATE
}

# Azurite's cost per operation against the entities in a table, for each key layout, in one table and over 16
# (tests/FleetMfa.Load StorageLayoutBenchmark).
bench_storage() {
    stack_stop
    rm -rf "$WORK/run"
    mkdir -p "$WORK/run"
    local p
    for p in "$AZ" "$((AZ + 1))" "$((AZ + 2))"; do
        fm_port_free "$p" FLEETMFA_BENCH_PORT_BASE
    done
    fm_start_azurite "$WORK/run" "$AZ" "$WORK/run/azurite.log"
    fm_log "== storage: FleetMfa.Load storage-layout"
    fm_run_group dotnet "$LOAD_DLL" storage-layout --storage "$(fm_azurite_connection_string "$AZ")" \
        --azurite-pid "$FM_AZURITE_PID" >"$WORK/load.out" || fm_die "storage failed"
    FIGURES=$(tail -n 1 "$WORK/load.out")
    printf '%s\n' "$FIGURES"
    COMMANDS+=("storage: \`deploy/bench.sh storage\`")
    local n label
    for n in 1000 10000 20000 50000 100000; do
        label="storage (Azurite), $n entities"
        row "$label" "grain state read+write pairs/s (Azurite CPU ms per pair), a row key per grain: 1 table / 16 tables" \
            "$(per_op "grain_${n}_pairs") / $(per_op "grain16_${n}_pairs")"
        if ((n <= 20000)); then
            row "$label" "the same with Orleans' row key (the state name, one for all grains of a type), 1 table" "$(per_op "shared_${n}_pairs")"
        fi
        row "$label" "device index rows/s rewritten in transactions of up to 10 (Azurite CPU ms per row): 1 table / 16 tables" \
            "$(per_op "index_${n}_rows") / $(per_op "index16_${n}_rows")"
        row "$label" "device index shard partitions read/s (Azurite CPU ms per read): 1 table / 16 tables" \
            "$(per_op "index_${n}_shard_reads") / $(per_op "index16_${n}_shard_reads")"
    done
    stack_stop
}

# shellcheck disable=SC2016  # backticks are Markdown here
write_results() {
    local cpu mem
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    {
        printf '# FleetMfa benchmark results\n\n'
        printf 'Written by `deploy/bench.sh` (the standard set); every figure below is what that run measured.\n\n'
        printf -- '- machine: %s cores (`nproc`), %s, %s, kernel %s\n' "$(nproc)" "$mem" "${cpu:-unknown CPU}" "$(uname -r)"
        printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
        printf -- '- commit: %s\n' "$(git -C "$FM_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
        printf -- '- MFA switched on by: %s\n' "$([[ $ENABLE == rollout ]] && echo 'one rollout (`POST /api/orgs/{org}/rollouts`)' || echo 'one `POST .../mfa/enable` per device')"
        printf -- '- command: `deploy/bench.sh` (all), or `deploy/bench.sh NAME [--devices N]` for one\n\n'
        printf '| benchmark | figure | measured | target | met |\n| --- | --- | --- | --- | --- |\n'
        local r
        for r in "${ROWS[@]}"; do
            printf '| %s |\n' "${r//|/ | }"
        done
        printf '\nCommands:\n\n'
        for r in "${COMMANDS[@]}"; do
            printf -- '- %s\n' "$r"
        done
    } >"$RESULTS.tmp"
    if [[ -f "$FM_REPO/tests/FleetMfa.Load/NOTES.md" ]]; then
        { printf '\n'; cat "$FM_REPO/tests/FleetMfa.Load/NOTES.md"; } >>"$RESULTS.tmp"
    fi
    mv "$RESULTS.tmp" "$RESULTS"
    fm_log "wrote $RESULTS"
}

# oathtool: the fan-out benchmark confirms its user's TOTP setup with an oathtool code (tests/FleetMfa.Testing TestOrg).
fm_ensure_apt mosquitto curl oathtool
build
START=$(fm_now_ms)
case $NAME in
all)
    # RESULTS.md is rewritten after each benchmark, so an interrupted run keeps what it measured.
    bench_fanout
    write_results
    bench_scale all
    write_results
    bench_agent
    write_results
    bench_ssh
    write_results
    bench_key_flood
    write_results
    bench_storage
    ;;
fanout) bench_fanout ;;
register) bench_register ;;
storage) bench_storage ;;
org-switch | queries | grain-memory | dashboard) bench_scale "$NAME" ;;
scale) bench_scale all ;;
agent) bench_agent ;;
ssh) bench_ssh ;;
key-flood) bench_key_flood ;;
esac

printf '\n'
printf '%s\n' "${ROWS[@]}" | column -t -s '|' || true
fm_log "done in $(fm_elapsed "$START") s"
if [[ $NAME == all || -n "${FLEETMFA_BENCH_RESULTS:-}" ]]; then
    write_results
fi
