#!/bin/sh
# Makes what Mosquitto needs to run deploy/mosquitto/fleetmfa-tls.conf.template with the FleetMfa CA:
#
#   deploy/mosquitto/make-tls.sh CA_PEM [DIR [HOST ...]]
#
# CA_PEM is the FleetMfa CA (its certificate and private key in one PEM file, the format of the silo's
# $FLEETMFA_DATA/ca.pem and FLEETMFA_AGENT_CA_CERT); it is made (ECDSA P-256, 10 years, 0600) when missing. With CA_PEM
# alone, that is all. Into DIR (0700): ca.crt (the CA's certificate only: Mosquitto's cafile), server.pem/server.key
# (Mosquitto's server certificate, P-256, for localhost, 127.0.0.1 and each HOST; remade when it is not the CA's or
# expires within 30 days), and — only when missing, since the silo keeps them from then on — crl.pem (an empty CRL
# signed by the CA) and revoked (the fleetmfa_limits plugin's revoked file, empty); those two go to
# $MOSQUITTO_REVOCATION_DIR instead when it is set (a directory shared with the silos). Plain POSIX sh and openssl, so
# that deploy/mosquitto/init-broker.sh runs it in the Mosquitto image. Development: in production the broker's server
# certificate may come from your PKI, but cafile must be the FleetMfa CA, which issues the devices' certificates.
set -eu

die() {
    echo "make-tls: error: $*" >&2
    exit 1
}

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
CA=$1
DIR=${2:-}
[ $# -lt 2 ] || shift 2
command -v openssl >/dev/null 2>&1 || die "openssl not found: apt-get install openssl (apk add openssl)"
(umask 077 && mkdir -p "$(dirname "$CA")")

if [ ! -s "$CA" ]; then
    (umask 077 &&
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -subj "/O=FleetMfa/CN=FleetMfa CA local" -keyout "$CA.key.new" -out "$CA.crt.new" \
            -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null &&
        cat "$CA.crt.new" "$CA.key.new" >"$CA.new" && rm -f "$CA.crt.new" "$CA.key.new" && mv "$CA.new" "$CA") ||
        die "could not make the FleetMfa CA ($CA)"
    echo "made the FleetMfa CA $CA"
fi
[ -n "$DIR" ] || exit 0

REVOCATION=${MOSQUITTO_REVOCATION_DIR:-$DIR}
(umask 077 && mkdir -p "$DIR" "$REVOCATION")
chmod 700 "$DIR"
openssl x509 -in "$CA" -out "$DIR/ca.crt.new" && mv "$DIR/ca.crt.new" "$DIR/ca.crt"

if ! { [ -s "$DIR/server.pem" ] && [ -s "$DIR/server.key" ] &&
    openssl verify -CAfile "$DIR/ca.crt" "$DIR/server.pem" >/dev/null 2>&1 &&
    openssl x509 -in "$DIR/server.pem" -noout -checkend $((30 * 86400)) >/dev/null; }; then
    san="DNS:localhost,IP:127.0.0.1"
    for host in "$@"; do
        case $host in
            *:*) san="$san,IP:$host" ;;
            *[!0-9.]*) san="$san,DNS:$host" ;;
            *) san="$san,IP:$host" ;;
        esac
    done
    extensions=$(mktemp)
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" "subjectAltName=$san" >"$extensions"
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$DIR/server.key.new")
    openssl req -new -key "$DIR/server.key.new" -subj "/O=FleetMfa/CN=mosquitto" 2>/dev/null |
        openssl x509 -req -CA "$CA" -CAkey "$CA" -set_serial "0x$(openssl rand -hex 16)" -sha256 -days 397 \
            -extfile "$extensions" -out "$DIR/server.pem.new" 2>/dev/null || { rm -f "$extensions"; die "could not issue Mosquitto's server certificate"; }
    rm -f "$extensions"
    mv "$DIR/server.key.new" "$DIR/server.key"
    mv "$DIR/server.pem.new" "$DIR/server.pem"
fi

if [ ! -s "$REVOCATION/crl.pem" ] || ! openssl crl -in "$REVOCATION/crl.pem" -CAfile "$DIR/ca.crt" -noout 2>/dev/null; then
    work=$(mktemp -d)
    : >"$work/index.txt"
    printf '01\n' >"$work/crlnumber"
    printf '%s\n' "[ca]" "default_ca = fm" "[fm]" "database = $work/index.txt" "crlnumber = $work/crlnumber" \
        "default_md = sha256" "default_crl_days = 7" >"$work/ca.cnf"
    openssl ca -gencrl -config "$work/ca.cnf" -keyfile "$CA" -cert "$CA" -out "$REVOCATION/crl.pem.new" 2>"$work/log" ||
        { cat "$work/log" >&2; rm -rf "$work"; die "could not make the initial CRL"; }
    rm -rf "$work"
    chmod 644 "$REVOCATION/crl.pem.new"
    mv "$REVOCATION/crl.pem.new" "$REVOCATION/crl.pem"
fi
if [ ! -f "$REVOCATION/revoked" ]; then
    printf '# no certificate revoked yet; the silo rewrites this file\n' >"$REVOCATION/revoked.new"
    chmod 644 "$REVOCATION/revoked.new"
    mv "$REVOCATION/revoked.new" "$REVOCATION/revoked"
fi
