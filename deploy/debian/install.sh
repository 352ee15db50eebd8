#!/bin/sh
# Installs this fleetmfa-agent tarball on a host without dpkg (or when you prefer not to use the .deb): copies the
# files into place, then runs the same postinst as the package.
#
#   sudo ./install.sh            (DESTDIR=/some/root ./install.sh stages into another root and skips the postinst)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dest=${DESTDIR:-}

install -D -m 0755 "$here/usr/bin/fleetmfa-agent" "$dest/usr/bin/fleetmfa-agent"
install -D -m 0644 "$here/lib/systemd/system/fleetmfa-agent.service" "$dest/lib/systemd/system/fleetmfa-agent.service"
install -D -m 0644 "$here/usr/share/doc/fleetmfa-agent/README" "$dest/usr/share/doc/fleetmfa-agent/README"
for module in "$here"/usr/lib/x86_64-linux-gnu/security/*.so; do
    [ -f "$module" ] || continue
    install -D -m 0644 "$module" "$dest/usr/lib/x86_64-linux-gnu/security/$(basename "$module")"
done

if [ -z "$dest" ]; then
    "$here/DEBIAN/postinst" configure
else
    install -d -m 0700 "$dest/var/lib/fleetmfa-agent"
fi
