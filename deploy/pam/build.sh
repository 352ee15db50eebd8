#!/usr/bin/env bash
# Builds pam_fleetmfa.so, the PAM module that asks for the TOTP code and lets fleetmfa-agent decide.
# Needs gcc and Debian's libpam0g-dev (installed here when missing).
#
#   deploy/pam/build.sh [OUTPUT_DIR]     (default deploy/.out/pam)
#
# Install: copy pam_fleetmfa.so to /usr/lib/x86_64-linux-gnu/security/ (0644, root); the agent writes the
# pam.d line itself when MFA is turned on (README, "SSH MFA on Linux").
set -euo pipefail

# shellcheck source=../lib.sh source-path=SCRIPTDIR/..
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

OUT=${1:-$FM_DEPLOY/.out/pam}
fm_ensure_apt gcc libpam0g-dev
mkdir -p "$OUT"
SRC="$FM_DEPLOY/pam/pam_fleetmfa.c"
gcc -std=gnu11 -O2 -fPIC -shared -Wall -Wextra -Werror -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
    -Wl,-z,relro,-z,now -Wl,--as-needed -o "$OUT/pam_fleetmfa.so.tmp" "$SRC" -lpam
chmod 0644 "$OUT/pam_fleetmfa.so.tmp"
mv -f "$OUT/pam_fleetmfa.so.tmp" "$OUT/pam_fleetmfa.so"
fm_log "built $OUT/pam_fleetmfa.so ($(stat -c %s "$OUT/pam_fleetmfa.so") bytes)"
