#!/usr/bin/env bash
# Makes a development certificate authority for a FleetMfa cluster, and certificates it issues, for Orleans' mutual
# TLS between silos and on the gateway (FLEETMFA_CLUSTER_CERT, FLEETMFA_CLUSTER_KEY, FLEETMFA_CLUSTER_CA).
#
#   deploy/cluster-certs.sh DIR [NAME ...]
#
# DIR/ca.pem and DIR/ca.key are made once and kept; for each NAME (default: silo) DIR/NAME.pem and DIR/NAME.key are
# made when missing: ECDSA P-256, for TLS server and client use, valid 825 days. Keys are 0600, DIR 0700. Development
# only: in production the certificates come from your own PKI (README "Production").
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 1 && "$1" != -* ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DIR=$1
shift
NAMES=("$@")
((${#NAMES[@]})) || NAMES=(silo)
for name in "${NAMES[@]}"; do
    [[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || fm_die "certificate name '$name': lower-case letters, digits and '-' only"
    [[ "$name" != ca ]] || fm_die "'ca' names the authority itself"
done

fm_require_cmd openssl "apt-get install openssl"
(umask 077 && mkdir -p "$DIR")
chmod 700 "$DIR"

if [[ ! -s "$DIR/ca.pem" || ! -s "$DIR/ca.key" ]]; then
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$DIR/ca.key.tmp")
    openssl req -x509 -new -key "$DIR/ca.key.tmp" -sha256 -days 3650 -subj "/CN=FleetMfa cluster CA (development)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$DIR/ca.pem.tmp" 2>/dev/null
    mv "$DIR/ca.key.tmp" "$DIR/ca.key"
    mv "$DIR/ca.pem.tmp" "$DIR/ca.pem"
    fm_log "made the cluster CA $DIR/ca.pem"
fi

for name in "${NAMES[@]}"; do
    [[ -s "$DIR/$name.pem" && -s "$DIR/$name.key" ]] && continue
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$DIR/$name.key.tmp")
    extensions=$(mktemp)
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$name,DNS:localhost,IP:127.0.0.1" >"$extensions"
    openssl req -new -key "$DIR/$name.key.tmp" -subj "/CN=$name" 2>/dev/null |
        openssl x509 -req -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial -sha256 -days 825 \
            -extfile "$extensions" -out "$DIR/$name.pem.tmp" 2>/dev/null
    rm -f "$extensions" "$DIR/ca.srl"
    mv "$DIR/$name.key.tmp" "$DIR/$name.key"
    mv "$DIR/$name.pem.tmp" "$DIR/$name.pem"
    fm_log "made $DIR/$name.pem, issued by the cluster CA"
done
