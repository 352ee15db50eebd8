#!/bin/sh
# Reloads Mosquitto whenever one of the revocation files changes: its CRL and the fleetmfa_limits plugin's revoked
# file, which silos in other containers or pods rewrite and cannot signal the broker about
# (FLEETMFA_MOSQUITTO_RELOAD=external). Runs next to the broker, in its pid namespace (a sidecar with
# shareProcessNamespace in deploy/k8s, beside it in its container in deploy/compose).
#
#   reload-on-change.sh PID_FILE FILE [FILE ...]      (RELOAD_INTERVAL: seconds between looks, default 1)
#
# The silo writes each file anew and renames it over the old one, so a file is compared by its content (a checksum),
# never through a handle kept open (which would still see the old file) nor by inode and time alone (a freed inode
# comes back, and two writes may share a second). A change is reloaded once the broker has a pid to signal.
set -eu

usage="usage: reload-on-change.sh PID_FILE FILE [FILE ...]"
pidfile=${1:?$usage}
shift
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
interval=${RELOAD_INTERVAL:-1}

trap 'exit 0' TERM INT
signature() {
    for file in "$@"; do
        cksum 2>/dev/null <"$file" || echo "$file missing"
    done
}
last=$(signature "$@")
while :; do
    sleep "$interval" &
    wait $! || true
    now=$(signature "$@")
    if [ "$now" != "$last" ] && [ -s "$pidfile" ]; then
        if kill -HUP "$(cat "$pidfile")" 2>/dev/null; then
            echo "reload-on-change: a change in $*: Mosquitto reloaded"
            last=$now
        fi
    fi
done
