#!/usr/bin/env bash
# Brings FleetMfa up in the foreground: Azurite (unless FLEETMFA_STORAGE is set) and the
# silo (admin API, dashboard, embedded MQTT broker). Ctrl-C or SIGTERM stops everything it
# started, by PID. Settings: DESIGN.md "Running it" (FLEETMFA_* variables).
#
#   deploy/up.sh [--demo N]
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FM_START_MS=$(fm_now_ms)

usage() {
    cat <<'EOF'
usage: deploy/up.sh [--demo N]

Starts Azurite (unless FLEETMFA_STORAGE is set) and the FleetMfa silo in the foreground.
Ctrl-C stops everything it started.

  --demo N   also enroll and run N local agents in an org "demo" (TOTP on)

Environment (defaults): FLEETMFA_DATA (deploy/.data), FLEETMFA_HTTP_PORT (5080),
FLEETMFA_AGENT_HTTPS_PORT (5443: agent enrollment over HTTPS, FleetMfa CA in $FLEETMFA_DATA/ca.pem),
FLEETMFA_MQTT_PORT (8883: MQTT over TLS with device certificates, the embedded broker's or Mosquitto's),
FLEETMFA_MQTT_PLAINTEXT_PORT (unset: no plain listener; development only), FLEETMFA_AZURITE_PORT (10000; queue +1, table +2),
FLEETMFA_STORAGE (unset: start Azurite), FLEETMFA_BROKER (embedded | mosquitto: start a
local Mosquitto on FLEETMFA_MQTT_PORT, with the FleetMfa CA in $FLEETMFA_DATA/ca.pem | mqtts://host:port of a broker you run),
FLEETMFA_ADMIN_KEY (unset: generated once into $FLEETMFA_DATA/admin.key),
FLEETMFA_SILO_PORT (11111) and FLEETMFA_GATEWAY_PORT (30000): Orleans' own ports.
EOF
}

DEMO_AGENTS=0
while (($#)); do
    case "$1" in
    --demo)
        [[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || fm_die "--demo needs a number of agents (e.g. --demo 5)"
        DEMO_AGENTS=$((10#$2))
        shift 2
        ;;
    --demo=*)
        DEMO_AGENTS=${1#--demo=}
        [[ "$DEMO_AGENTS" =~ ^[0-9]+$ ]] || fm_die "--demo needs a number of agents (e.g. --demo 5)"
        DEMO_AGENTS=$((10#$DEMO_AGENTS))
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        fm_die "unknown argument: $1"
        ;;
    esac
done

fm_defaults

case "$FLEETMFA_BROKER" in
embedded | mosquitto | mqtt://?*) ;;
*) fm_die "FLEETMFA_BROKER must be 'embedded', 'mosquitto' (start a local Mosquitto) or mqtt://host:port (got '$FLEETMFA_BROKER')" ;;
esac
START_MOSQUITTO=""
[[ "$FLEETMFA_BROKER" == mosquitto ]] && START_MOSQUITTO=1

# --- servers a killed earlier run left behind (their PID files live in the data dir) ---
fm_check_leftover "$FLEETMFA_DATA/silo.pid" FleetMfa.Silo.dll "the silo"
fm_check_leftover "$FLEETMFA_DATA/azurite.pid" azurite "Azurite"
fm_check_leftover "$FLEETMFA_DATA/mosquitto/run.pid" mosquitto "Mosquitto"

# --- ports (a clear one-line error naming the variable, DESIGN "Running it") ---
fm_port_free "$FLEETMFA_HTTP_PORT" FLEETMFA_HTTP_PORT
fm_port_free "$FLEETMFA_AGENT_HTTPS_PORT" FLEETMFA_AGENT_HTTPS_PORT
fm_port_free "$FLEETMFA_SILO_PORT" FLEETMFA_SILO_PORT
fm_port_free "$FLEETMFA_GATEWAY_PORT" FLEETMFA_GATEWAY_PORT
if [[ "$FLEETMFA_BROKER" == embedded || -n "$START_MOSQUITTO" ]]; then
    fm_port_free "$FLEETMFA_MQTT_PORT" FLEETMFA_MQTT_PORT
fi
if [[ -n "${FLEETMFA_MQTT_PLAINTEXT_PORT:-}" ]]; then
    fm_port_free "$FLEETMFA_MQTT_PLAINTEXT_PORT" FLEETMFA_MQTT_PLAINTEXT_PORT
fi
START_AZURITE=""
if [[ -z "${FLEETMFA_STORAGE:-}" ]]; then
    START_AZURITE=1
    for p in "$FLEETMFA_AZURITE_PORT" "$((FLEETMFA_AZURITE_PORT + 1))" "$((FLEETMFA_AZURITE_PORT + 2))"; do
        fm_port_free "$p" FLEETMFA_AZURITE_PORT
    done
fi

# --- data directory (keys live here: owner only) ---
mkdir -p "$FLEETMFA_DATA"
FLEETMFA_DATA="$(cd "$FLEETMFA_DATA" && pwd)"
chmod 700 "$FLEETMFA_DATA"
mkdir -p "$FLEETMFA_DATA/logs"
export FLEETMFA_DATA
SILO_LOG="$FLEETMFA_DATA/logs/silo.log"
AZURITE_LOG="$FLEETMFA_DATA/logs/azurite.log"

# --- tools ---
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt curl ca-certificates
if [[ -n "$START_AZURITE" ]]; then
    fm_ensure_azurite
fi

# --- stop what we started, by PID: demo agents, the silo, then Mosquitto and Azurite ---
SILO_PID=""
STOPPING=""
DEMO_PIDS=()
# shellcheck disable=SC2317  # invoked from traps
cleanup() {
    [[ -n "$STOPPING" ]] && return 0
    STOPPING=1
    fm_stop_pid "$FM_FG_PID" 5
    local pid
    for pid in "${DEMO_PIDS[@]}"; do
        fm_stop_pid "$pid" 5
    done
    if [[ -n "$SILO_PID" ]] && fm_pid_alive "$SILO_PID"; then
        fm_log "stopping silo (pid $SILO_PID)..."
    fi
    fm_stop_pid "$SILO_PID" 20
    if [[ -n "$SILO_PID" ]]; then
        rm -f "$FLEETMFA_DATA/silo.pid"
    fi
    if [[ -n "$FM_MOSQUITTO_PID" ]]; then
        fm_log "stopping Mosquitto (pid $FM_MOSQUITTO_PID)..."
        fm_stop_pid "$FM_MOSQUITTO_PID" 10
        rm -f "$FLEETMFA_DATA/mosquitto/run.pid"
    fi
    if [[ -n "$FM_AZURITE_PID" ]] && fm_pid_alive "$FM_AZURITE_PID"; then
        fm_log "stopping Azurite (pid $FM_AZURITE_PID)..."
    fi
    fm_stop_pid "$FM_AZURITE_PID" 10
    if [[ -n "$FM_AZURITE_PID" ]]; then
        rm -f "$FLEETMFA_DATA/azurite.pid"
    fi
    return 0
}
# shellcheck disable=SC2317  # invoked from traps
on_signal() {
    trap - INT TERM HUP
    printf '\n'
    cleanup
    fm_log "stopped."
    exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP
trap cleanup EXIT

# --- Azurite (started first; it warms up while the silo builds) ---
if [[ -n "$START_AZURITE" ]]; then
    fm_log "starting Azurite on 127.0.0.1:$FLEETMFA_AZURITE_PORT-$((FLEETMFA_AZURITE_PORT + 2)) (log: $AZURITE_LOG)"
    fm_spawn_azurite "$FLEETMFA_DATA" "$FLEETMFA_AZURITE_PORT" "$AZURITE_LOG"
    FLEETMFA_STORAGE="$(fm_azurite_connection_string "$FLEETMFA_AZURITE_PORT")"
fi
if [[ -n "$START_MOSQUITTO" ]]; then
    fm_log "starting Mosquitto on 127.0.0.1:$FLEETMFA_MQTT_PORT (log: $FLEETMFA_DATA/logs/mosquitto.log)"
    # Mosquitto takes the silo's own CA (made here first when this is the first start), so agents pin one CA for both.
    export FLEETMFA_AGENT_CA_CERT=${FLEETMFA_AGENT_CA_CERT:-$FLEETMFA_DATA/ca.pem}
    fm_start_mosquitto "$FLEETMFA_DATA/mosquitto" "$FLEETMFA_MQTT_PORT" "$FLEETMFA_DATA/logs/mosquitto.log"
fi
export FLEETMFA_STORAGE FLEETMFA_MQTT_PORT FLEETMFA_BROKER
if [[ -n "${FLEETMFA_ADMIN_KEY:-}" ]]; then
    export FLEETMFA_ADMIN_KEY
fi

# --- build the silo ---
SILO_PROJECT="$FM_REPO/silo/FleetMfa.Silo"
SILO_DLL="$SILO_PROJECT/bin/Release/net10.0/FleetMfa.Silo.dll"
BUILD_LOG="$FLEETMFA_DATA/logs/build.log"
fm_log "building the silo (dotnet build -c Release; log: $BUILD_LOG)..."
# In its own process group, so that a signal is handled at once, not after the build.
build_rc=0
fm_run_group dotnet build "$SILO_PROJECT" -c Release -v q /nologo >"$BUILD_LOG" 2>&1 || build_rc=$?
if ((build_rc != 0)); then
    cat "$BUILD_LOG" >&2
    fm_die "dotnet build silo/FleetMfa.Silo failed (log: $BUILD_LOG)"
fi
[[ -f "$SILO_DLL" ]] || fm_die "build produced no $SILO_DLL"

if [[ -n "$START_AZURITE" ]]; then
    fm_wait_azurite "$FLEETMFA_AZURITE_PORT" "$AZURITE_LOG"
fi

# --- run the silo ---
BASE_URL="http://127.0.0.1:$FLEETMFA_HTTP_PORT"
AGENT_URL="https://127.0.0.1:$FLEETMFA_AGENT_HTTPS_PORT"
fm_log "starting the silo on $BASE_URL (log: $SILO_LOG)"
# Content root = the project directory (where wwwroot and appsettings.json live).
cd "$SILO_PROJECT"
fm_spawn "$SILO_LOG" "$FLEETMFA_DATA/silo.pid" dotnet "$SILO_DLL" --urls "$BASE_URL"
SILO_PID=$FM_LAST_PID
cd "$FM_REPO"

if ! fm_wait_http "$BASE_URL/healthz" 120 "$SILO_PID"; then
    if fm_pid_alive "$SILO_PID"; then
        printf 'error: the silo did not become healthy at %s/healthz within 120s; last lines of %s:\n' "$BASE_URL" "$SILO_LOG" >&2
    else
        printf 'error: the silo exited during startup; last lines of %s:\n' "$SILO_LOG" >&2
    fi
    tail -n 30 "$SILO_LOG" >&2 || true
    exit 1
fi
HEALTHY_AFTER=$(fm_elapsed "$FM_START_MS")

# --- the admin key: given, or generated by the silo on first start ---
if [[ -n "${FLEETMFA_ADMIN_KEY:-}" ]]; then
    ADMIN_KEY=$FLEETMFA_ADMIN_KEY
    ADMIN_KEY_SOURCE="from FLEETMFA_ADMIN_KEY"
else
    KEY_FILE="$FLEETMFA_DATA/admin.key"
    deadline=$(($(fm_now_ms) + 30000))
    until [[ -s "$KEY_FILE" ]]; do
        fm_pid_alive "$SILO_PID" || fm_die "the silo exited before writing $KEY_FILE (log: $SILO_LOG)"
        (($(fm_now_ms) < deadline)) || fm_die "the silo did not write $KEY_FILE within 30s (log: $SILO_LOG)"
        sleep 0.2
    done
    ADMIN_KEY=$(<"$KEY_FILE")
    ADMIN_KEY_SOURCE="from $KEY_FILE"
fi

# --- demo fleet: an org "demo" with TOTP on and N real agents, each with its own data dir ---
if ((DEMO_AGENTS > 0)); then
    DEMO_DIR="$FLEETMFA_DATA/demo"
    AGENT_PROJECT="$FM_REPO/agent/FleetMfa.Agent"
    AGENT_DLL="$AGENT_PROJECT/bin/Release/net10.0/fleetmfa-agent.dll"
    fm_log "building the agent for $DEMO_AGENTS demo devices..."
    fm_run_group dotnet build "$AGENT_PROJECT" -c Release -v q /nologo >>"$BUILD_LOG" 2>&1 ||
        fm_die "dotnet build agent/FleetMfa.Agent failed (log: $BUILD_LOG)"
    api() { curl -sf -X "$1" "$BASE_URL$2" -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
    api PUT /api/orgs/demo '{"name":"Demo fleet"}' >/dev/null || fm_die "could not create the demo org"
    api PUT /api/orgs/demo/mfa/totp '{"enabled":true}' >/dev/null || fm_die "could not switch TOTP on for the demo org"
    mkdir -p "$DEMO_DIR"
    for ((i = 1; i <= DEMO_AGENTS; i++)); do
        dir="$DEMO_DIR/agent-$i"
        if [[ ! -f "$dir/config.json" ]]; then
            key=$(api POST /api/orgs/demo/connect-keys '{"name":"demo"}' | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
            [[ -n "$key" ]] || fm_die "could not create a connect key for the demo org"
            FLEETMFA_AGENT_HOSTNAME="demo-$i" FLEETMFA_CONNECT_KEY="$key" \
                dotnet "$AGENT_DLL" enroll --server "$AGENT_URL" --data-dir "$dir" >>"$FLEETMFA_DATA/logs/demo-agents.log" 2>&1 ||
                fm_die "demo agent $i could not enroll (log: $FLEETMFA_DATA/logs/demo-agents.log)"
        fi
        fm_spawn "$FLEETMFA_DATA/logs/demo-agent-$i.log" "$dir.pid" env FLEETMFA_AGENT_HOSTNAME="demo-$i" FLEETMFA_SSH_POLICY=off dotnet "$AGENT_DLL" run --data-dir "$dir"
        DEMO_PIDS+=("$FM_LAST_PID")
    done
fi

cat <<EOF

FleetMfa is up (healthy after ${HEALTHY_AFTER}s)
  API        $BASE_URL  (routes under /api)
  Dashboard  $BASE_URL/
  OpenAPI    $BASE_URL/openapi/v1.json  (admin key)
  Agents     $AGENT_URL  (enroll --server; connect keys pin the CA in ${FLEETMFA_DATA}/ca.pem)
  Admin key  $ADMIN_KEY  ($ADMIN_KEY_SOURCE)
  Logs       $SILO_LOG
EOF
if [[ -n "$START_AZURITE" ]]; then
    fm_log "  Azurite    127.0.0.1:$FLEETMFA_AZURITE_PORT (blob), +1 (queue), +2 (table); log $AZURITE_LOG"
fi
if [[ "$FLEETMFA_BROKER" == embedded ]]; then
    fm_log "  MQTT       127.0.0.1:$FLEETMFA_MQTT_PORT (embedded broker, TLS with device certificates)"
else
    fm_log "  MQTT       $FLEETMFA_BROKER"
fi
if ((DEMO_AGENTS > 0)); then
    fm_log "  Demo       org 'demo', $DEMO_AGENTS agents (data: $DEMO_DIR, logs: $FLEETMFA_DATA/logs/demo-agent-*.log)"
fi
fm_log ""
fm_log "Press Ctrl-C to stop"

# --- foreground until a signal, or until a server exits on its own ---
watch=("$SILO_PID")
if [[ -n "$FM_AZURITE_PID" ]]; then
    watch+=("$FM_AZURITE_PID")
fi
if [[ -n "$FM_MOSQUITTO_PID" ]]; then
    watch+=("$FM_MOSQUITTO_PID")
fi
rc=0
wait -n "${watch[@]}" || rc=$?
if ! fm_pid_alive "$SILO_PID"; then
    printf 'error: the silo exited (status %s); last lines of %s:\n' "$rc" "$SILO_LOG" >&2
    tail -n 30 "$SILO_LOG" >&2 || true
elif [[ -n "$FM_MOSQUITTO_PID" ]] && ! fm_pid_alive "$FM_MOSQUITTO_PID"; then
    printf 'error: Mosquitto exited (status %s); see %s\n' "$rc" "$FLEETMFA_DATA/logs/mosquitto.log" >&2
else
    printf 'error: Azurite exited (status %s); see %s\n' "$rc" "$AZURITE_LOG" >&2
fi
exit 1
