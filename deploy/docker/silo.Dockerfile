# syntax=docker/dockerfile:1
# The FleetMfa silo (admin API + Orleans + MQTT bridge). Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t fleetmfa-silo .
# Configuration is FLEETMFA_* variables (README "Configuration"); it listens on ASPNETCORE_URLS (http://+:5080).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first, so the restore layer survives source edits.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY agent/FleetMfa.Protocol/FleetMfa.Protocol.csproj agent/FleetMfa.Protocol/
COPY grains/FleetMfa.Grains.Abstractions/FleetMfa.Grains.Abstractions.csproj grains/FleetMfa.Grains.Abstractions/
COPY grains/FleetMfa.Grains/FleetMfa.Grains.csproj grains/FleetMfa.Grains/
COPY silo/FleetMfa.Silo/FleetMfa.Silo.csproj silo/FleetMfa.Silo/
RUN dotnet restore silo/FleetMfa.Silo/FleetMfa.Silo.csproj
COPY agent/FleetMfa.Protocol/ agent/FleetMfa.Protocol/
COPY grains/ grains/
COPY silo/ silo/
RUN dotnet publish silo/FleetMfa.Silo/FleetMfa.Silo.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Generated keys would land in FLEETMFA_DATA; production passes FLEETMFA_ADMIN_KEY / FLEETMFA_MASTER_KEY instead.
RUN install -d -m 0700 -o app -g app /var/lib/fleetmfa
ENV ASPNETCORE_URLS=http://+:5080 \
    FLEETMFA_DATA=/var/lib/fleetmfa \
    DOTNET_gcServer=1
# 5080 HTTP (admin API, /healthz), 5443 HTTPS agent endpoint (FleetMfa CA), 11111 silo-to-silo, 30000 gateway.
EXPOSE 5080 5443 11111 30000
USER app
ENTRYPOINT ["dotnet", "FleetMfa.Silo.dll"]
