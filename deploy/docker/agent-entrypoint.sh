#!/bin/sh
# Container entry point of the agent: enroll once (FLEETMFA_SERVER plus FLEETMFA_CONNECT_KEY, or
# FLEETMFA_CONNECT_KEY_FILE, waited for up to 5 minutes), then run the daemon in the foreground.
set -eu

data=${FLEETMFA_AGENT_DATA:-/var/lib/fleetmfa-agent}
if [ ! -f "$data/config.json" ]; then
    server=${FLEETMFA_SERVER:?set FLEETMFA_SERVER to the silo agent endpoint, e.g. https://silo1:5443}
    if [ -z "${FLEETMFA_CONNECT_KEY:-}" ]; then
        keyfile=${FLEETMFA_CONNECT_KEY_FILE:?set FLEETMFA_CONNECT_KEY or FLEETMFA_CONNECT_KEY_FILE}
        waited=0
        while [ ! -s "$keyfile" ]; do
            [ "$waited" -lt 300 ] || { echo "agent: no connect key in $keyfile after 5 minutes" >&2; exit 2; }
            sleep 2
            waited=$((waited + 2))
        done
        FLEETMFA_CONNECT_KEY=$(cat "$keyfile")
        export FLEETMFA_CONNECT_KEY
    fi
    # The silo may still be starting: enrollment is retried for a while.
    tries=0
    until fleetmfa-agent enroll --server "$server" --data-dir "$data"; do
        tries=$((tries + 1))
        [ "$tries" -lt 30 ] || exit 2
        sleep 5
    done
    unset FLEETMFA_CONNECT_KEY
fi
exec fleetmfa-agent run --data-dir "$data"
