# syntax=docker/dockerfile:1
# Mosquitto with FleetMfa's per-client message rate limit and certificate revocation check
# (deploy/mosquitto/plugin/fleetmfa_limits.c), which the config deploy/mosquitto/init-broker.sh writes from
# fleetmfa-tls.conf.template loads from /usr/lib/fleetmfa/fleetmfa_limits.so: the stock eclipse-mosquitto image has
# neither the plugin nor a compiler. And the openssl command, with which init-broker.sh (through make-tls.sh) issues
# Mosquitto's server certificate and the first CRL from the FleetMfa CA.
# Build from the repository root:
#   docker build -f deploy/docker/mosquitto.Dockerfile -t fleetmfa-mosquitto:2.0.20 .
# (deploy/compose builds it as fleetmfa-mosquitto:local; deploy/k8s expects fleetmfa-mosquitto:2.0.20 in your registry.)

# The plugin is built on the Alpine release the broker image is built on (musl), against Alpine's mosquitto-dev
# headers: plugin API version 5, the same throughout Mosquitto 2.0. Its revocation check (plugin_opt_revoked_file)
# reads client certificates' serials with OpenSSL: openssl-dev here, and libcrypto.so.3, which the broker image has
# for its own TLS, at run time.
FROM alpine:3.20 AS plugin
RUN apk add --no-cache build-base mosquitto-dev openssl-dev
COPY deploy/mosquitto/plugin/fleetmfa_limits.c /src/
RUN gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
        -Wl,-z,relro,-z,now -o /src/fleetmfa_limits.so /src/fleetmfa_limits.c -lcrypto

FROM eclipse-mosquitto:2.0.20
RUN apk add --no-cache openssl
COPY --from=plugin --chmod=0644 /src/fleetmfa_limits.so /usr/lib/fleetmfa/fleetmfa_limits.so
