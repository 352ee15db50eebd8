#!/usr/bin/env bash
# Verifies certificate revocation on the real Mosquitto (Debian's 2.0.x) with fleetmfa-tls.conf.template and the
# fleetmfa_limits plugin (plugin_opt_revoked_file), end to end with mosquitto_pub/mosquitto_sub and openssl:
#   - a throwaway EC P-256 CA, a server certificate for 127.0.0.1, device certificates CN=acme/dev-a and CN=acme/dev-b
#     and bridge certificates CN=fleetmfa-bridge and CN=fleetmfa-bridge-2 (client ids are usernames, so the bridge
#     that collects reports in the background is a second silo's, as in a cluster);
#   - the TLS listener (TLS 1.2+, client certificate required, CN as username, pattern ACL);
#   - revocation through the revoked file on SIGHUP: the live session is kicked, a fresh connect can do nothing, other
#     devices and the bridge are unaffected; a malformed file fails closed, a fixed one restores; a missing file stops
#     the start-up;
#   - revocation through the CRL: after a restart (and on SIGHUP) the revoked certificate's handshake is refused;
#     a CRL that fails to load on SIGHUP (Mosquitto then drops it) is covered by the revoked file.
# Prints one PASS/FAIL line per check and exits non-zero if any check failed (or the set-up did).
#
#   deploy/mosquitto/verify-revocation.sh [--keep]      (--keep: leave the temporary directory for inspection)
#
# Installs mosquitto, mosquitto-clients, mosquitto-dev, libmosquitto-dev, libssl-dev, gcc and openssl with apt-get
# when missing (as root, or through sudo). Runs everything from a temporary directory on 127.0.0.1 on a free port in
# 27000-27999; stops its own Mosquitto by PID.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
keep=false
[[ "${1:-}" == "--keep" ]] && keep=true

failures=0
checks=0
broker_pid=""
bg_pids=()
work=""

log() { printf '%s\n' "verify-revocation: $*" >&2; }
die() {
    log "error: $*"
    exit 2
}
pass() {
    checks=$((checks + 1))
    printf 'PASS %s\n' "$1"
}
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    printf 'FAIL %s\n' "$1"
    [[ -n "${2:-}" ]] && printf '     %s\n' "$2"
    return 0
}
check() { # check NAME COMMAND...: PASS if the command succeeds
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    stop_broker
    if [[ -n "$work" ]]; then
        if $keep; then log "kept $work"; else rm -rf "$work"; fi
    fi
}
trap cleanup EXIT

# ---- packages ----
ensure_packages() {
    local missing=() sudo=()
    command -v mosquitto >/dev/null || [[ -x /usr/sbin/mosquitto ]] || missing+=(mosquitto)
    command -v mosquitto_pub >/dev/null && command -v mosquitto_sub >/dev/null || missing+=(mosquitto-clients)
    [[ -f /usr/include/mosquitto_broker.h ]] || missing+=(mosquitto-dev)
    [[ -f /usr/include/mosquitto.h ]] || missing+=(libmosquitto-dev)
    [[ -f /usr/include/openssl/x509.h ]] || missing+=(libssl-dev)
    command -v gcc >/dev/null || missing+=(gcc libc6-dev)
    command -v openssl >/dev/null || missing+=(openssl)
    ((${#missing[@]} == 0)) && return 0
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing packages (${missing[*]}) and neither root nor sudo"
        sudo=(sudo)
    fi
    log "installing ${missing[*]}"
    if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null; then
        "${sudo[@]}" apt-get update -q >/dev/null || die "apt-get update failed"
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null ||
            die "apt-get install ${missing[*]} failed"
    fi
}

# ---- broker ----
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((27000 + RANDOM % 1000))
        if ! port_in_use "$p"; then
            printf '%s' "$p"
            return 0
        fi
    done
    return 1
}

# start_broker LOG: starts Mosquitto on $work/mosquitto.conf, sets broker_pid; 0 once it listens, 1 if it exited.
start_broker() {
    local out=$1 i
    rm -f "$work/data/mosquitto.pid"
    # Line-buffered (Mosquitto does not flush its stdout log); stdbuf execs Mosquitto, so the PID is the broker's.
    stdbuf -oL mosquitto -c "$work/mosquitto.conf" >"$out" 2>&1 &
    broker_pid=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$broker_pid" 2>/dev/null; then
            wait "$broker_pid"
            broker_exit=$?
            broker_pid=""
            return 1
        fi
        port_in_use "$port" && return 0
        sleep 0.1
    done
    die "Mosquitto did not listen on 127.0.0.1:$port within 10 s (log: $out)"
}

stop_broker() {
    local i
    [[ -n "$broker_pid" ]] || return 0
    kill -TERM "$broker_pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$broker_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
    broker_pid=""
}

# reload: SIGHUP, then give Mosquitto's loop a moment to run it.
reload() {
    kill -HUP "$broker_pid"
    sleep 1
}

# ---- PKI ----
openssl_quiet() { openssl "$@" >/dev/null 2>&1; }

# new_serial [HIGH]: 16 random bytes as hex; HIGH=1 sets the top bit (so its DER encoding carries a leading 00).
new_serial() {
    local hex
    hex=$(openssl rand -hex 16)
    if [[ "${1:-0}" == 1 ]]; then
        printf '%02X%s' $((0x${hex:0:2} | 0x80)) "${hex:2}"
    else
        printf '%02X%s' $((0x${hex:0:2} & 0x7f | 0x10)) "${hex:2}"
    fi
}

# issue NAME CN EXTENSIONS [SERIAL_HIGH]: NAME.key and NAME.pem signed by the CA.
issue() {
    local name=$1 cn=$2 ext=$3
    openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$name.key" || return 1
    # A '/' in the CN ("acme/dev-a") is escaped: -subj separates its fields with '/'.
    openssl_quiet req -new -key "$pki/$name.key" -subj "/CN=${cn//\//\\/}" -out "$pki/$name.csr" || return 1
    printf '%s\n' "$ext" >"$pki/$name.ext"
    openssl_quiet x509 -req -in "$pki/$name.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -sha256 -days 2 \
        -set_serial "0x$(new_serial "${4:-0}")" -extfile "$pki/$name.ext" -out "$pki/$name.pem"
}

make_pki() {
    pki=$work/pki
    mkdir -p "$pki/db"
    (umask 077 && openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/ca.key") || return 1
    openssl_quiet req -x509 -new -key "$pki/ca.key" -subj "/CN=FleetMfa Verify CA" -days 2 -sha256 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$pki/ca.pem" || return 1
    local client='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'
    issue server 127.0.0.1 'basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1' || return 1
    issue dev-a acme/dev-a "$client" 1 || return 1
    issue dev-b acme/dev-b "$client" || return 1
    issue bridge fleetmfa-bridge "$client" || return 1
    issue bridge-2 fleetmfa-bridge-2 "$client" || return 1
    issue bridge-3 fleetmfa-bridge-3 "$client" || return 1
    # A minimal `openssl ca` set-up, only to sign CRLs.
    : >"$pki/db/index.txt"
    echo 1000 >"$pki/db/crlnumber"
    cat >"$pki/ca.cnf" <<EOF
[ ca ]
default_ca = fleetmfa
[ fleetmfa ]
database = $pki/db/index.txt
crlnumber = $pki/db/crlnumber
certificate = $pki/ca.pem
private_key = $pki/ca.key
default_md = sha256
default_crl_days = 1
EOF
    write_crl
}

write_crl() {
    openssl_quiet ca -config "$pki/ca.cnf" -gencrl -out "$work/crl.pem.tmp" && mv -f "$work/crl.pem.tmp" "$work/crl.pem"
}

revoke_in_crl() {
    openssl_quiet ca -config "$pki/ca.cnf" -revoke "$pki/$1.pem" && write_crl
}

serial_of() { openssl x509 -in "$pki/$1.pem" -noout -serial | sed 's/^serial=//'; }

# write_revoked CONTENT: the silo's way, a temporary file renamed over the list.
write_revoked() {
    printf '%s' "$1" >"$work/revoked.tmp" && mv -f "$work/revoked.tmp" "$work/revoked"
}

# ---- clients ----
# Every client speaks MQTT 5, so a denied publish comes back as a PUBACK "Not authorized" the client reports.
tls_args() { printf '%s\n' -h 127.0.0.1 -p "$port" -V 5 --cafile "$pki/ca.pem" --cert "$pki/$1.pem" --key "$pki/$1.key"; }

# pub WHO TOPIC MESSAGE [RETAIN]: publishes at QoS 1; prints mosquitto_pub's output; fails if it was not accepted.
pub() {
    local who=$1 topic=$2 msg=$3 out rc
    local args
    mapfile -t args < <(tls_args "$who")
    out=$(timeout 10 mosquitto_pub "${args[@]}" -q 1 ${4:+-r} -t "$topic" -m "$msg" 2>&1)
    rc=$?
    printf '%s' "$out"
    [[ $rc == 0 && "$out" != *"failed"* && "$out" != *"rror"* ]]
}

# sub_one WHO TOPIC: prints the first message (the retained one) within 3 s; fails if none came.
sub_one() {
    local args
    mapfile -t args < <(tls_args "$1")
    timeout 10 mosquitto_sub "${args[@]}" -q 1 -t "$2" -C 1 -W 3 2>&1
}

# collector WHO TOPIC FILE: a background subscriber writing "topic payload" lines to FILE.
collector() {
    local args
    mapfile -t args < <(tls_args "$1")
    mosquitto_sub "${args[@]}" -q 1 -t "$2" -v >"$3" 2>&1 &
    bg_pids+=($!)
    collector_pid=$!
}

# wait_for FILE TEXT [SECONDS]: 0 once FILE contains TEXT.
wait_for() {
    local i
    for ((i = 0; i < ${3:-5} * 10; i++)); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# handshake_refused NAME: 0 if a TLS 1.2 handshake with NAME's certificate fails (the server checks a client
# certificate within a TLS 1.2 handshake; with 1.3 a refusal only arrives after it).
handshake_refused() {
    ! timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$pki/ca.pem" -verify_return_error \
        -cert "$pki/$1.pem" -key "$pki/$1.key" </dev/null >"$work/s_client.$1.out" 2>&1
}

desired() { printf 'fleetmfa/v1/acme/%s/desired' "$1"; }
reported() { printf 'fleetmfa/v1/acme/%s/reported' "$1"; }

# device_works NAME TAG: NAME reads its retained desired state (published by the bridge with TAG) and its report
# reaches the bridge's collector.
device_works() {
    local name=$1 tag=$2 got
    pub bridge "$(desired "$name")" "desired-$name-$tag" retain >/dev/null || return 1
    got=$(sub_one "$name" "$(desired "$name")") || return 1
    [[ "$got" == "desired-$name-$tag" ]] || return 1
    pub "$name" "$(reported "$name")" "reported-$name-$tag" >/dev/null || return 1
    wait_for "$work/bridge.reports" "reported-$name-$tag"
}

# device_denied NAME TAG: NAME can neither subscribe to its desired state nor get a report to the bridge.
device_denied() {
    local name=$1 tag=$2 out
    pub bridge "$(desired "$name")" "desired-$name-$tag" retain >/dev/null || return 1
    out=$(sub_one "$name" "$(desired "$name")")
    [[ "$out" == *"denied"* && "$out" != *"desired-$name-$tag"* ]] || return 1
    out=$(pub "$name" "$(reported "$name")" "reported-$name-$tag") && return 1
    [[ "$out" == *"Not authorized"* ]] || return 1
    sleep 0.5
    ! grep -qF -- "reported-$name-$tag" "$work/bridge.reports"
}

# ---- run ----
ensure_packages
work=$(mktemp -d "${TMPDIR:-/tmp}/fleetmfa-verify-revocation.XXXXXX")
mkdir -p "$work/data"
port=$(pick_port) || die "no free port in 27000-27999"
log "working in $work, port $port"

if gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
    -Wl,-z,relro,-z,now -o "$work/fleetmfa_limits.so" "$here/plugin/fleetmfa_limits.c" -lcrypto 2>"$work/gcc.log"; then
    pass "plugin builds with -Wall -Wextra -Werror"
else
    fail "plugin builds with -Wall -Wextra -Werror" "$(head -c 2000 "$work/gcc.log")"
    exit 1
fi
make_pki || die "generating the test PKI failed"

sed -e "s|@PORT@|$port|" -e "s|@DIR@|$work/data|g" -e "s|@PLUGIN@|$work/fleetmfa_limits.so|" \
    -e "s|@CAFILE@|$pki/ca.pem|" -e "s|@CERTFILE@|$pki/server.pem|" -e "s|@KEYFILE@|$pki/server.key|" \
    -e "s|@CRLFILE@|$work/crl.pem|" -e "s|@REVOKED_FILE@|$work/revoked|" \
    "$here/fleetmfa-tls.conf.template" >"$work/mosquitto.conf"
# Run as whoever runs this: the files are in an owner-only directory (as root, Mosquitto would drop to its own user).
printf 'user %s\n' "$(id -un)" >>"$work/mosquitto.conf"
{
    cat "$here/acl"
    printf '\nuser fleetmfa-bridge-2\ntopic readwrite fleetmfa/v1/#\n'
    printf '\nuser fleetmfa-bridge-3\ntopic readwrite fleetmfa/v1/#\n'
} >"$work/data/acl"
write_revoked $'# revoked client certificates: SERIAL USERNAME\n'

if start_broker "$work/broker.log"; then
    pass "Mosquitto starts with fleetmfa-tls.conf.template and an empty revoked file"
else
    fail "Mosquitto starts with fleetmfa-tls.conf.template and an empty revoked file" "$(tail -n 5 "$work/broker.log")"
    exit 1
fi

# TLS 1.2+ with the CA; no handshake without a client certificate.
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$pki/ca.pem" -verify_return_error \
    -cert "$pki/bridge.pem" -key "$pki/bridge.key" </dev/null 2>&1)
proto=$(grep -oE '^New, TLSv1\.[0-9]' <<<"$out" | grep -oE 'TLSv1\.[0-9]' | head -n1)
if [[ "$proto" =~ ^TLSv1\.[23]$ ]] && grep -q 'Verify return code: 0 (ok)' <<<"$out" &&
    grep -q 'issuer=CN = FleetMfa Verify CA' <<<"$out"; then
    pass "openssl s_client: $proto, server certificate verified against the CA"
else
    fail "openssl s_client: TLS 1.2+ with the CA" "$(grep -E '^New|Verify return|issuer|error' <<<"$out" | head -n 5)"
fi
out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile "$pki/ca.pem" -verify_return_error \
    -cert "$pki/bridge.pem" -key "$pki/bridge.key" </dev/null 2>&1)
if grep -q '^New, TLSv1.2, Cipher is ECDHE-' <<<"$out" && grep -q 'Verify return code: 0 (ok)' <<<"$out"; then
    pass "openssl s_client -tls1_2: $(grep -o 'TLSv1.2, Cipher is .*' <<<"$out")"
else
    fail "openssl s_client -tls1_2: TLS 1.2 negotiated" "$(grep -E '^New|Verify return|error' <<<"$out" | head -n 3)"
fi
# (SECLEVEL=0 only so that OpenSSL 3's client offers TLS 1.1 at all: the server must be what refuses it.)
if out=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -cert "$pki/bridge.pem" -key "$pki/bridge.key" </dev/null 2>&1); then
    fail "openssl s_client -tls1_1: refused by the server" "the handshake succeeded"
elif grep -q 'alert protocol version' <<<"$out"; then
    pass "openssl s_client -tls1_1: refused by the server (alert protocol version)"
else
    fail "openssl s_client -tls1_1: refused by the server" "$(grep -iE 'alert|error' <<<"$out" | head -n 2)"
fi
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$port" -V 5 --cafile "$pki/ca.pem" -t "$(reported dev-a)" -m x -q 1 \
    >/dev/null 2>&1; then
    fail "a client without a certificate is refused"
else
    pass "a client without a certificate is refused"
fi

collector bridge-2 'fleetmfa/v1/+/+/reported' "$work/bridge.reports"
sleep 1

check "dev-a reads its desired state and its report reaches the bridge" device_works dev-a 1
check "dev-b reads its desired state and its report reaches the bridge" device_works dev-b 1
# Mosquitto's ACL file grants a SUBSCRIBE and filters at delivery: dev-a gets no message from dev-b's retained state.
out=$(sub_one dev-a "$(desired dev-b)")
if [[ "$out" != *"desired-"* ]]; then pass "the ACL file still decides: dev-a receives nothing of dev-b's desired state"; else
    fail "the ACL file still decides: dev-a receives nothing of dev-b's desired state" "$out"; fi

# will_sent NAME TAG: NAME connects with a last will on its presence topic and dies without a DISCONNECT (SIGKILL);
# 0 if the will reaches the presence collector. Mosquitto sends a will after the TLS session is gone, when there is no
# certificate left to read: the plugin judges it by the one read at the disconnect event.
will_sent() {
    local args pid
    mapfile -t args < <(tls_args "$1")
    mosquitto_sub "${args[@]}" -q 1 -t "$(desired "$1")" --will-topic "fleetmfa/v1/acme/$1/presence" \
        --will-qos 1 --will-payload "will-$1-$2" >/dev/null 2>&1 &
    pid=$!
    bg_pids+=("$pid")
    sleep 1
    kill -9 "$pid" 2>/dev/null
    wait_for "$work/bridge.presence" "will-$1-$2" 3
}
collector bridge-3 'fleetmfa/v1/+/+/presence' "$work/bridge.presence"
sleep 1
check "a device that dies without a DISCONNECT: its last will reaches the bridge" will_sent dev-b 1

# A live session of dev-a, then dev-a's serial in the revoked file and a reload.
mapfile -t args < <(tls_args dev-a)
mosquitto_sub "${args[@]}" -d -q 1 -t "$(desired dev-a)" >"$work/dev-a.live" 2>&1 &
live_pid=$!
bg_pids+=("$live_pid")
wait_for "$work/dev-a.live" "desired-dev-a-1" || fail "dev-a's live subscriber receives its desired state"
serial_a=$(serial_of dev-a)
write_revoked "# revoked client certificates: SERIAL USERNAME
$serial_a acme/dev-a
"
reload
if wait_for "$work/dev-a.live" "Received DISCONNECT (152)" 5; then
    pass "revoked on SIGHUP: dev-a's live session is kicked (DISCONNECT 152, administrative action)"
else
    fail "revoked on SIGHUP: dev-a's live session is kicked" "$(tail -n 5 "$work/dev-a.live")"
fi
pub bridge "$(desired dev-a)" "desired-2" retain >/dev/null
for ((i = 0; i < 50; i++)); do kill -0 "$live_pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$live_pid" 2>/dev/null && ! grep -qF "desired-2" "$work/dev-a.live"; then
    pass "revoked: dev-a's subscriber is gone and received no later desired state"
else
    fail "revoked: dev-a's subscriber is gone and received no later desired state" "$(tail -n 5 "$work/dev-a.live")"
fi
kill "$live_pid" 2>/dev/null
check "revoked: a fresh dev-a connect can neither subscribe nor publish" device_denied dev-a 2
check "revoked dev-a does not affect dev-b" device_works dev-b 2
if will_sent dev-a 2; then fail "revoked: dev-a's last will is dropped" "it reached the bridge"; else
    pass "revoked: dev-a's last will is dropped"; fi
if pub bridge "fleetmfa/v1/acme/dev-b/desired" "desired-bridge" retain >/dev/null &&
    [[ "$(sub_one bridge 'fleetmfa/v1/acme/+/desired' | head -n1)" == desired-* ]]; then
    pass "the bridge still publishes and subscribes"
else
    fail "the bridge still publishes and subscribes"
fi

# A malformed file on reload: fail closed.
write_revoked "$serial_a acme/dev-a
this-is-not-hex acme/dev-b
"
reload
check "malformed revoked file on SIGHUP: dev-b is denied too (fail closed)" device_denied dev-b 3
if grep -q 'line 2 is malformed' "$work/broker.log"; then pass "malformed revoked file: Mosquitto logs a warning naming the line"; else
    fail "malformed revoked file: Mosquitto logs a warning naming the line"; fi
# The bridge is exempt from the fail-closed denial: it still reads reports (none come now) and publishes.
if pub bridge "$(desired dev-b)" "desired-3b" retain >/dev/null && [[ "$(sub_one bridge "$(desired dev-b)")" == "desired-3b" ]]; then
    pass "malformed revoked file: the bridge still works"
else
    fail "malformed revoked file: the bridge still works"
fi

# Fixed: dev-a listed as .NET's SerialNumber would print it (leading 00, here lowercase): same certificate.
serial_a_net=$(printf '00%s' "$serial_a" | tr 'A-F' 'a-f')
write_revoked "# fixed
$serial_a_net acme/dev-a
"
reload
check "fixed revoked file on SIGHUP: dev-b works again" device_works dev-b 4
check "fixed revoked file: dev-a (serial written 00-prefixed, lowercase) is still denied" device_denied dev-a 4

# Start-up without the file, or with a malformed one: Mosquitto must not start.
kill "$collector_pid" 2>/dev/null
stop_broker
mv "$work/revoked" "$work/revoked.saved"
if start_broker "$work/broker-missing.log"; then
    fail "missing revoked file at start: Mosquitto exits non-zero" "it started"
    stop_broker
elif ((broker_exit != 0)) && grep -q 'cannot open the revoked file' "$work/broker-missing.log"; then
    pass "missing revoked file at start: Mosquitto exits non-zero ($broker_exit)"
else
    fail "missing revoked file at start: Mosquitto exits non-zero" "exit $broker_exit: $(tail -n 3 "$work/broker-missing.log")"
fi
write_revoked "$serial_a acme/dev-a extra-field
"
if start_broker "$work/broker-malformed.log"; then
    fail "malformed revoked file at start: Mosquitto exits non-zero" "it started"
    stop_broker
elif ((broker_exit != 0)); then
    pass "malformed revoked file at start: Mosquitto exits non-zero ($broker_exit)"
else
    fail "malformed revoked file at start: Mosquitto exits non-zero" "exit 0"
fi

# More of the file's format, at start-up (each malformed file must stop it; the well-formed one must not).
bad_files=(
    "no-newline|$serial_a acme/dev-a"
    "serial-only|$serial_a"$'\n'
    "negative|-$serial_a acme/dev-a"$'\n'
    "41-digits|1$(printf '0%.0s' {1..40}) acme/dev-a"$'\n'
    "two-usernames|$serial_a acme/dev-a"$'\n'"00$serial_a acme/dev-x"$'\n'
    "control-char|$serial_a acme/dev"$'\x01'"a"$'\n'
)
for entry in "${bad_files[@]}"; do
    name=${entry%%|*}
    write_revoked "${entry#*|}"
    if start_broker "$work/broker-$name.log"; then
        fail "revoked file ($name) at start: Mosquitto exits non-zero" "it started"
        stop_broker
    elif ((broker_exit != 0)) && grep -q 'is malformed\|does not end with a newline' "$work/broker-$name.log"; then
        pass "revoked file ($name) at start: Mosquitto exits non-zero, naming the line"
    else
        fail "revoked file ($name) at start: Mosquitto exits non-zero" "$(tail -n 2 "$work/broker-$name.log")"
    fi
done
write_revoked $'# comment\n\n   # indented comment\n\t'"$serial_a"$'\tacme/dev-a \r\n'"000$(serial_of dev-b | tr 'A-F' 'a-f') acme/dev-b"$'\n'"$serial_a acme/dev-a"$'\n'
if start_broker "$work/broker-format.log" && grep -q '2 revoked certificates' "$work/broker-format.log"; then
    pass "revoked file with comments, blank lines, tabs, CRLF, leading zeros and a repeated line: 2 certificates"
else
    fail "revoked file with comments, blank lines, tabs, CRLF, leading zeros and a repeated line: 2 certificates" \
        "$(tail -n 2 "$work/broker-format.log")"
fi
stop_broker

# The CRL alone (the revoked file lists nothing): after a restart with dev-a in the CRL, its handshake is refused.
write_revoked $'# nothing revoked here: the CRL alone\n'
revoke_in_crl dev-a || die "revoking dev-a in the CRL failed"
if start_broker "$work/broker-crl.log"; then
    pass "Mosquitto restarts with dev-a in the CRL"
else
    fail "Mosquitto restarts with dev-a in the CRL" "$(tail -n 3 "$work/broker-crl.log")"
    exit 1
fi
collector bridge-2 'fleetmfa/v1/+/+/reported' "$work/bridge.reports"
sleep 1
if handshake_refused dev-a && grep -q 'certificate revoked' "$work/s_client.dev-a.out"; then
    pass "CRL after restart: dev-a's TLS handshake is refused (alert certificate revoked)"
else
    fail "CRL after restart: dev-a's TLS handshake is refused" "$(grep -iE 'alert|error|Verify' "$work/s_client.dev-a.out" | head -n 3)"
fi
out=$(pub dev-a "$(reported dev-a)" "reported-5")
if [[ "$out" == *"rror"* ]] && ! wait_for "$work/bridge.reports" "reported-5" 1; then
    pass "CRL after restart: mosquitto_pub as dev-a cannot connect"
else
    fail "CRL after restart: mosquitto_pub as dev-a cannot connect" "$out"
fi
check "CRL after restart: dev-b's handshake succeeds and it works" device_works dev-b 5

# And the CRL on SIGHUP, without a restart (Mosquitto 2.0 rebuilds the listener's TLS context when crlfile is set).
revoke_in_crl dev-b || die "revoking dev-b in the CRL failed"
reload
if handshake_refused dev-b && grep -q 'certificate revoked' "$work/s_client.dev-b.out"; then
    pass "CRL on SIGHUP: dev-b's new TLS handshake is refused without a restart"
else
    fail "CRL on SIGHUP: dev-b's new TLS handshake is refused without a restart" "$(grep -iE 'alert|error|Verify' "$work/s_client.dev-b.out" | head -n 3)"
fi
if pub bridge "$(desired dev-b)" "desired-6" retain >/dev/null && [[ "$(sub_one bridge "$(desired dev-b)")" == "desired-6" ]]; then
    pass "CRL on SIGHUP: the bridge still works"
else
    fail "CRL on SIGHUP: the bridge still works"
fi

# A CRL that does not load on SIGHUP: Mosquitto 2.0 rebuilds the listener's TLS context without one (it logs an error
# and carries on), so certificates revoked only in the CRL complete a handshake again. The revoked file is what
# still holds: dev-b, listed there too, is cut off; dev-a (in the CRL only) shows what the CRL alone would give.
write_revoked "$(serial_of dev-b) acme/dev-b
"
cp "$work/crl.pem" "$work/crl.pem.good"
echo "not a CRL" >"$work/crl.pem.tmp" && mv -f "$work/crl.pem.tmp" "$work/crl.pem"
reload
if handshake_refused dev-a; then
    printf 'INFO garbage CRL on SIGHUP: dev-a (revoked in the CRL only) is still refused at the handshake\n'
else
    printf 'INFO garbage CRL on SIGHUP: Mosquitto dropped the CRL; dev-a (revoked in the CRL only) completes a handshake\n'
fi
if kill -0 "$broker_pid" 2>/dev/null; then pass "garbage CRL on SIGHUP: Mosquitto keeps running"; else
    fail "garbage CRL on SIGHUP: Mosquitto keeps running"; fi
pub bridge "$(desired dev-b)" "desired-dev-b-7" retain >/dev/null
out=$(sub_one dev-b "$(desired dev-b)")
pub dev-b "$(reported dev-b)" "reported-dev-b-7" >/dev/null
if [[ "$out" != *"desired-dev-b-7"* ]] && ! wait_for "$work/bridge.reports" "reported-dev-b-7" 1; then
    pass "garbage CRL on SIGHUP: dev-b (also in the revoked file) still reads nothing and reports nothing"
else
    fail "garbage CRL on SIGHUP: dev-b (also in the revoked file) still reads nothing and reports nothing" "$out"
fi
mv -f "$work/crl.pem.good" "$work/crl.pem"

if grep -qiE 'BEGIN [A-Z ]*PRIVATE KEY' "$work"/broker*.log; then
    fail "no private key in Mosquitto's logs"
else
    pass "no private key in Mosquitto's logs"
fi

if ((failures > 0)); then
    log "$failures of $checks checks FAILED (logs in $work; rerun with --keep to keep them)"
    exit 1
fi
log "all $checks checks passed"
