/*
 * fleetmfa_limits: a per-client message rate limit and a certificate revocation check for Mosquitto 2.0 (plugin API
 * version 5).
 *
 * Rate limit. Mosquitto 2.0 limits a packet's size (max_packet_size) and a client's queue (max_queued_messages/_bytes),
 * but not how many messages a client may publish per second: one misbehaving device could push thousands of reports a
 * second at the silos' bridge. This plugin gives every client id a token bucket — `rate` messages per second, up to
 * `burst` at once — and drops each PUBLISH over it the way an ACL denial does (a QoS 1 sender gets a PUBACK
 * "not authorized" and does not resend; the client stays connected). The silos' bridge accounts, which publish
 * every device's desired state, are exempt.
 *
 * Revocation. With X.509 client certificates (`require_certificate true`, `use_identity_as_username true`: the
 * certificate's CN "{orgId}/{deviceId}" is the username) Mosquitto never asks a plugin at CONNECT, and its own CRL
 * check runs only at the TLS handshake: a client connected before its certificate was revoked stays connected, and a
 * CRL that cannot be re-read leaves the listener without one. So, given `revoked_file`, the plugin keeps the set of
 * revoked serial numbers the silo writes there and answers every ACL check (subscribe, publish, and each delivery to
 * a subscriber) for a client whose certificate is in it with a denial; anything else it leaves to the ACL file.
 *
 *   plugin /usr/lib/fleetmfa/fleetmfa_limits.so
 *   plugin_opt_rate 10                        messages per second per client (a decimal > 0; default 10)
 *   plugin_opt_burst 50                       messages a client may send at once after being quiet (default 50)
 *   plugin_opt_exempt_prefix fleetmfa-bridge  usernames starting with it and without a '/' are exempt (see below)
 *   plugin_opt_revoked_file /path/revoked     the revoked certificates (absent: no revocation check)
 *
 * A bad or unknown option fails the plugin's init, so Mosquitto refuses to start: never silently unlimited. The
 * options are read at start-up only (a SIGHUP reload does not re-read them; restart the broker to change them); the
 * revoked file is re-read on every reload.
 *
 * The revoked file: UTF-8 text, one revoked certificate per line, "SERIAL USERNAME" separated by spaces or tabs;
 * blank lines and lines whose first non-blank character is '#' are ignored; every line ends with '\n' (a last line
 * without one is taken for a truncated write). SERIAL is the certificate's serial number, a positive integer, in
 * hexadecimal: digits case-insensitive, leading zeros ignored, at most 40 significant digits (RFC 5280's 20 octets).
 * So OpenSSL's `openssl x509 -serial` / BN_bn2hex ("0A1B..."), its lowercase, and .NET's
 * X509Certificate2.SerialNumber (which keeps DER's leading "00") all name the same certificate. USERNAME is its CN
 * (printable, no blanks, at most 1024 bytes). The silo writes the file atomically (a temporary file renamed over it)
 * and then signals the broker (SIGHUP).
 *   - At start-up: a file that cannot be read, or any malformed line, fails the init: Mosquitto does not start.
 *   - On a reload: read into a new set; if that succeeds it replaces the old one, and every username newly in it is
 *     kicked (mosquitto_kick_client_by_username, without its will) so a connected client whose certificate was just
 *     revoked is cut off now rather than at its next connect. If the file cannot be read or is malformed, the plugin
 *     fails closed: a WARNING, and every non-exempt client is denied everything until a reload reads a good file.
 *   - Each ACL check: a non-exempt client without a client certificate is denied (it cannot have been checked); one
 *     whose serial is in the set is denied. An exempt client (a silo's bridge) is denied only if it presents a
 *     certificate whose serial is in the set: neither a missing certificate nor an unreadable file cuts the silos
 *     off. Lookups are O(1) on average (a hash set of canonical serials). The one exception to "no certificate, no
 *     access": a client's last will. Mosquitto raises the disconnect event and then sends the will, by when the TLS
 *     session of a client that died may be gone; the serial read at that event judges the will's check (so a device
 *     killed without a DISCONNECT is still reported offline, and a revoked one's will is still dropped).
 * Denials are counted and reported in one NOTICE line every ~10 s (counts and the last username denied: no topics,
 * payloads or keys).
 *
 * Every ~10 s, if anything was dropped, one NOTICE line says how many messages from how many clients (and the client
 * that sent the most), and the running total is published retained to $SYS/broker/fleetmfa/limits/dropped. Payloads
 * and topics are never logged.
 *
 * State: one small entry per client id that published recently, in a chained hash table. An entry whose bucket has
 * refilled to `burst` is the same as no entry, so it is freed — on disconnect, or by the sweep every ~10 s — and the
 * table holds at most the clients that published in the last `burst / rate` seconds plus one sweep. A client that
 * disconnects with an empty bucket keeps its entry until it refills: reconnecting does not reset the limit.
 *
 * Build (deploy/mosquitto/plugin/build.sh): gcc -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared ... -lcrypto,
 * against mosquitto-dev and OpenSSL's headers (Debian: libssl-dev; Alpine: openssl-dev).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define FL_PLUGIN_VERSION 5
#define FL_DEFAULT_RATE 10.0
#define FL_DEFAULT_BURST 50L
#define FL_DEFAULT_EXEMPT_PREFIX "fleetmfa-bridge"
#define FL_MAX_RATE 1000000.0
#define FL_MAX_BURST 1000000L
#define FL_REPORT_INTERVAL_NS (10LL * 1000000000LL)
#define FL_MIN_BUCKETS 256u
#define FL_DROPPED_TOPIC "$SYS/broker/fleetmfa/limits/dropped"
#define FL_MAX_SERIAL_DIGITS 40u /* RFC 5280: a serial number is at most 20 octets. */
#define FL_MAX_USERNAME 1024u

struct fl_entry {
	struct fl_entry *next;
	uint64_t hash;
	int64_t updated_ns;
	double tokens;
	uint64_t dropped_in_interval;
	char client_id[];
};

/* A revoked certificate: its canonical serial (lowercase hex, no leading zeros) and, after it, its username. */
struct fl_revoked {
	struct fl_revoked *next;
	uint64_t hash;
	const char *username;
	char serial[];
};

struct fl_revoked_set {
	struct fl_revoked **buckets;
	size_t bucket_count;
	size_t count;
};

struct fl_state {
	mosquitto_plugin_id_t *identifier;
	double rate;
	long burst;
	char *exempt_prefix;
	size_t exempt_prefix_len;

	struct fl_entry **buckets;
	size_t bucket_count;
	size_t entry_count;

	int64_t next_report_ns;
	uint64_t dropped_in_interval;
	uint64_t clients_in_interval;
	uint64_t dropped_total;
	uint64_t published_total;
	bool published;

	/* Revocation (revoked_file set): the set read last, and whether the last read succeeded. */
	char *revoked_file;
	struct fl_revoked_set revoked;
	bool revoked_ok;
	uint64_t denied_revoked;
	uint64_t denied_no_cert;
	uint64_t denied_fail_closed;
	char last_denied[128];

	/* The client Mosquitto is disconnecting: it raises the disconnect event, then sends the client's will, whose ACL
	 * check comes when the TLS session may be gone already (no certificate to read). The serial read at the event
	 * judges that check; any other client without a certificate is still denied. */
	const struct mosquitto *leaving;
	bool leaving_has_serial;
	char leaving_serial[FL_MAX_SERIAL_DIGITS + 1];
};

static int64_t fl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* FNV-1a, 64 bit. */
static uint64_t fl_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for(; *s; s++){
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static bool fl_parse_rate(const char *value, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if(errno != 0 || end == value || *end != '\0' || !isfinite(v) || v <= 0.0 || v > FL_MAX_RATE){
		return false;
	}
	*out = v;
	return true;
}

static bool fl_parse_burst(const char *value, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if(errno != 0 || end == value || *end != '\0' || v < 1 || v > FL_MAX_BURST){
		return false;
	}
	*out = v;
	return true;
}

/* The table grows (doubling) to keep chains short; it never shrinks below what it once needed, which is bounded. */
static void fl_grow(struct fl_state *state)
{
	size_t new_count = state->bucket_count * 2;
	struct fl_entry **new_buckets;
	size_t i;

	new_buckets = mosquitto_calloc(new_count, sizeof(*new_buckets));
	if(new_buckets == NULL){
		return; /* Longer chains, still correct. */
	}
	for(i = 0; i < state->bucket_count; i++){
		struct fl_entry *e = state->buckets[i];
		while(e){
			struct fl_entry *next = e->next;
			size_t slot = (size_t)(e->hash & (new_count - 1));
			e->next = new_buckets[slot];
			new_buckets[slot] = e;
			e = next;
		}
	}
	mosquitto_free(state->buckets);
	state->buckets = new_buckets;
	state->bucket_count = new_count;
}

static struct fl_entry **fl_find(struct fl_state *state, const char *client_id, uint64_t hash)
{
	struct fl_entry **link = &state->buckets[hash & (state->bucket_count - 1)];

	while(*link){
		if((*link)->hash == hash && strcmp((*link)->client_id, client_id) == 0){
			return link;
		}
		link = &(*link)->next;
	}
	return link;
}

static void fl_refill(const struct fl_state *state, struct fl_entry *e, int64_t now_ns)
{
	if(now_ns > e->updated_ns){
		e->tokens += (double)(now_ns - e->updated_ns) / 1e9 * state->rate;
		if(e->tokens > (double)state->burst){
			e->tokens = (double)state->burst;
		}
		e->updated_ns = now_ns;
	}
}

static bool fl_full(const struct fl_state *state, const struct fl_entry *e)
{
	return e->tokens >= (double)state->burst;
}

static void fl_unlink_free(struct fl_state *state, struct fl_entry **link)
{
	struct fl_entry *e = *link;

	*link = e->next;
	mosquitto_free(e);
	state->entry_count--;
}

static bool fl_exempt(const struct fl_state *state, const struct mosquitto *client)
{
	const char *username = mosquitto_client_username(client);

	/* Device accounts are "{orgId}/{deviceId}": never exempt, whatever the org is called. */
	return username != NULL
		&& strncmp(username, state->exempt_prefix, state->exempt_prefix_len) == 0
		&& strchr(username, '/') == NULL;
}

/* ---- Revocation (plugin_opt_revoked_file) ---- */

static bool fl_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static char fl_hex_digit(unsigned v)
{
	return "0123456789abcdef"[v & 0xfu];
}

/* Appends hex digit C (already lowercase) to a canonical serial being built in OUT: leading zeros are skipped. */
static bool fl_serial_push(char *out, size_t *n, char c)
{
	if(*n == 0 && c == '0'){
		return true;
	}
	if(*n == FL_MAX_SERIAL_DIGITS){
		return false;
	}
	out[(*n)++] = c;
	return true;
}

static void fl_serial_end(char *out, size_t n)
{
	if(n == 0){
		out[n++] = '0';
	}
	out[n] = '\0';
}

/* The canonical form of a serial written as LEN hex digits (any case, leading zeros allowed): lowercase, without
 * leading zeros ("0" for zero). False if it is empty, not hex, or has more than FL_MAX_SERIAL_DIGITS significant
 * digits. */
static bool fl_serial_from_text(const char *text, size_t len, char out[FL_MAX_SERIAL_DIGITS + 1])
{
	size_t i;
	size_t n = 0;

	if(len == 0){
		return false;
	}
	for(i = 0; i < len; i++){
		char c = text[i];
		if(c >= 'A' && c <= 'F'){
			c = (char)(c - 'A' + 'a');
		}else if(!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))){
			return false;
		}
		if(!fl_serial_push(out, &n, c)){
			return false;
		}
	}
	fl_serial_end(out, n);
	return true;
}

/* The canonical serial of CERT (OpenSSL keeps an INTEGER's magnitude big-endian, its sign in the type). False if it
 * has none, a negative one, or one longer than any the revoked file can list: such a certificate cannot be checked. */
static bool fl_serial_from_cert(const X509 *cert, char out[FL_MAX_SERIAL_DIGITS + 1])
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
	const unsigned char *data;
	size_t n = 0;
	int len;
	int i;

	if(sn == NULL || ASN1_STRING_type(sn) != V_ASN1_INTEGER){
		return false;
	}
	data = ASN1_STRING_get0_data(sn);
	len = ASN1_STRING_length(sn);
	if(data == NULL || len < 0){
		return false;
	}
	for(i = 0; i < len; i++){
		if(!fl_serial_push(out, &n, fl_hex_digit(data[i] >> 4)) || !fl_serial_push(out, &n, fl_hex_digit(data[i]))){
			return false;
		}
	}
	fl_serial_end(out, n);
	return true;
}

static void fl_revoked_free(struct fl_revoked_set *set)
{
	size_t i;

	if(set->buckets){
		for(i = 0; i < set->bucket_count; i++){
			struct fl_revoked *r = set->buckets[i];
			while(r){
				struct fl_revoked *next = r->next;
				mosquitto_free(r);
				r = next;
			}
		}
		mosquitto_free(set->buckets);
	}
	set->buckets = NULL;
	set->bucket_count = 0;
	set->count = 0;
}

static const struct fl_revoked *fl_revoked_find(const struct fl_revoked_set *set, const char *serial, uint64_t hash)
{
	const struct fl_revoked *r;

	if(set->buckets == NULL){
		return NULL;
	}
	for(r = set->buckets[hash & (set->bucket_count - 1)]; r; r = r->next){
		if(r->hash == hash && strcmp(r->serial, serial) == 0){
			return r;
		}
	}
	return NULL;
}

static void fl_revoked_grow(struct fl_revoked_set *set)
{
	size_t new_count = set->bucket_count * 2;
	struct fl_revoked **new_buckets;
	size_t i;

	new_buckets = mosquitto_calloc(new_count, sizeof(*new_buckets));
	if(new_buckets == NULL){
		return; /* Longer chains, still correct. */
	}
	for(i = 0; i < set->bucket_count; i++){
		struct fl_revoked *r = set->buckets[i];
		while(r){
			struct fl_revoked *next = r->next;
			size_t slot = (size_t)(r->hash & (new_count - 1));
			r->next = new_buckets[slot];
			new_buckets[slot] = r;
			r = next;
		}
	}
	mosquitto_free(set->buckets);
	set->buckets = new_buckets;
	set->bucket_count = new_count;
}

static bool fl_revoked_add(struct fl_revoked_set *set, const char *serial, uint64_t hash, const char *username)
{
	size_t serial_len = strlen(serial);
	size_t username_len = strlen(username);
	struct fl_revoked *r;
	size_t slot;

	r = mosquitto_calloc(1, sizeof(*r) + serial_len + 1 + username_len + 1);
	if(r == NULL){
		return false;
	}
	memcpy(r->serial, serial, serial_len + 1);
	memcpy(r->serial + serial_len + 1, username, username_len + 1);
	r->username = r->serial + serial_len + 1;
	r->hash = hash;
	slot = (size_t)(hash & (set->bucket_count - 1));
	r->next = set->buckets[slot];
	set->buckets[slot] = r;
	set->count++;
	if(set->count > set->bucket_count){
		fl_revoked_grow(set);
	}
	return true;
}

/* One line of the revoked file (NUL-terminated, without its '\n'). NULL if it is fine, or why it is not. */
static const char *fl_revoked_parse_line(char *line, struct fl_revoked_set *set)
{
	char serial[FL_MAX_SERIAL_DIGITS + 1];
	const struct fl_revoked *existing;
	char *p = line;
	char *serial_start;
	char *username;
	char *username_end;
	size_t serial_len;
	uint64_t hash;

	while(fl_blank(*p)){
		p++;
	}
	if(*p == '\0' || *p == '#'){
		return NULL;
	}
	serial_start = p;
	while(*p != '\0' && !fl_blank(*p)){
		p++;
	}
	serial_len = (size_t)(p - serial_start);
	while(fl_blank(*p)){
		p++;
	}
	username = p;
	while(*p != '\0' && !fl_blank(*p)){
		if((unsigned char)*p < 0x20 || *p == 0x7f){
			return "a control character in the username";
		}
		p++;
	}
	username_end = p;
	while(fl_blank(*p)){
		p++;
	}
	if(username == username_end){
		return "no username after the serial";
	}
	if(*p != '\0'){
		return "more than two fields";
	}
	if((size_t)(username_end - username) > FL_MAX_USERNAME){
		return "a username longer than 1024 bytes";
	}
	*username_end = '\0';
	if(!fl_serial_from_text(serial_start, serial_len, serial)){
		return "a serial that is not a positive hexadecimal number of at most 40 significant digits";
	}
	hash = fl_hash(serial);
	existing = fl_revoked_find(set, serial, hash);
	if(existing){
		/* The same certificate twice is harmless; under two names, the writer is confused. */
		return strcmp(existing->username, username) == 0 ? NULL : "a serial listed again under another username";
	}
	if(!fl_revoked_add(set, serial, hash, username)){
		return "out of memory";
	}
	return NULL;
}

/* Reads PATH into SET (which must be empty). On failure logs at LEVEL why (the file and line number, not the line's
 * text), leaves SET empty and returns false. */
static bool fl_revoked_read(const char *path, struct fl_revoked_set *set, int level)
{
	FILE *f;
	char *line = NULL;
	size_t capacity = 0;
	ssize_t len;
	unsigned long line_no = 0;
	const char *problem = NULL;
	bool ended = true;

	set->bucket_count = FL_MIN_BUCKETS;
	set->buckets = mosquitto_calloc(set->bucket_count, sizeof(*set->buckets));
	if(set->buckets == NULL){
		mosquitto_log_printf(level, "fleetmfa_limits: out of memory reading the revoked file %s", path);
		return false;
	}
	f = fopen(path, "r");
	if(f == NULL){
		mosquitto_log_printf(level, "fleetmfa_limits: cannot open the revoked file %s: %s", path, strerror(errno));
		fl_revoked_free(set);
		return false;
	}
	errno = 0;
	while((len = getline(&line, &capacity, f)) != -1){
		line_no++;
		ended = len > 0 && line[len - 1] == '\n';
		if(ended){
			line[--len] = '\0';
		}
		if(strlen(line) != (size_t)len){
			problem = "a NUL byte";
		}else{
			problem = fl_revoked_parse_line(line, set);
		}
		if(problem){
			break;
		}
	}
	if(problem){
		mosquitto_log_printf(level, "fleetmfa_limits: the revoked file %s line %lu is malformed: %s", path, line_no, problem);
	}else if(ferror(f)){
		mosquitto_log_printf(level, "fleetmfa_limits: cannot read the revoked file %s: %s", path, strerror(errno ? errno : EIO));
		problem = "read error";
	}else if(!ended){
		mosquitto_log_printf(level, "fleetmfa_limits: the revoked file %s line %lu does not end with a newline (a truncated write?)", path, line_no);
		problem = "truncated";
	}
	free(line);
	fclose(f);
	if(problem){
		fl_revoked_free(set);
		return false;
	}
	return true;
}

/* SIGHUP: re-read the revoked file. On success the new set replaces the old one and every username in it that was
 * not in the last good set is kicked; on failure every non-exempt client is denied until a later reload succeeds. */
static int fl_on_reload(int event, void *event_data, void *userdata)
{
	struct fl_state *state = userdata;
	struct fl_revoked_set fresh = {0};
	size_t added = 0;
	size_t i;

	(void)event;
	(void)event_data;
	if(!fl_revoked_read(state->revoked_file, &fresh, MOSQ_LOG_WARNING)){
		if(state->revoked_ok){
			mosquitto_log_printf(MOSQ_LOG_WARNING,
					"fleetmfa_limits: the revoked file could not be read: denying every client except the exempt until a reload reads it");
		}
		state->revoked_ok = false;
		/* Not an error to Mosquitto: that would stop it from re-installing its own ACL file. */
		return MOSQ_ERR_PLUGIN_DEFER;
	}
	for(i = 0; i < fresh.bucket_count; i++){
		const struct fl_revoked *r;
		for(r = fresh.buckets[i]; r; r = r->next){
			if(fl_revoked_find(&state->revoked, r->serial, r->hash) == NULL){
				added++;
				mosquitto_kick_client_by_username(r->username, false);
			}
		}
	}
	fl_revoked_free(&state->revoked);
	state->revoked = fresh;
	if(!state->revoked_ok){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "fleetmfa_limits: the revoked file is readable again: no longer denying every client");
	}
	state->revoked_ok = true;
	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			"fleetmfa_limits: %zu revoked certificates from %s (%zu newly revoked: their usernames kicked)",
			state->revoked.count, state->revoked_file, added);
	return MOSQ_ERR_PLUGIN_DEFER;
}

static int fl_deny(struct fl_state *state, const struct mosquitto *client, uint64_t *counter)
{
	const char *username = mosquitto_client_username(client);

	(*counter)++;
	snprintf(state->last_denied, sizeof(state->last_denied), "%s", username ? username : "(no username)");
	return MOSQ_ERR_ACL_DENIED;
}

/* Every ACL check (subscribe, publish, each delivery): deny a revoked certificate, or any client that cannot be
 * checked; defer everything else to the ACL file. */
static int fl_on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *ed = event_data;
	struct fl_state *state = userdata;
	char serial[FL_MAX_SERIAL_DIGITS + 1];
	bool exempt;
	bool usable;
	X509 *cert;

	(void)event;
	if(ed->client == NULL){
		return MOSQ_ERR_ACL_DENIED;
	}
	exempt = fl_exempt(state, ed->client);
	if(!exempt && !state->revoked_ok){
		return fl_deny(state, ed->client, &state->denied_fail_closed);
	}
	cert = mosquitto_client_certificate(ed->client);
	if(cert == NULL && ed->client == state->leaving && state->leaving_has_serial){
		/* The will of a client being disconnected: judged by the certificate it had (see fl_remember_leaving). */
		memcpy(serial, state->leaving_serial, sizeof(serial));
		usable = true;
	}else if(cert == NULL){
		return exempt ? MOSQ_ERR_PLUGIN_DEFER : fl_deny(state, ed->client, &state->denied_no_cert);
	}else{
		usable = fl_serial_from_cert(cert, serial);
		X509_free(cert);
	}
	if(!usable){
		return exempt ? MOSQ_ERR_PLUGIN_DEFER : fl_deny(state, ed->client, &state->denied_no_cert);
	}
	if(fl_revoked_find(&state->revoked, serial, fl_hash(serial))){
		return fl_deny(state, ed->client, &state->denied_revoked);
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

static void fl_report_revocation(struct fl_state *state)
{
	uint64_t total = state->denied_revoked + state->denied_no_cert + state->denied_fail_closed;

	if(state->revoked_file == NULL){
		return;
	}
	if(!state->revoked_ok){
		mosquitto_log_printf(MOSQ_LOG_WARNING,
				"fleetmfa_limits: the revoked file %s could not be read at the last reload: still denying every client except the exempt",
				state->revoked_file);
	}
	if(total > 0){
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				"fleetmfa_limits: denied %" PRIu64 " operations: %" PRIu64 " by revoked certificates, %" PRIu64 " by clients without a usable certificate, %" PRIu64 " while the revoked file was unreadable; last from %s",
				total, state->denied_revoked, state->denied_no_cert, state->denied_fail_closed, state->last_denied);
		state->denied_revoked = 0;
		state->denied_no_cert = 0;
		state->denied_fail_closed = 0;
	}
}

static int fl_on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *ed = event_data;
	struct fl_state *state = userdata;
	const char *client_id;
	struct fl_entry **link;
	struct fl_entry *e;
	uint64_t hash;
	int64_t now_ns;
	size_t len;

	(void)event;
	if(ed->client == NULL || fl_exempt(state, ed->client)){
		return MOSQ_ERR_SUCCESS;
	}
	client_id = mosquitto_client_id(ed->client);
	if(client_id == NULL){
		return MOSQ_ERR_SUCCESS;
	}

	now_ns = fl_now_ns();
	hash = fl_hash(client_id);
	link = fl_find(state, client_id, hash);
	e = *link;
	if(e == NULL){
		len = strlen(client_id);
		e = mosquitto_calloc(1, sizeof(*e) + len + 1);
		if(e == NULL){
			/* Out of memory: deny rather than let the client through unlimited. */
			return MOSQ_ERR_ACL_DENIED;
		}
		memcpy(e->client_id, client_id, len + 1);
		e->hash = hash;
		e->tokens = (double)state->burst;
		e->updated_ns = now_ns;
		*link = e;
		state->entry_count++;
		if(state->entry_count > state->bucket_count){
			fl_grow(state);
		}
	}else{
		fl_refill(state, e, now_ns);
	}

	if(e->tokens >= 1.0){
		e->tokens -= 1.0;
		return MOSQ_ERR_SUCCESS;
	}
	if(e->dropped_in_interval++ == 0){
		state->clients_in_interval++;
	}
	state->dropped_in_interval++;
	state->dropped_total++;
	return MOSQ_ERR_ACL_DENIED;
}

/* Remembers the serial of the client being disconnected, for its will's ACL check (struct fl_state, leaving). */
static void fl_remember_leaving(struct fl_state *state, const struct mosquitto *client)
{
	X509 *cert = mosquitto_client_certificate(client);

	state->leaving = client;
	state->leaving_has_serial = cert != NULL && fl_serial_from_cert(cert, state->leaving_serial);
	if(cert != NULL){
		X509_free(cert);
	}
}

static int fl_on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *ed = event_data;
	struct fl_state *state = userdata;
	const char *client_id;
	struct fl_entry **link;

	(void)event;
	if(ed->client == NULL){
		return MOSQ_ERR_SUCCESS;
	}
	fl_remember_leaving(state, ed->client);
	client_id = mosquitto_client_id(ed->client);
	if(client_id == NULL){
		return MOSQ_ERR_SUCCESS;
	}
	link = fl_find(state, client_id, fl_hash(client_id));
	if(*link){
		fl_refill(state, *link, fl_now_ns());
		/* A client that leaves with tokens still owed (or with drops not yet reported) keeps its entry: the sweep
		 * frees it once it has refilled, so reconnecting does not reset the limit. */
		if(fl_full(state, *link) && (*link)->dropped_in_interval == 0){
			fl_unlink_free(state, link);
		}
	}
	return MOSQ_ERR_SUCCESS;
}

/* Frees refilled entries, clears the interval's per-client counts, and names the client that had the most drops. */
static void fl_sweep(struct fl_state *state, int64_t now_ns, char *worst, size_t worst_size, uint64_t *worst_dropped)
{
	size_t i;

	*worst_dropped = 0;
	worst[0] = '\0';
	for(i = 0; i < state->bucket_count; i++){
		struct fl_entry **link = &state->buckets[i];
		while(*link){
			struct fl_entry *e = *link;
			if(e->dropped_in_interval > *worst_dropped){
				*worst_dropped = e->dropped_in_interval;
				snprintf(worst, worst_size, "%s", e->client_id);
			}
			e->dropped_in_interval = 0;
			fl_refill(state, e, now_ns);
			if(fl_full(state, e)){
				fl_unlink_free(state, link);
			}else{
				link = &e->next;
			}
		}
	}
}

static int fl_on_tick(int event, void *event_data, void *userdata)
{
	struct fl_state *state = userdata;
	int64_t now_ns = fl_now_ns();
	char worst[128];
	uint64_t worst_dropped;
	char total[32];
	int total_len;

	(void)event;
	(void)event_data;
	if(now_ns < state->next_report_ns){
		return MOSQ_ERR_SUCCESS;
	}
	state->next_report_ns = now_ns + FL_REPORT_INTERVAL_NS;

	fl_sweep(state, now_ns, worst, sizeof(worst), &worst_dropped);
	if(state->dropped_in_interval > 0){
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				"fleetmfa_limits: dropped %" PRIu64 " messages from %" PRIu64 " clients over the rate limit (%g/s, burst %ld); most from %s (%" PRIu64 ")",
				state->dropped_in_interval, state->clients_in_interval, state->rate, state->burst, worst, worst_dropped);
		state->dropped_in_interval = 0;
		state->clients_in_interval = 0;
	}
	fl_report_revocation(state);
	if(!state->published || state->published_total != state->dropped_total){
		total_len = snprintf(total, sizeof(total), "%" PRIu64, state->dropped_total);
		if(mosquitto_broker_publish_copy(NULL, FL_DROPPED_TOPIC, total_len, total, 0, true, NULL) == MOSQ_ERR_SUCCESS){
			state->published_total = state->dropped_total;
			state->published = true;
		}
	}
	return MOSQ_ERR_SUCCESS;
}

static void fl_free_state(struct fl_state *state)
{
	size_t i;

	if(state == NULL){
		return;
	}
	if(state->buckets){
		for(i = 0; i < state->bucket_count; i++){
			struct fl_entry *e = state->buckets[i];
			while(e){
				struct fl_entry *next = e->next;
				mosquitto_free(e);
				e = next;
			}
		}
		mosquitto_free(state->buckets);
	}
	fl_revoked_free(&state->revoked);
	mosquitto_free(state->revoked_file);
	mosquitto_free(state->exempt_prefix);
	mosquitto_free(state);
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	int i;

	for(i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == FL_PLUGIN_VERSION){
			return FL_PLUGIN_VERSION;
		}
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options, int option_count)
{
	struct fl_state *state;
	const char *exempt_prefix = FL_DEFAULT_EXEMPT_PREFIX;
	const char *revoked_file = NULL;
	int i;
	int rc;

	state = mosquitto_calloc(1, sizeof(*state));
	if(state == NULL){
		return MOSQ_ERR_NOMEM;
	}
	state->identifier = identifier;
	state->rate = FL_DEFAULT_RATE;
	state->burst = FL_DEFAULT_BURST;

	for(i = 0; i < option_count; i++){
		const char *key = options[i].key;
		const char *value = options[i].value ? options[i].value : "";
		if(strcmp(key, "rate") == 0){
			if(!fl_parse_rate(value, &state->rate)){
				mosquitto_log_printf(MOSQ_LOG_ERR,
						"fleetmfa_limits: plugin_opt_rate \"%s\" is not a number of messages per second in (0, %g]; refusing to start without the limit",
						value, FL_MAX_RATE);
				fl_free_state(state);
				return MOSQ_ERR_INVAL;
			}
		}else if(strcmp(key, "burst") == 0){
			if(!fl_parse_burst(value, &state->burst)){
				mosquitto_log_printf(MOSQ_LOG_ERR,
						"fleetmfa_limits: plugin_opt_burst \"%s\" is not a whole number of messages in [1, %ld]; refusing to start without the limit",
						value, FL_MAX_BURST);
				fl_free_state(state);
				return MOSQ_ERR_INVAL;
			}
		}else if(strcmp(key, "exempt_prefix") == 0){
			if(value[0] == '\0'){
				mosquitto_log_printf(MOSQ_LOG_ERR, "fleetmfa_limits: plugin_opt_exempt_prefix is empty; refusing to start");
				fl_free_state(state);
				return MOSQ_ERR_INVAL;
			}
			exempt_prefix = value;
		}else if(strcmp(key, "revoked_file") == 0){
			if(value[0] == '\0'){
				mosquitto_log_printf(MOSQ_LOG_ERR, "fleetmfa_limits: plugin_opt_revoked_file is empty; refusing to start");
				fl_free_state(state);
				return MOSQ_ERR_INVAL;
			}
			revoked_file = value;
		}else{
			/* In Mosquitto 2.0 a plugin_opt_ line belongs to the plugin line above it: an unknown key is a typo. */
			mosquitto_log_printf(MOSQ_LOG_ERR,
					"fleetmfa_limits: unknown option plugin_opt_%s (known: rate, burst, exempt_prefix, revoked_file); refusing to start", key);
			fl_free_state(state);
			return MOSQ_ERR_INVAL;
		}
	}

	state->exempt_prefix = mosquitto_strdup(exempt_prefix);
	state->exempt_prefix_len = strlen(exempt_prefix);
	state->bucket_count = FL_MIN_BUCKETS;
	state->buckets = mosquitto_calloc(state->bucket_count, sizeof(*state->buckets));
	if(state->exempt_prefix == NULL || state->buckets == NULL){
		fl_free_state(state);
		return MOSQ_ERR_NOMEM;
	}
	state->next_report_ns = fl_now_ns() + FL_REPORT_INTERVAL_NS;
	if(revoked_file){
		state->revoked_file = mosquitto_strdup(revoked_file);
		if(state->revoked_file == NULL){
			fl_free_state(state);
			return MOSQ_ERR_NOMEM;
		}
		if(!fl_revoked_read(state->revoked_file, &state->revoked, MOSQ_LOG_ERR)){
			mosquitto_log_printf(MOSQ_LOG_ERR, "fleetmfa_limits: refusing to start without the revoked certificates");
			fl_free_state(state);
			return MOSQ_ERR_INVAL;
		}
		state->revoked_ok = true;
	}

	rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, fl_on_message, NULL, state);
	if(rc == MOSQ_ERR_SUCCESS){
		rc = mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, fl_on_disconnect, NULL, state);
	}
	if(rc == MOSQ_ERR_SUCCESS){
		rc = mosquitto_callback_register(identifier, MOSQ_EVT_TICK, fl_on_tick, NULL, state);
	}
	if(rc == MOSQ_ERR_SUCCESS && state->revoked_file){
		/* Registered before Mosquitto's own ACL file check (it registers after the plugins' init), so it runs first. */
		rc = mosquitto_callback_register(identifier, MOSQ_EVT_ACL_CHECK, fl_on_acl_check, NULL, state);
		if(rc == MOSQ_ERR_SUCCESS){
			rc = mosquitto_callback_register(identifier, MOSQ_EVT_RELOAD, fl_on_reload, NULL, state);
		}
	}
	if(rc != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "fleetmfa_limits: registering callbacks failed (%d); refusing to start", rc);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_MESSAGE, fl_on_message, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_DISCONNECT, fl_on_disconnect, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_TICK, fl_on_tick, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_ACL_CHECK, fl_on_acl_check, NULL);
		fl_free_state(state);
		return rc;
	}

	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			"fleetmfa_limits: %g messages/s per client, burst %ld; exempt: usernames starting with \"%s\" (no '/')",
			state->rate, state->burst, state->exempt_prefix);
	if(state->revoked_file){
		mosquitto_log_printf(MOSQ_LOG_NOTICE,
				"fleetmfa_limits: %zu revoked certificates from %s; clients without a client certificate are denied (except the exempt)",
				state->revoked.count, state->revoked_file);
	}
	*userdata = state;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	struct fl_state *state = userdata;

	(void)options;
	(void)option_count;
	if(state){
		mosquitto_callback_unregister(state->identifier, MOSQ_EVT_MESSAGE, fl_on_message, NULL);
		mosquitto_callback_unregister(state->identifier, MOSQ_EVT_DISCONNECT, fl_on_disconnect, NULL);
		mosquitto_callback_unregister(state->identifier, MOSQ_EVT_TICK, fl_on_tick, NULL);
		if(state->revoked_file){
			mosquitto_callback_unregister(state->identifier, MOSQ_EVT_ACL_CHECK, fl_on_acl_check, NULL);
			mosquitto_callback_unregister(state->identifier, MOSQ_EVT_RELOAD, fl_on_reload, NULL);
		}
		fl_free_state(state);
	}
	return MOSQ_ERR_SUCCESS;
}
