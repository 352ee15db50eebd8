#!/bin/sh
# Prepares a Mosquitto for FleetMfa in a container or pod (deploy/compose, deploy/k8s): its config from
# fleetmfa.conf.template listening on every interface, the pattern ACL plus one `user` block per silo bridge account,
# and the bridge accounts in the password file. Re-runnable: device accounts already in the file are kept.
#
# Client ids are usernames (use_username_as_clientid), so every silo needs a bridge account of its own.
#
# Environment:
#   MOSQUITTO_DIR                 where mosquitto.conf, acl, passwd, the pid file and persistence go (/mosquitto/data)
#   MOSQUITTO_PORT, MOSQUITTO_BIND   listener port (1883) and address (empty: every interface)
#   MOSQUITTO_USER                if set, a `user` line: the account Mosquitto drops to when started as root
#   MOSQUITTO_TLS_CERTFILE, MOSQUITTO_TLS_KEYFILE   if set, a second listener with TLS for the agents
#   MOSQUITTO_TLS_PORT            its port (8883); same accounts and ACL as the plain one (per_listener_settings false)
#   FLEETMFA_BRIDGE_ACCOUNTS      space-separated bridge usernames, e.g. "fleetmfa-bridge-1 fleetmfa-bridge-2"
#   FLEETMFA_BRIDGE_PASSWORD      their password (or FLEETMFA_BRIDGE_PASSWORD_FILE: a file holding it)
#   FLEETMFA_LIMITS_PLUGIN        the per-client rate limit Mosquitto loads (/usr/lib/fleetmfa/fleetmfa_limits.so, where
#                                 deploy/docker/mosquitto.Dockerfile puts it); must exist: no broker without the limit
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${MOSQUITTO_DIR:-/mosquitto/data}
port=${MOSQUITTO_PORT:-1883}
bind=${MOSQUITTO_BIND:-}
accounts=${FLEETMFA_BRIDGE_ACCOUNTS:?set FLEETMFA_BRIDGE_ACCOUNTS to the silos bridge usernames}
if [ -n "${FLEETMFA_BRIDGE_PASSWORD_FILE:-}" ]; then
    password=$(cat "$FLEETMFA_BRIDGE_PASSWORD_FILE")
else
    password=${FLEETMFA_BRIDGE_PASSWORD:?set FLEETMFA_BRIDGE_PASSWORD or FLEETMFA_BRIDGE_PASSWORD_FILE}
fi

plugin=${FLEETMFA_LIMITS_PLUGIN:-/usr/lib/fleetmfa/fleetmfa_limits.so}
if [ ! -f "$plugin" ]; then
    echo "mosquitto-init: error: the rate-limit plugin $plugin is missing (use the fleetmfa-mosquitto image, deploy/docker/mosquitto.Dockerfile)" >&2
    exit 1
fi

mkdir -p "$dir"
sed -e "s|^listener @PORT@ 127.0.0.1\$|listener $port${bind:+ $bind}|" -e "s|@DIR@|$dir|g" -e "s|@PLUGIN@|$plugin|" \
    "$here/fleetmfa.conf.template" >"$dir/mosquitto.conf"
if [ -n "${MOSQUITTO_USER:-}" ]; then
    echo "user $MOSQUITTO_USER" >>"$dir/mosquitto.conf"
fi
if [ -n "${MOSQUITTO_TLS_CERTFILE:-}" ]; then
    printf 'listener %s%s\ncertfile %s\nkeyfile %s\ntls_version tlsv1.2\n' "${MOSQUITTO_TLS_PORT:-8883}" "${bind:+ $bind}" \
        "$MOSQUITTO_TLS_CERTFILE" "${MOSQUITTO_TLS_KEYFILE:?MOSQUITTO_TLS_KEYFILE goes with MOSQUITTO_TLS_CERTFILE}" >>"$dir/mosquitto.conf"
fi

# The device patterns as they are; the template's single bridge block replaced by one block per silo.
{
    sed -n '/^user /q;p' "$here/acl"
    for account in $accounts; do
        printf 'user %s\ntopic readwrite fleetmfa/v1/#\n\n' "$account"
    done
} >"$dir/acl"

if [ ! -f "$dir/passwd" ]; then
    : >"$dir/passwd"
fi
# Owner and group (the silos, which append device accounts) may write; nobody else may read.
chmod 0660 "$dir/passwd"
for account in $accounts; do
    mosquitto_passwd -b "$dir/passwd" "$account" "$password"
done
chmod 0660 "$dir/passwd"
echo "mosquitto-init: $dir/mosquitto.conf, acl and passwd ready for: $accounts"
