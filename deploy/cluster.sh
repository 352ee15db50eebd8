#!/usr/bin/env bash
# Runs a local FleetMfa cluster in the foreground: N silos (2-3) with Azure Table membership on
# Azurite, behind one Mosquitto over TLS (each silo with its own bridge account and certificate, an MQTT 5 shared
# subscription spreading the reports over them), talking Orleans over mutual TLS with certificates from a development
# CA (deploy/cluster-certs.sh, made once under $DATA/certs). Ctrl-C stops everything it started, by PID.
#
#   deploy/cluster.sh [--silos N]
#
# Silo i (1-based) serves HTTP on FLEETMFA_HTTP_PORT+i-1, its agent endpoint (HTTPS, one FleetMfa CA for all,
# $FLEETMFA_DATA/cluster/agent-ca.pem) on FLEETMFA_AGENT_HTTPS_PORT+i-1, and uses FLEETMFA_SILO_PORT+i-1 and
# FLEETMFA_GATEWAY_PORT+i-1; Mosquitto listens on FLEETMFA_MQTT_PORT. Data, keys and logs live
# under $FLEETMFA_DATA/cluster (default deploy/.data/cluster). The admin, master and signing keys are
# generated once there and shared by every silo.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FM_START_MS=$(fm_now_ms)
SILOS=2
while (($#)); do
    case "$1" in
    --silos)
        [[ $# -ge 2 && "$2" =~ ^[23]$ ]] || fm_die "--silos takes 2 or 3"
        SILOS=$2
        shift 2
        ;;
    -h | --help)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) fm_die "unknown argument: $1 (see --help)" ;;
    esac
done

fm_defaults
DATA="$FLEETMFA_DATA/cluster"
mkdir -p "$DATA/logs"
DATA="$(cd "$DATA" && pwd)"
chmod 700 "$FLEETMFA_DATA" "$DATA"

fm_check_leftover "$DATA/azurite.pid" azurite "Azurite"
fm_check_leftover "$DATA/mosquitto/run.pid" mosquitto "Mosquitto"
for ((i = 1; i <= SILOS; i++)); do
    fm_check_leftover "$DATA/silo-$i/silo.pid" FleetMfa.Silo.dll "silo $i"
    fm_port_free "$((FLEETMFA_HTTP_PORT + i - 1))" FLEETMFA_HTTP_PORT
    fm_port_free "$((FLEETMFA_AGENT_HTTPS_PORT + i - 1))" FLEETMFA_AGENT_HTTPS_PORT
    fm_port_free "$((FLEETMFA_SILO_PORT + i - 1))" FLEETMFA_SILO_PORT
    fm_port_free "$((FLEETMFA_GATEWAY_PORT + i - 1))" FLEETMFA_GATEWAY_PORT
done
fm_port_free "$FLEETMFA_MQTT_PORT" FLEETMFA_MQTT_PORT
for p in "$FLEETMFA_AZURITE_PORT" "$((FLEETMFA_AZURITE_PORT + 1))" "$((FLEETMFA_AZURITE_PORT + 2))"; do
    fm_port_free "$p" FLEETMFA_AZURITE_PORT
done

fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt curl ca-certificates mosquitto openssl
fm_ensure_azurite

SILO_PIDS=()
STOPPING=""
cleanup() {
    [[ -n "$STOPPING" ]] && return 0
    STOPPING=1
    fm_stop_pid "$FM_FG_PID" 5
    local pid
    for pid in "${SILO_PIDS[@]}"; do
        fm_stop_pid "$pid" 20
    done
    fm_stop_pid "$FM_MOSQUITTO_PID" 10
    fm_stop_pid "$FM_AZURITE_PID" 10
    rm -f "$DATA"/silo-*/silo.pid "$DATA/mosquitto/run.pid" "$DATA/azurite.pid"
    return 0
}
trap 'trap - INT TERM HUP; printf "\n"; cleanup; fm_log "stopped."; exit 130' INT TERM HUP
trap cleanup EXIT

# One admin key, one master key and one desired-state signing key (P-256, PKCS#8) for the whole cluster, generated once.
for name in admin master signing; do
    if [[ ! -s "$DATA/$name.key" ]]; then
        (umask 077 && case $name in
            admin) printf 'fma_%s' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" ;;
            master) head -c 32 /dev/urandom | base64 ;;
            signing) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkcs8 -topk8 -nocrypt -outform DER | base64 -w0 ;;
        esac >"$DATA/$name.key.new" && mv "$DATA/$name.key.new" "$DATA/$name.key")
    fi
done
ADMIN_KEY=$(<"$DATA/admin.key")

# Orleans runs over mutual TLS between the silos: a development CA and one certificate every silo shows, made once.
"$FM_REPO/deploy/cluster-certs.sh" "$DATA/certs" silo

fm_log "starting Azurite on 127.0.0.1:$FLEETMFA_AZURITE_PORT-$((FLEETMFA_AZURITE_PORT + 2))"
fm_spawn_azurite "$DATA" "$FLEETMFA_AZURITE_PORT" "$DATA/logs/azurite.log"
fm_log "starting Mosquitto on 127.0.0.1:$FLEETMFA_MQTT_PORT with $SILOS bridge accounts"
# One FleetMfa CA for every silo's agent endpoint and for Mosquitto (a connect key pins it, whichever silo made the
# key), made once by fm_start_mosquitto.
export FLEETMFA_AGENT_CA_CERT="$DATA/agent-ca.pem"
fm_start_mosquitto "$DATA/mosquitto" "$FLEETMFA_MQTT_PORT" "$DATA/logs/mosquitto.log" "$SILOS"

SILO_PROJECT="$FM_REPO/silo/FleetMfa.Silo"
SILO_DLL="$SILO_PROJECT/bin/Release/net10.0/FleetMfa.Silo.dll"
fm_log "building the silo (Release)..."
fm_run_group dotnet build "$SILO_PROJECT" -c Release -v q -nologo >"$DATA/logs/build.log" 2>&1 ||
    fm_die "dotnet build silo/FleetMfa.Silo failed (log: $DATA/logs/build.log)"
fm_wait_azurite "$FLEETMFA_AZURITE_PORT" "$DATA/logs/azurite.log"

cd "$SILO_PROJECT"
for ((i = 1; i <= SILOS; i++)); do
    dir="$DATA/silo-$i"
    mkdir -p "$dir"
    account=$(fm_bridge_account "$i")
    url="http://127.0.0.1:$((FLEETMFA_HTTP_PORT + i - 1))"
    fm_log "starting silo $i on $url (log: $DATA/logs/silo-$i.log)"
    fm_spawn "$DATA/logs/silo-$i.log" "$dir/silo.pid" env \
        FLEETMFA_DATA="$dir" \
        FLEETMFA_STORAGE="$(fm_azurite_connection_string "$FLEETMFA_AZURITE_PORT")" \
        FLEETMFA_CLUSTERING=AzureTable FLEETMFA_CLUSTER_ID=fleetmfa-local \
        FLEETMFA_CLUSTER_CERT="$DATA/certs/silo.pem" FLEETMFA_CLUSTER_KEY="$DATA/certs/silo.key" FLEETMFA_CLUSTER_CA="$DATA/certs/ca.pem" \
        FLEETMFA_SILO_PORT=$((FLEETMFA_SILO_PORT + i - 1)) FLEETMFA_GATEWAY_PORT=$((FLEETMFA_GATEWAY_PORT + i - 1)) \
        FLEETMFA_AGENT_HTTPS_PORT=$((FLEETMFA_AGENT_HTTPS_PORT + i - 1)) FLEETMFA_AGENT_CA_CERT="$DATA/agent-ca.pem" \
        FLEETMFA_ADMIN_KEY="$ADMIN_KEY" FLEETMFA_MASTER_KEY="$(<"$DATA/master.key")" FLEETMFA_SIGNING_KEY="$(<"$DATA/signing.key")" \
        FLEETMFA_BROKER_USERNAME="$account" \
        dotnet "$SILO_DLL" --urls "$url"
    SILO_PIDS+=("$FM_LAST_PID")
done
cd "$FM_REPO"

for ((i = 1; i <= SILOS; i++)); do
    url="http://127.0.0.1:$((FLEETMFA_HTTP_PORT + i - 1))"
    fm_wait_http "$url/healthz" 180 "${SILO_PIDS[$((i - 1))]}" ||
        fm_die "silo $i did not become healthy at $url/healthz (log: $DATA/logs/silo-$i.log)"
done
# Every silo sees the whole cluster before we call it up.
deadline=$(($(fm_now_ms) + 60000))
until [[ "$(curl -sf "http://127.0.0.1:$FLEETMFA_HTTP_PORT/healthz" | sed -n 's/.*"activeSilos":\([0-9]*\).*/\1/p')" == "$SILOS" ]]; do
    (($(fm_now_ms) < deadline)) || fm_die "the silos did not form a $SILOS-silo cluster within 60s"
    sleep 0.5
done

cat <<EOF

FleetMfa cluster is up ($SILOS silos, healthy after $(fm_elapsed "$FM_START_MS")s)
  Silos      $(for ((i = 1; i <= SILOS; i++)); do printf 'http://127.0.0.1:%s  ' "$((FLEETMFA_HTTP_PORT + i - 1))"; done)
  Agents     $(for ((i = 1; i <= SILOS; i++)); do printf 'https://127.0.0.1:%s  ' "$((FLEETMFA_AGENT_HTTPS_PORT + i - 1))"; done)
  MQTT       mqtts://127.0.0.1:$FLEETMFA_MQTT_PORT (Mosquitto, TLS with device certificates)
  Admin key  $ADMIN_KEY  (from $DATA/admin.key)
  Logs       $DATA/logs/

Press Ctrl-C to stop
EOF

rc=0
wait -n "${SILO_PIDS[@]}" "$FM_MOSQUITTO_PID" "$FM_AZURITE_PID" || rc=$?
printf 'error: a server of the cluster exited (status %s); see %s\n' "$rc" "$DATA/logs/" >&2
exit 1
