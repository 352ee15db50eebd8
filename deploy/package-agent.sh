#!/usr/bin/env bash
# Packages the NativeAOT device agent for Debian-like hosts: a .deb-style tree (DEBIAN/control, postinst, prerm,
# postrm; usr/bin/fleetmfa-agent; the systemd unit; the PAM module when deploy/pam/build.sh exists) as a tarball with
# an install.sh, and, where dpkg-deb exists, the same tree as a .deb.
#
#   deploy/package-agent.sh [--binary PATH] [OUTPUT_DIR]      (default deploy/.out/package)
#
# Without --binary it publishes the agent first with deploy/build-agent.sh (about 1.5 min); with it, it only
# assembles (deploy/test.sh reuses the agent it already published). Prints the paths of what it built, last line:
# "tarball=PATH deb=PATH" (deb= is empty without dpkg-deb).
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BINARY=""
OUT=""
while (($#)); do
    case "$1" in
    --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) fm_die "unknown option $1 (see --help)" ;;
    *) OUT=$1; shift ;;
    esac
done
OUT=${OUT:-$FM_DEPLOY/.out/package}
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

if [[ -z "$BINARY" ]]; then
    bash "$FM_DEPLOY/build-agent.sh" "$OUT/publish"
    BINARY=$OUT/publish/fleetmfa-agent
fi
[[ -f "$BINARY" ]] || fm_die "no agent binary at $BINARY"

VERSION=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$FM_REPO/agent/FleetMfa.Agent/FleetMfa.Agent.csproj" | head -n 1)
[[ -n "$VERSION" ]] || fm_die "no <Version> in agent/FleetMfa.Agent/FleetMfa.Agent.csproj"
NAME=fleetmfa-agent_${VERSION}_amd64
WORK=$(mktemp -d -t fleetmfa-package.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/$NAME

umask 022
install -D -m 0755 "$BINARY" "$ROOT/usr/bin/fleetmfa-agent"
install -D -m 0644 "$FM_DEPLOY/systemd/fleetmfa-agent.service" "$ROOT/lib/systemd/system/fleetmfa-agent.service"
install -D -m 0644 "$FM_DEPLOY/debian/README" "$ROOT/usr/share/doc/fleetmfa-agent/README"

# --- HOOK (deploy/pam): the PAM module, built by deploy/pam/build.sh when that script exists. -------------------
# Contract assumed: `deploy/pam/build.sh OUT_DIR` leaves OUT_DIR/pam_fleetmfa.so. It goes where Debian's libpam
# looks for modules named without a path.
PAM_BUILD=$FM_DEPLOY/pam/build.sh
PAM_DIR=usr/lib/x86_64-linux-gnu/security
if [[ -f "$PAM_BUILD" ]]; then
    fm_log "building the PAM module with deploy/pam/build.sh ..."
    bash "$PAM_BUILD" "$WORK/pam"
    [[ -f "$WORK/pam/pam_fleetmfa.so" ]] || fm_die "deploy/pam/build.sh did not produce pam_fleetmfa.so in its output directory"
    install -D -m 0644 "$WORK/pam/pam_fleetmfa.so" "$ROOT/$PAM_DIR/pam_fleetmfa.so"
else
    fm_log "deploy/pam/build.sh not found: packaging without the PAM module"
fi
# --- end HOOK -----------------------------------------------------------------------------------------------------

install -d -m 0755 "$ROOT/DEBIAN"
INSTALLED_KB=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@INSTALLED_SIZE@/$INSTALLED_KB/" "$FM_DEPLOY/debian/control" >"$ROOT/DEBIAN/control"
chmod 0644 "$ROOT/DEBIAN/control"
for script in postinst prerm postrm; do
    install -m 0755 "$FM_DEPLOY/debian/$script" "$ROOT/DEBIAN/$script"
done

DEB=""
if command -v dpkg-deb >/dev/null 2>&1; then
    DEB=$OUT/$NAME.deb
    dpkg-deb --root-owner-group -Zgzip --build "$ROOT" "$DEB" >/dev/null
fi

# The tarball: the same tree plus install.sh for hosts without dpkg; owned by root, stable order and times.
install -m 0755 "$FM_DEPLOY/debian/install.sh" "$ROOT/install.sh"
TARBALL=$OUT/$NAME.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' -C "$WORK" -czf "$TARBALL" "$NAME"

fm_log "built $TARBALL${DEB:+ and $DEB}"
printf 'tarball=%s deb=%s\n' "$TARBALL" "$DEB"
