#!/usr/bin/env bash
# Measures the time an SSH login spends in the MFA check: N real logins (SSH.NET client, password
# then an oathtool code) through a private Debian sshd on a loopback port, pam_fleetmfa.so and the
# NativeAOT agent, each timed by the PAM module itself (the agent's --check-required and verify
# runs, not the user's typing). Runs the end-to-end timing test with FLEETMFA_BENCH_SSH_LOGINS=N
# (its fixture starts Azurite and a silo on free ports, stopped by PID). Needs root (test users).
# The last line is `ssh-mfa-check logins=N ... check_p50_ms= ... mfa_total_p99_ms= ...`.
#
#   deploy/bench-ssh.sh [LOGINS=50]
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOGINS=${1:-50}
[[ "$LOGINS" =~ ^[0-9]+$ ]] && ((LOGINS > 0)) || fm_die "LOGINS must be a positive number"
fm_require_cmd dotnet "install the .NET 10 SDK (https://dot.net)"
fm_ensure_apt oathtool openssh-server openssh-client libpam0g-dev gcc clang zlib1g-dev
WORK=$(mktemp -d -t fleetmfa-bench-ssh.XXXXXX)
chmod 700 "$WORK"
trap 'rm -rf "$WORK"' EXIT

bash "$FM_DEPLOY/build-agent.sh" "$WORK/agent-aot" >&2
bash "$FM_DEPLOY/pam/build.sh" "$WORK/pam" >&2
cd "$FM_REPO"
dotnet build tests/FleetMfa.EndToEnd -c Release -nologo -v q >&2
FLEETMFA_BENCH_SSH_LOGINS=$LOGINS FLEETMFA_BENCH_SSH_OUTPUT=$WORK/summary \
    FLEETMFA_TEST_AGENT_AOT=$WORK/agent-aot/fleetmfa-agent FLEETMFA_TEST_PAM_MODULE=$WORK/pam/pam_fleetmfa.so \
    dotnet test tests/FleetMfa.EndToEnd -c Release --no-build -nologo \
    --filter "FullyQualifiedName~FleetMfa.EndToEnd.Ssh.SshLoginTimingTests" >&2
cat "$WORK/summary"
