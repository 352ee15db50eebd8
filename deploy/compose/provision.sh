#!/bin/sh
# deploy/compose's one-shot provisioning: the org "demo" with TOTP on, and one connect key written to
# /keys/connect.key for the agents. Re-running it issues a fresh key.
set -eu

api=${FLEETMFA_SERVER:?}
auth="Authorization: Bearer ${FLEETMFA_ADMIN_KEY:?}"
json="Content-Type: application/json"

curl -fsS -o /dev/null -X PUT "$api/api/orgs/demo" -H "$auth" -H "$json" -d '{"name":"Demo"}'
curl -fsS -o /dev/null -X PUT "$api/api/orgs/demo/mfa/totp" -H "$auth" -H "$json" -d '{"enabled":true}'
key=$(curl -fsS -X POST "$api/api/orgs/demo/connect-keys" -H "$auth" -H "$json" -d '{}' | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$key" ] || { echo "provision: no connect key in the response" >&2; exit 1; }
umask 077
printf '%s' "$key" >/keys/connect.key.tmp
chmod 0644 /keys/connect.key.tmp
mv /keys/connect.key.tmp /keys/connect.key
echo "provision: org demo ready, connect key in /keys/connect.key"
