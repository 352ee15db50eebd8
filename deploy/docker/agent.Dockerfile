# syntax=docker/dockerfile:1
# The FleetMfa device agent as a container, for demos and load tests (deploy/compose): it enrolls on first start
# and then runs the daemon. Real devices install the package from deploy/package-agent.sh instead.
# Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t fleetmfa-agent .

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY agent/FleetMfa.Protocol/ agent/FleetMfa.Protocol/
COPY agent/FleetMfa.Agent/ agent/FleetMfa.Agent/
COPY deploy/lib.sh deploy/build-agent.sh deploy/
# The same NativeAOT publish as on a workstation (installs clang; fails on any trimming/AOT warning).
RUN bash deploy/build-agent.sh /out

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY --from=build /out/fleetmfa-agent /usr/bin/fleetmfa-agent
COPY deploy/docker/agent-entrypoint.sh /usr/local/bin/agent-entrypoint.sh
RUN install -d -m 0700 /var/lib/fleetmfa-agent
VOLUME /var/lib/fleetmfa-agent
ENTRYPOINT ["/usr/local/bin/agent-entrypoint.sh"]
