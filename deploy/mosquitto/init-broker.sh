#!/bin/sh
# Prepares a Mosquitto for FleetMfa in a container or pod (deploy/compose, deploy/k8s), over TLS with the FleetMfa CA
# (fleetmfa-tls.conf.template): its config listening on every interface, the pattern ACL plus one `user` block per
# silo bridge account, Mosquitto's server certificate, and the revocation files the silos keep. Devices and bridges
# log in with client certificates of the CA (the common name is the username): there is no password file and no
# per-device entry in any file here. Re-runnable: a server certificate still good is kept, and the CRL and revoked
# file are made only when missing (from then on the silos rewrite them).
#
# Client ids are usernames (use_username_as_clientid), so every silo needs a bridge account of its own; a silo's
# account is the common name of the certificate it issues its bridge (FLEETMFA_BROKER_USERNAME).
#
# Environment:
#   FLEETMFA_AGENT_CA_CERT        the FleetMfa CA, certificate and key in one PEM (what the silos are given under the same
#                                 name); must exist: never made here, since every silo and the broker need the same CA.
#                                 Its key issues the server certificate and the first CRL; only the certificate is kept.
#   MOSQUITTO_DIR                 mosquitto.conf, acl, tls/ (ca.crt, server.pem, server.key), the pid file and
#                                 persistence (/mosquitto/data); the broker's own
#   MOSQUITTO_REVOCATION_DIR      crl.pem and revoked, shared with the silos, which replace them (temporary file and
#                                 rename) on each revocation: made writable by the group (0770) (MOSQUITTO_DIR/revocation)
#   MOSQUITTO_TLS_HOSTS           names and addresses agents and silos dial, added to the server certificate (space- or
#                                 comma-separated; localhost and 127.0.0.1 always)
#   MOSQUITTO_PORT, MOSQUITTO_BIND   listener port (8883) and address (empty: every interface)
#   MOSQUITTO_USER                if set, a `user` line: the account Mosquitto drops to when started as root (run as
#                                 root, this script gives that account the files it needs)
#   FLEETMFA_BRIDGE_ACCOUNTS      space-separated bridge usernames, e.g. "fleetmfa-bridge-1 fleetmfa-bridge-2"
#   FLEETMFA_LIMITS_PLUGIN        the per-client rate limit and revocation check Mosquitto loads
#                                 (/usr/lib/fleetmfa/fleetmfa_limits.so, where deploy/docker/mosquitto.Dockerfile puts it);
#                                 must exist: no broker without the limit
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${MOSQUITTO_DIR:-/mosquitto/data}
revocation=${MOSQUITTO_REVOCATION_DIR:-$dir/revocation}
port=${MOSQUITTO_PORT:-8883}
bind=${MOSQUITTO_BIND:-}
hosts=$(printf '%s' "${MOSQUITTO_TLS_HOSTS:-}" | tr ',' ' ')
accounts=${FLEETMFA_BRIDGE_ACCOUNTS:?set FLEETMFA_BRIDGE_ACCOUNTS to the silos bridge usernames}
ca=${FLEETMFA_AGENT_CA_CERT:?set FLEETMFA_AGENT_CA_CERT to the FleetMfa CA (certificate and key, PEM)}

fail() {
    echo "mosquitto-init: error: $*" >&2
    exit 1
}
plugin=${FLEETMFA_LIMITS_PLUGIN:-/usr/lib/fleetmfa/fleetmfa_limits.so}
[ -f "$plugin" ] ||
    fail "the rate-limit plugin $plugin is missing (use the fleetmfa-mosquitto image, deploy/docker/mosquitto.Dockerfile)"
[ -s "$ca" ] || fail "the FleetMfa CA $ca is missing: give the silos' CA (FLEETMFA_AGENT_CA_CERT), never a new one"
grep -q 'PRIVATE KEY-----' "$ca" || fail "$ca holds no private key: the CA's key issues the broker's certificate and first CRL"

mkdir -p "$dir"
# shellcheck disable=SC2086 # one argument per host
MOSQUITTO_REVOCATION_DIR=$revocation sh "$here/make-tls.sh" "$ca" "$dir/tls" $hosts
sed -e "s|^listener @PORT@ 127.0.0.1\$|listener $port${bind:+ $bind}|" -e "s|@DIR@|$dir|g" -e "s|@PLUGIN@|$plugin|" \
    -e "s|@CAFILE@|$dir/tls/ca.crt|" -e "s|@CERTFILE@|$dir/tls/server.pem|" -e "s|@KEYFILE@|$dir/tls/server.key|" \
    -e "s|@CRLFILE@|$revocation/crl.pem|" -e "s|@REVOKED_FILE@|$revocation/revoked|" \
    "$here/fleetmfa-tls.conf.template" >"$dir/mosquitto.conf"
if [ -n "${MOSQUITTO_USER:-}" ]; then
    echo "user $MOSQUITTO_USER" >>"$dir/mosquitto.conf"
fi

# The device patterns as they are; the template's single bridge block replaced by one block per silo.
{
    sed -n '/^user /q;p' "$here/acl"
    for account in $accounts; do
        printf 'user %s\ntopic readwrite fleetmfa/v1/#\n\n' "$account"
    done
} >"$dir/acl"

# A password file an older version of this script made holds every device's account: the TLS config reads none.
if [ -e "$dir/passwd" ]; then
    rm -f "$dir/passwd"
    echo "mosquitto-init: removed $dir/passwd (devices log in with certificates now)"
fi

# The broker reads the revocation files (and re-reads them on each reload, after dropping privileges); the silos, in
# its group, replace them.
if [ "$(id -u)" = 0 ]; then
    owner=${MOSQUITTO_USER:-mosquitto}
    chown -R "$owner:$(id -gn "$owner")" "$dir/tls" "$revocation"
fi
chmod 0770 "$revocation" || echo "mosquitto-init: warning: could not make $revocation writable by its group (the silos)" >&2
echo "mosquitto-init: $dir/mosquitto.conf, acl and tls/ ready for: $accounts; revocation files in $revocation"
