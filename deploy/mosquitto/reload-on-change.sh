#!/bin/sh
# Reloads Mosquitto whenever its password file changes: for silos that append device accounts from another
# container or pod and so cannot signal the broker (FLEETMFA_MOSQUITTO_RELOAD=external). Runs next to the broker, in
# its pid namespace (a sidecar with shareProcessNamespace in deploy/k8s, `pid: service:mosquitto` in deploy/compose).
#
#   reload-on-change.sh PASSWORD_FILE PID_FILE [INTERVAL_SECONDS]      (default interval 1)
set -eu

passwd=${1:?usage: reload-on-change.sh PASSWORD_FILE PID_FILE [INTERVAL_SECONDS]}
pidfile=${2:?usage: reload-on-change.sh PASSWORD_FILE PID_FILE [INTERVAL_SECONDS]}
interval=${3:-1}

trap 'exit 0' TERM INT
signature() { stat -c '%Y.%s.%i' "$passwd" 2>/dev/null || echo missing; }
last=$(signature)
while :; do
    sleep "$interval" &
    wait $! || true
    now=$(signature)
    if [ "$now" != "$last" ] && [ -s "$pidfile" ]; then
        if kill -HUP "$(cat "$pidfile")" 2>/dev/null; then
            echo "reload-on-change: $passwd changed, Mosquitto reloaded"
            last=$now
        fi
    fi
done
