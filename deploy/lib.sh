# shellcheck shell=bash disable=SC2034  # FM_* globals are also read by the sourcing scripts
# Shared functions for deploy/up.sh and deploy/test.sh. Source it; do not run it.
#
# Every server these functions start is tracked by PID (and a PID file); nothing is ever
# stopped by name (DESIGN §9). Functions that detect a fatal problem print one line
# "error: ..." to stderr and exit 1.

if [[ -n "${FM_LIB_LOADED:-}" ]]; then
    return 0
fi
FM_LIB_LOADED=1

FM_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FM_DEPLOY="$FM_REPO/deploy"
FM_AZURITE_BIN="$FM_DEPLOY/node_modules/.bin/azurite"

# Azurite's well-known development account (public, documented by Microsoft).
FM_AZURITE_ACCOUNT=devstoreaccount1
FM_AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Set by fm_start_azurite / fm_spawn_azurite.
FM_AZURITE_PID=""
# Set by fm_spawn.
FM_LAST_PID=""
# apt-get update runs at most once per script run.
FM_APT_UPDATED=""

# Set by fm_run_group while its command runs (for the caller's traps).
FM_FG_PID=""

export DOTNET_NOLOGO=1
# No MSBuild worker nodes or compiler server left running after a build or test run
# (override in the environment to keep them).
export MSBUILDDISABLENODEREUSE="${MSBUILDDISABLENODEREUSE:-1}"
export UseSharedCompilation="${UseSharedCompilation:-false}"

fm_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

fm_log() {
    printf '%s\n' "$*"
}

# Monotonic-enough wall clock in milliseconds.
fm_now_ms() {
    local ns
    ns=$(date +%s%N)
    printf '%s\n' "$((ns / 1000000))"
}

# fm_elapsed START_MS -> "12.3"
fm_elapsed() {
    local ms=$(($(fm_now_ms) - $1))
    printf '%d.%d\n' "$((ms / 1000))" "$((ms % 1000 / 100))"
}

# Defaults for every FLEETMFA_* variable (DESIGN "Running it"). Values already set win.
fm_defaults() {
    : "${FLEETMFA_DATA:=$FM_REPO/deploy/.data}"
    : "${FLEETMFA_HTTP_PORT:=5080}"
    # The agent endpoint: HTTPS with a certificate from the FleetMfa CA (the silo's default).
    : "${FLEETMFA_AGENT_HTTPS_PORT:=5443}"
    : "${FLEETMFA_BROKER:=embedded}"
    # MQTT is TLS only, where agents connect with their client certificates: the embedded broker (the silo's default,
    # 8883) and Mosquitto alike. FLEETMFA_MQTT_PLAINTEXT_PORT (development) stays unset.
    : "${FLEETMFA_MQTT_PORT:=8883}"
    : "${FLEETMFA_AZURITE_PORT:=10000}"
    # Orleans' own ports (silo-to-silo, client gateway); the silo's defaults.
    : "${FLEETMFA_SILO_PORT:=11111}"
    : "${FLEETMFA_GATEWAY_PORT:=30000}"
    # FLEETMFA_STORAGE and FLEETMFA_ADMIN_KEY stay unset unless the caller set them.
    fm_check_port_number "$FLEETMFA_HTTP_PORT" FLEETMFA_HTTP_PORT
    fm_check_port_number "$FLEETMFA_AGENT_HTTPS_PORT" FLEETMFA_AGENT_HTTPS_PORT
    fm_check_port_number "$FLEETMFA_MQTT_PORT" FLEETMFA_MQTT_PORT
    fm_check_port_number "$FLEETMFA_AZURITE_PORT" FLEETMFA_AZURITE_PORT 2
    fm_check_port_number "$FLEETMFA_SILO_PORT" FLEETMFA_SILO_PORT
    fm_check_port_number "$FLEETMFA_GATEWAY_PORT" FLEETMFA_GATEWAY_PORT
    export FLEETMFA_DATA FLEETMFA_HTTP_PORT FLEETMFA_AGENT_HTTPS_PORT FLEETMFA_MQTT_PORT FLEETMFA_AZURITE_PORT FLEETMFA_BROKER \
        FLEETMFA_SILO_PORT FLEETMFA_GATEWAY_PORT
}

# fm_check_port_number VALUE VARNAME [EXTRA]: VALUE (and VALUE+EXTRA) must be a valid TCP port.
fm_check_port_number() {
    local value=$1 name=$2 extra=${3:-0}
    if [[ ! "$value" =~ ^[0-9]{1,5}$ ]] || ((10#$value < 1 || 10#$value + extra > 65535)); then
        fm_die "$name=$value is not a valid port number"
    fi
}

# fm_port_busy PORT: succeeds when something listens on 127.0.0.1:PORT.
fm_port_busy() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        # Any listener that a bind to 127.0.0.1:PORT would collide with ("*" is a dual-stack
        # IPv6 wildcard; an IPv6-only "[::]" does not collide).
        ss -Hltn "sport = :$port" 2>/dev/null |
            awk '{print $4}' |
            grep -Eq '^(127\.[0-9.]+|0\.0\.0\.0|\*|\[::ffff:127\.[0-9.]+\]):[0-9]+$' && return 0
    fi
    # No ss, or nothing listed: try to connect (a refused connect on loopback is immediate).
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# fm_port_free PORT VARNAME: exit 1 with one line on stderr when PORT is taken.
fm_port_free() {
    local port=$1 name=$2
    if fm_port_busy "$port"; then
        printf 'error: port %s is already in use; set %s to a free port\n' "$port" "$name" >&2
        exit 1
    fi
}

# fm_ensure_apt PKG...: install the Debian packages that are missing, quietly.
fm_ensure_apt() {
    local pkg missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]})) || return 0

    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 ||
            fm_die "missing Debian packages: ${missing[*]} (run as root, or install them first)"
        sudo=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 ||
        fm_die "missing packages: ${missing[*]}, and apt-get is not available to install them"

    fm_log "installing ${missing[*]} (apt-get)..."
    local out
    out=$(mktemp)
    if [[ -z "$FM_APT_UPDATED" ]]; then
        if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq update >"$out" 2>&1; then
            cat "$out" >&2
            rm -f "$out"
            fm_die "apt-get update failed"
        fi
        FM_APT_UPDATED=1
    fi
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -qq install -y --no-install-recommends "${missing[@]}" >"$out" 2>&1; then
        cat "$out" >&2
        rm -f "$out"
        fm_die "apt-get install ${missing[*]} failed"
    fi
    rm -f "$out"
}

# fm_require_cmd CMD HINT: exit with HINT when CMD is not on PATH.
fm_require_cmd() {
    command -v "$1" >/dev/null 2>&1 || fm_die "$1 not found: $2"
}

# fm_ensure_azurite: install the pinned Azurite (deploy/package-lock.json) when missing.
fm_ensure_azurite() {
    [[ -x "$FM_AZURITE_BIN" ]] && return 0
    fm_require_cmd npm "install Node.js 20 (with npm) to run Azurite"
    fm_log "installing Azurite (npm ci --prefix deploy)..."
    (cd "$FM_REPO" && npm ci --prefix deploy --no-audit --no-fund --loglevel=error) ||
        fm_die "npm ci --prefix deploy failed"
    [[ -x "$FM_AZURITE_BIN" ]] || fm_die "npm ci did not install $FM_AZURITE_BIN"
}

# fm_spawn LOG_FILE PID_FILE CMD...: start CMD in the background, detached from the
# terminal's process group (so Ctrl-C reaches only the script, which stops things in order),
# stdout+stderr appended to LOG_FILE. Sets FM_LAST_PID and writes PID_FILE.
# The child leads its own process group, so fm_stop_pid can signal the whole group.
fm_spawn() {
    local log=$1 pidfile=$2
    shift 2
    if [[ $- == *m* ]]; then
        # Job control on (interactive shell): the job already gets its own process group.
        (exec "$@") >>"$log" 2>&1 </dev/null &
    else
        # setsid does not fork here (a background child is not a group leader), so $! is
        # the server itself, still our child (wait works).
        setsid "$@" >>"$log" 2>&1 </dev/null &
    fi
    FM_LAST_PID=$!
    printf '%s\n' "$FM_LAST_PID" >"$pidfile"
}

# fm_pid_alive PID: running and not a zombie.
fm_pid_alive() {
    local stat
    [[ -n "${1:-}" ]] || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*") "}
    [[ ${stat%% *} != Z ]]
}

# fm_pgid PID: prints the process group id of PID.
fm_pgid() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*") "}
    # Fields after "(comm) ": state ppid pgrp ...
    read -r _ _ stat _ <<<"$stat"
    printf '%s\n' "$stat"
}

# fm_group_members PGID: prints the live (non-zombie) processes of process group PGID.
fm_group_members() {
    local f line rest state pgrp
    for f in /proc/[0-9]*/stat; do
        { line=$(<"$f"); } 2>/dev/null || continue
        rest=${line##*") "}
        read -r state _ pgrp _ <<<"$rest"
        if [[ "$pgrp" == "$1" && "$state" != Z ]]; then
            f=${f#/proc/}
            printf '%s\n' "${f%/stat}"
        fi
    done
}

# fm_run_group CMD...: run CMD in the foreground of the script but in its own process group
# (stdout/stderr inherited), so that a trapped signal is handled at once and the trap can
# stop it with fm_stop_pid "$FM_FG_PID". Returns CMD's status. Processes CMD leaves behind in
# its group are reported and stopped.
fm_run_group() {
    local rc=0 pid left
    if [[ $- == *m* ]]; then
        (exec "$@") &
    else
        setsid "$@" &
    fi
    pid=$!
    FM_FG_PID=$pid
    wait "$pid" || rc=$?
    FM_FG_PID=""
    left=$(fm_group_members "$pid")
    if [[ -n "$left" ]]; then
        printf 'warning: %s left processes running (%s); stopping them\n' "$1" "${left//$'\n'/ }" >&2
        kill -TERM -- "-$pid" 2>/dev/null || true
        local i=0
        while [[ -n "$(fm_group_members "$pid")" ]] && ((i++ < 25)); do
            sleep 0.2
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    return "$rc"
}

# fm_stop_pid PID [GRACE_SECONDS=10]: SIGTERM the process (and its process group when it
# leads one), wait up to GRACE_SECONDS, then SIGKILL. Reaps it when it is our child.
fm_stop_pid() {
    local pid=${1:-} grace=${2:-10} group=""
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if ! fm_pid_alive "$pid"; then
        wait "$pid" 2>/dev/null || true
        return 0
    fi
    # Signal the group only when PID leads its own group, never our own group.
    if [[ "$(fm_pgid "$pid")" == "$pid" && "$(fm_pgid "$$")" != "$pid" ]]; then
        group=1
    fi
    kill -TERM "$pid" 2>/dev/null || true
    if [[ -n "$group" ]]; then
        kill -TERM -- "-$pid" 2>/dev/null || true
    fi
    local deadline=$(($(fm_now_ms) + grace * 1000))
    while fm_pid_alive "$pid" && (($(fm_now_ms) < deadline)); do
        sleep 0.2
    done
    if fm_pid_alive "$pid"; then
        printf 'warning: pid %s did not stop within %ss; sending SIGKILL\n' "$pid" "$grace" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # Leftover members of its group (if any) go too.
    if [[ -n "$group" ]]; then
        kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    # Not our child (nothing to reap): give the kernel a moment to finish it off.
    local i=0
    while fm_pid_alive "$pid" && ((i++ < 25)); do
        sleep 0.2
    done
    return 0
}

# fm_check_leftover PID_FILE PATTERN WHAT: when PID_FILE names a live process whose command
# line contains PATTERN (a server an earlier run left behind), exit with one line saying so;
# a stale PID_FILE is removed.
fm_check_leftover() {
    local pidfile=$1 pattern=$2 what=$3 pid cmdline
    [[ -f "$pidfile" ]] || return 0
    pid=$(<"$pidfile")
    if [[ "$pid" =~ ^[0-9]+$ ]] && fm_pid_alive "$pid"; then
        { cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline"); } 2>/dev/null || cmdline=""
        if [[ "$cmdline" == *"$pattern"* ]]; then
            fm_die "$what from an earlier run is still running (pid $pid, $pidfile); stop it with: kill $pid"
        fi
    fi
    rm -f "$pidfile"
}

# fm_tcp_open PORT: succeeds when 127.0.0.1:PORT accepts a connection.
fm_tcp_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# fm_azurite_connection_string BLOB_PORT
fm_azurite_connection_string() {
    local p=$1
    printf 'DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=http://127.0.0.1:%s/%s;QueueEndpoint=http://127.0.0.1:%s/%s;TableEndpoint=http://127.0.0.1:%s/%s;\n' \
        "$FM_AZURITE_ACCOUNT" "$FM_AZURITE_KEY" \
        "$p" "$FM_AZURITE_ACCOUNT" "$((p + 1))" "$FM_AZURITE_ACCOUNT" "$((p + 2))" "$FM_AZURITE_ACCOUNT"
}

# fm_spawn_azurite DATA_DIR BLOB_PORT LOG_FILE: start Azurite without waiting for it.
# Sets FM_AZURITE_PID and writes DATA_DIR/azurite.pid.
fm_spawn_azurite() {
    local data=$1 port=$2 log=$3
    fm_ensure_azurite
    mkdir -p "$data/azurite" "$(dirname "$log")"
    # FLEETMFA_AZURITE_IN_MEMORY=1 (the benchmarks): no files. Azurite's disk persistence rewrites its whole table
    # database every 5 s (LokiJS autosave), a cost that grows with the data and that Azure Table storage does not have.
    local persistence=(--location "$data/azurite")
    [[ "${FLEETMFA_AZURITE_IN_MEMORY:-0}" == 1 ]] && persistence=(--inMemoryPersistence)
    # FLEETMFA_AZURITE_DEBUG=FILE: Azurite's request log (every request with its table and operation; slows it down).
    local debug=()
    [[ -n "${FLEETMFA_AZURITE_DEBUG:-}" ]] && debug=(--debug "$FLEETMFA_AZURITE_DEBUG")
    fm_spawn "$log" "$data/azurite.pid" \
        "$FM_AZURITE_BIN" --silent --skipApiVersionCheck --loose --disableTelemetry "${persistence[@]}" "${debug[@]}" \
        --blobHost 127.0.0.1 --blobPort "$port" \
        --queueHost 127.0.0.1 --queuePort "$((port + 1))" \
        --tableHost 127.0.0.1 --tablePort "$((port + 2))"
    FM_AZURITE_PID=$FM_LAST_PID
}

# fm_wait_azurite BLOB_PORT LOG_FILE [TIMEOUT_S=30]: wait until all three ports accept.
fm_wait_azurite() {
    local port=$1 log=$2 timeout=${3:-30}
    local deadline=$(($(fm_now_ms) + timeout * 1000))
    until fm_tcp_open "$((port + 2))" && fm_tcp_open "$port" && fm_tcp_open "$((port + 1))"; do
        if ! fm_pid_alive "$FM_AZURITE_PID"; then
            tail -n 30 "$log" >&2 2>/dev/null || true
            fm_die "Azurite exited during startup (log: $log)"
        fi
        if (($(fm_now_ms) >= deadline)); then
            tail -n 30 "$log" >&2 2>/dev/null || true
            fm_die "Azurite did not listen on 127.0.0.1:$((port + 2)) within ${timeout}s (log: $log)"
        fi
        sleep 0.2
    done
}

# fm_start_azurite DATA_DIR BLOB_PORT LOG_FILE: start Azurite (blob PORT, queue PORT+1,
# table PORT+2, files under DATA_DIR/azurite) and wait until it accepts connections.
fm_start_azurite() {
    fm_spawn_azurite "$1" "$2" "$3"
    fm_wait_azurite "$2" "$3"
}

# fm_wait_http URL TIMEOUT_S [PID]: poll URL until it answers 200. Fails on timeout, or
# as soon as PID (when given) has exited.
fm_wait_http() {
    local url=$1 timeout=$2 pid=${3:-} code
    local deadline=$(($(fm_now_ms) + timeout * 1000))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
        [[ "$code" == 200 ]] && return 0
        if [[ -n "$pid" ]] && ! fm_pid_alive "$pid"; then
            return 1
        fi
        (($(fm_now_ms) < deadline)) || return 1
        sleep 0.25
    done
}

# fm_build_mosquitto_plugin [OUT_DIR]: build fleetmfa_limits.so, Mosquitto's per-client rate limit and certificate
# revocation check (deploy/mosquitto/plugin), into OUT_DIR (default deploy/.out/mosquitto) unless a build newer than its source is
# there. Installs gcc, Debian's mosquitto-dev/libmosquitto-dev (the plugin headers) and libssl-dev when missing. Sets
# FM_MOSQUITTO_PLUGIN to the .so's path.
FM_MOSQUITTO_PLUGIN=""
fm_build_mosquitto_plugin() {
    local out=${1:-$FM_DEPLOY/.out/mosquitto} src="$FM_DEPLOY/mosquitto/plugin/fleetmfa_limits.c" so tmp
    so="$out/fleetmfa_limits.so"
    if [[ ! -s "$so" || "$src" -nt "$so" ]]; then
        fm_ensure_apt gcc libc6-dev mosquitto-dev libmosquitto-dev libssl-dev
        mkdir -p "$out"
        tmp=$(mktemp "$out/.fleetmfa_limits.XXXXXX")
        if ! gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
            -Wl,-z,relro,-z,now -o "$tmp" "$src" -lcrypto; then
            rm -f "$tmp"
            fm_die "building the Mosquitto rate-limit plugin ($src) failed"
        fi
        chmod 0644 "$tmp"
        mv -f "$tmp" "$so"
    fi
    FM_MOSQUITTO_PLUGIN=$so
}

# fm_start_mosquitto DIR PORT LOG_FILE [BRIDGES]: start Debian's Mosquitto on 127.0.0.1:PORT as the external broker
# over TLS (deploy/mosquitto/fleetmfa-tls.conf.template, files under DIR): devices and the silos' bridges log in with
# client certificates of the FleetMfa CA — FLEETMFA_AGENT_CA_CERT if set, else DIR/ca.pem, made once — and the
# silo keeps the CRL and the revoked file (deploy/mosquitto/make-tls.sh makes the first ones and the broker's server
# certificate). BRIDGES (default 1) bridge accounts get the ACL's control-plane grant — one per silo, since a client
# id is its username: fleetmfa-bridge, fleetmfa-bridge-2, ... Loads fleetmfa_limits (fm_build_mosquitto_plugin;
# Mosquitto does not start without it). Sets FM_MOSQUITTO_PID and exports the FLEETMFA_BROKER* / FLEETMFA_MOSQUITTO_*
# / FLEETMFA_AGENT_CA_CERT variables the silo reads (for the first account).
FM_MOSQUITTO_PID=""
fm_start_mosquitto() {
    local dir=$1 port=$2 log=$3 bridges=${4:-1} i ca
    fm_ensure_apt mosquitto openssl
    fm_build_mosquitto_plugin
    mkdir -p "$dir" "$(dirname "$log")"
    ca=${FLEETMFA_AGENT_CA_CERT:-$dir/ca.pem}
    "$FM_DEPLOY/mosquitto/make-tls.sh" "$ca" "$dir/tls" >/dev/null
    sed "s|@PORT@|$port|; s|@DIR@|$dir|g; s|@PLUGIN@|$FM_MOSQUITTO_PLUGIN|; s|@CAFILE@|$dir/tls/ca.crt|; \
        s|@CERTFILE@|$dir/tls/server.pem|; s|@KEYFILE@|$dir/tls/server.key|; s|@CRLFILE@|$dir/tls/crl.pem|; \
        s|@REVOKED_FILE@|$dir/tls/revoked|" "$FM_DEPLOY/mosquitto/fleetmfa-tls.conf.template" >"$dir/mosquitto.conf"
    fm_mosquitto_acl "$dir" "$bridges"
    fm_run_mosquitto "$dir" "$port" "$log"
    export FLEETMFA_BROKER="mqtts://127.0.0.1:$port"
    export FLEETMFA_BROKER_USERNAME=fleetmfa-bridge
    unset FLEETMFA_BROKER_PASSWORD FLEETMFA_MOSQUITTO_PASSWORD_FILE
    export FLEETMFA_AGENT_CA_CERT="$ca"
    export FLEETMFA_MOSQUITTO_CRL_FILE="$dir/tls/crl.pem"
    export FLEETMFA_MOSQUITTO_REVOKED_FILE="$dir/tls/revoked"
    export FLEETMFA_MOSQUITTO_PID_FILE="$dir/mosquitto.pid"
}

# fm_mosquitto_acl DIR BRIDGES: DIR/acl from deploy/mosquitto/acl, with the control-plane grant for every bridge account
# after the first (the shipped file grants fleetmfa-bridge).
fm_mosquitto_acl() {
    local dir=$1 bridges=$2 i
    cp "$FM_DEPLOY/mosquitto/acl" "$dir/acl"
    for ((i = 2; i <= bridges; i++)); do
        printf '\nuser %s\ntopic readwrite fleetmfa/v1/#\n' "$(fm_bridge_account "$i")" >>"$dir/acl"
    done
}

# fm_run_mosquitto DIR PORT LOG_FILE: run Mosquitto on DIR/mosquitto.conf, as whoever runs this script, until it
# listens on PORT and has written its pid file. Sets FM_MOSQUITTO_PID.
fm_run_mosquitto() {
    local dir=$1 port=$2 log=$3
    # Run as whoever runs this script: its files live in the owner-only data directory, which
    # Mosquitto's own user (it drops to it when started as root) could not enter.
    printf 'user %s\n' "$(id -un)" >>"$dir/mosquitto.conf"
    rm -f "$dir/mosquitto.pid"
    # Line-buffered: Mosquitto does not flush its stdout log, so its notices (the rate limit's drop counts) would
    # reach LOG_FILE only kilobytes later. stdbuf execs Mosquitto: the PID is still the broker's.
    fm_spawn "$log" "$dir/run.pid" stdbuf -oL mosquitto -c "$dir/mosquitto.conf"
    FM_MOSQUITTO_PID=$FM_LAST_PID
    local deadline=$(($(fm_now_ms) + 15000))
    until fm_tcp_open "$port" && [[ -s "$dir/mosquitto.pid" ]]; do
        fm_pid_alive "$FM_MOSQUITTO_PID" || { tail -n 20 "$log" >&2; fm_die "Mosquitto exited during startup (log: $log)"; }
        (($(fm_now_ms) < deadline)) || fm_die "Mosquitto did not listen on 127.0.0.1:$port within 15s (log: $log)"
        sleep 0.1
    done
}

# fm_bridge_account I: the Mosquitto account of the I-th silo (1-based).
fm_bridge_account() {
    if (($1 == 1)); then
        printf 'fleetmfa-bridge'
    else
        printf 'fleetmfa-bridge-%s' "$1"
    fi
}
