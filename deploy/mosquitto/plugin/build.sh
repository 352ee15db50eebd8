#!/usr/bin/env bash
# Builds fleetmfa_limits.so, Mosquitto's per-client message rate limit and certificate revocation check
# (fleetmfa_limits.c, loaded by deploy/mosquitto/fleetmfa.conf.template and fleetmfa-tls.conf.template), against
# Debian's mosquitto-dev and libssl-dev (it reads certificates with OpenSSL and links -lcrypto; deploy/lib.sh's
# fm_build_mosquitto_plugin compiles it and installs the packages when missing).
# deploy/lib.sh's fm_start_mosquitto and deploy/test.sh build it themselves; this is for a Mosquitto you run.
#
#   deploy/mosquitto/plugin/build.sh [OUTPUT_DIR]     (default deploy/.out/mosquitto)
#
# Install: copy fleetmfa_limits.so next to Mosquitto (e.g. /usr/lib/fleetmfa/, 0644, root) and point the config's
# `plugin` line at it. The container image (deploy/docker/mosquitto.Dockerfile) builds its own against Alpine's headers.
set -euo pipefail

# shellcheck source=../../lib.sh source-path=SCRIPTDIR/../..
source "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"

fm_build_mosquitto_plugin "${1:-}"
fm_log "built $FM_MOSQUITTO_PLUGIN ($(stat -c %s "$FM_MOSQUITTO_PLUGIN") bytes)"
