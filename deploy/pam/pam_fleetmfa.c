/*
 * pam_fleetmfa: the PAM side of FleetMfa's SSH MFA (DESIGN §5).
 *
 * For the canonical account of PAM_USER (getpwnam: with SSSD or LDAP "ALICE" and "alice@corp" may log in as alice,
 * and the agent must match the bound user alice) it runs
 *     fleetmfa-agent verify --user NAME --uid UID --check-required [--data-dir DIR]
 * and, only when the agent answers "a code is required" (exit 4), asks "Verification code: " through the PAM
 * conversation (so sshd's keyboard-interactive shows it to the SSH client), then hands the code to
 *     fleetmfa-agent verify --user NAME --uid UID [--data-dir DIR]
 * on stdin and maps the exit code: 0 accepted or not required -> PAM_SUCCESS, 1 rejected -> PAM_AUTH_ERR,
 * 3 locked out -> PAM_MAXTRIES, anything else (2 store error, a crash, a timeout) -> PAM_AUTH_ERR (fail closed).
 *
 * mode=publickey: the agent wrote this line in place of the password stack, because sshd's AuthenticationMethods
 * asks for a public key first. The module then succeeds only when sshd has already completed a "publickey" method for
 * this connection, as sshd records in the PAM environment (SSH_AUTH_INFO_0, OpenSSH 7.8 and later) — for every user,
 * enrolled or not. Without that proof (the drop-in not in effect, a Match block, a reload that has not happened yet)
 * this line would be the only factor, so it refuses.
 *
 * Options (in the pam.d line); an unknown option or value is a configuration error and refuses every login:
 *   mode=password|publickey   what stands in front of the module (default password: the original stack)
 *   agent=PATH      the agent executable (default /usr/bin/fleetmfa-agent)
 *   data_dir=DIR    the agent's data directory (default: the agent's own default)
 *   timeout=MS      how long one agent run may take (default 15000; the agent waits at most 3 s for its daemon, then
 *                   decides from the store itself, so its direct path has the rest)
 *   timing=FILE     append "<check_us> <verify_us> <result>" per authentication, for measurements (no user, no code)
 *
 * The agent runs with a minimal environment, no inherited descriptors but a pipe on stdin, and output to /dev/null.
 * The code is wiped from memory as soon as it has been written to the pipe.
 */
#define _GNU_SOURCE
#define PAM_SM_AUTH
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#define FLEETMFA_DEFAULT_AGENT "/usr/bin/fleetmfa-agent"
#define FLEETMFA_PROMPT "Verification code: "
#define FLEETMFA_EXIT_REQUIRED 4
#define FLEETMFA_MAX_CODE 16
#define FLEETMFA_MAX_USER 64
#define FLEETMFA_AUTH_INFO "SSH_AUTH_INFO_0"

struct fleetmfa_options {
    const char *agent;
    const char *data_dir;
    const char *timing;
    int timeout_ms;
    int require_publickey;
};

/* Returns 0 when every option is known and valid; else logs the first bad one and returns -1. */
static int parse_options(pam_handle_t *pamh, int argc, const char **argv, struct fleetmfa_options *o)
{
    o->agent = FLEETMFA_DEFAULT_AGENT;
    o->data_dir = NULL;
    o->timing = NULL;
    o->timeout_ms = 15000;
    o->require_publickey = 0;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "agent=", 6) == 0)
            o->agent = argv[i] + 6;
        else if (strncmp(argv[i], "data_dir=", 9) == 0)
            o->data_dir = argv[i] + 9;
        else if (strncmp(argv[i], "timing=", 7) == 0)
            o->timing = argv[i] + 7;
        else if (strcmp(argv[i], "mode=password") == 0)
            o->require_publickey = 0;
        else if (strcmp(argv[i], "mode=publickey") == 0)
            o->require_publickey = 1;
        else if (strncmp(argv[i], "timeout=", 8) == 0 && atoi(argv[i] + 8) > 0)
            o->timeout_ms = atoi(argv[i] + 8);
        else {
            pam_syslog(pamh, LOG_ERR, "invalid option '%s': refusing every login until the PAM line is fixed", argv[i]);
            return -1;
        }
    }
    return 0;
}

/*
 * Whether sshd completed a public-key method for this connection before handing it to PAM: SSH_AUTH_INFO_0 holds one
 * line per completed method, "publickey <type> <key>" for a key. PAM's environment is set by sshd (and modules), never
 * by the client.
 */
static int has_publickey_proof(pam_handle_t *pamh)
{
    const char *info = pam_getenv(pamh, FLEETMFA_AUTH_INFO);
    for (const char *line = info; line != NULL && *line != '\0';) {
        if (strncmp(line, "publickey ", 10) == 0)
            return 1;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return 0;
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Waits for pid up to timeout_ms; kills it when it overstays. Returns its exit code, or -1. */
static int wait_for(pid_t pid, int timeout_ms)
{
    long long deadline = now_us() + (long long)timeout_ms * 1000LL;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_us() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return -1;
        }
        struct timespec pause = {0, 1000000}; /* 1 ms */
        nanosleep(&pause, NULL);
    }
}

/* Runs the agent's verify command; input (may be NULL) goes to its stdin followed by a newline. Returns the exit code or -1. */
static int run_agent(const struct fleetmfa_options *o, const char *user, const char *uid, int check_only, const char *input)
{
    const char *args[12];
    int n = 0;
    args[n++] = o->agent;
    args[n++] = "verify";
    args[n++] = "--user";
    args[n++] = user;
    args[n++] = "--uid";
    args[n++] = uid;
    if (check_only)
        args[n++] = "--check-required";
    if (o->data_dir != NULL) {
        args[n++] = "--data-dir";
        args[n++] = o->data_dir;
    }
    args[n] = NULL;
    char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL};

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (dup2(fds[0], STDIN_FILENO) < 0 || devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0 || dup2(devnull, STDERR_FILENO) < 0)
            _exit(127);
        closefrom(3);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execve(o->agent, (char *const *)args, env);
        _exit(127);
    }
    close(fds[0]);
    if (input != NULL) {
        /* The code plus a newline fits in the pipe buffer: this never blocks. */
        char line[FLEETMFA_MAX_CODE + 2];
        size_t len = strlen(input);
        memcpy(line, input, len);
        line[len] = '\n';
        struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
        sigaction(SIGPIPE, &ignore, &old);
        ssize_t written = write(fds[1], line, len + 1);
        sigaction(SIGPIPE, &old, NULL);
        explicit_bzero(line, sizeof line);
        (void)written;
    }
    close(fds[1]);
    return wait_for(pid, o->timeout_ms);
}

static int valid_code(const char *code)
{
    size_t len = strlen(code);
    if (len == 0 || len > FLEETMFA_MAX_CODE)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0;
    return 1;
}

static void record_timing(const struct fleetmfa_options *o, long long check_us, long long verify_us, int result)
{
    if (o->timing == NULL)
        return;
    int fd = open(o->timing, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    dprintf(fd, "%lld %lld %d\n", check_us, verify_us, result);
    close(fd);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)flags;
    struct fleetmfa_options o;
    if (parse_options(pamh, argc, argv, &o) != 0)
        return PAM_AUTH_ERR;

    const char *typed = NULL;
    if (pam_get_user(pamh, &typed, NULL) != PAM_SUCCESS || typed == NULL || typed[0] == '\0' || strlen(typed) > FLEETMFA_MAX_USER)
        return PAM_USER_UNKNOWN;

    if (o.require_publickey && !has_publickey_proof(pamh)) {
        pam_syslog(pamh, LOG_NOTICE, "refusing %s: no public key was accepted before the verification code (mode=publickey)", typed);
        record_timing(&o, 0, 0, PAM_AUTH_ERR);
        return PAM_AUTH_ERR;
    }

    /* The account the name resolves to, as the rest of the system sees it (NSS: files, SSSD, LDAP). */
    struct passwd pwd, *found = NULL;
    char pwbuf[4096];
    if (getpwnam_r(typed, &pwd, pwbuf, sizeof pwbuf, &found) != 0 || found == NULL || strlen(found->pw_name) > FLEETMFA_MAX_USER) {
        pam_syslog(pamh, LOG_NOTICE, "refusing %s: no such account", typed);
        return PAM_USER_UNKNOWN;
    }
    const char *user = found->pw_name;
    char uid[16];
    snprintf(uid, sizeof uid, "%u", (unsigned)found->pw_uid);

    long long start = now_us();
    int check = run_agent(&o, user, uid, 1, NULL);
    long long check_us = now_us() - start;
    if (check == 0) {
        /* MFA off on this device, or the user has not completed setup: no prompt. */
        record_timing(&o, check_us, 0, PAM_SUCCESS);
        return PAM_SUCCESS;
    }
    if (check != FLEETMFA_EXIT_REQUIRED) {
        pam_syslog(pamh, LOG_ERR, "fleetmfa-agent (%s) failed to say whether a code is required (exit %d)", o.agent, check);
        record_timing(&o, check_us, 0, PAM_AUTH_ERR);
        return PAM_AUTH_ERR;
    }

    char *code = NULL;
    int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &code, "%s", FLEETMFA_PROMPT);
    if (rc != PAM_SUCCESS || code == NULL) {
        record_timing(&o, check_us, 0, PAM_CONV_ERR);
        return PAM_CONV_ERR;
    }

    int result;
    long long verify_us = 0;
    if (!valid_code(code)) {
        /* Not a code at all: the agent is still asked with an empty line, so the failure counts toward lockout. */
        explicit_bzero(code, strlen(code));
        code[0] = '\0';
    }
    start = now_us();
    int verdict = run_agent(&o, user, uid, 0, code);
    verify_us = now_us() - start;
    explicit_bzero(code, strlen(code));
    free(code);
    switch (verdict) {
    case 0:
        result = PAM_SUCCESS;
        break;
    case 1:
        result = PAM_AUTH_ERR;
        break;
    case 3:
        pam_syslog(pamh, LOG_NOTICE, "user %s is locked out after too many wrong codes", user);
        result = PAM_MAXTRIES;
        break;
    default:
        pam_syslog(pamh, LOG_ERR, "fleetmfa-agent (%s) failed to verify (exit %d)", o.agent, verdict);
        result = PAM_AUTH_ERR;
        break;
    }
    record_timing(&o, check_us, verify_us, result);
    return result;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
