/*
 * fleetmfa_limits: a per-client message rate limit for Mosquitto 2.0 (plugin API version 5).
 *
 * Mosquitto 2.0 limits a packet's size (max_packet_size) and a client's queue (max_queued_messages/_bytes), but not
 * how many messages a client may publish per second: one misbehaving device could push thousands of reports a
 * second at the silos' bridge. This plugin gives every client id a token bucket — `rate` messages per second, up to
 * `burst` at once — and drops each PUBLISH over it the way an ACL denial does (a QoS 1 sender gets a PUBACK
 * "not authorized" and does not resend; the client stays connected). The silos' bridge accounts, which publish
 * every device's desired state, are exempt.
 *
 *   plugin /usr/lib/fleetmfa/fleetmfa_limits.so
 *   plugin_opt_rate 10                        messages per second per client (a decimal > 0; default 10)
 *   plugin_opt_burst 50                       messages a client may send at once after being quiet (default 50)
 *   plugin_opt_exempt_prefix fleetmfa-bridge  usernames starting with it and without a '/' are not limited
 *
 * A bad or unknown option fails the plugin's init, so Mosquitto refuses to start: never silently unlimited. The
 * options are read at start-up only (a SIGHUP reload does not re-read them; restart the broker to change them).
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
 * Build (deploy/mosquitto/plugin/build.sh): gcc -O2 -Wall -Wextra -Werror -fPIC -shared, against mosquitto-dev.
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

struct fl_entry {
	struct fl_entry *next;
	uint64_t hash;
	int64_t updated_ns;
	double tokens;
	uint64_t dropped_in_interval;
	char client_id[];
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
		}else{
			/* In Mosquitto 2.0 a plugin_opt_ line belongs to the plugin line above it: an unknown key is a typo. */
			mosquitto_log_printf(MOSQ_LOG_ERR,
					"fleetmfa_limits: unknown option plugin_opt_%s (known: rate, burst, exempt_prefix); refusing to start", key);
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

	rc = mosquitto_callback_register(identifier, MOSQ_EVT_MESSAGE, fl_on_message, NULL, state);
	if(rc == MOSQ_ERR_SUCCESS){
		rc = mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, fl_on_disconnect, NULL, state);
	}
	if(rc == MOSQ_ERR_SUCCESS){
		rc = mosquitto_callback_register(identifier, MOSQ_EVT_TICK, fl_on_tick, NULL, state);
	}
	if(rc != MOSQ_ERR_SUCCESS){
		mosquitto_log_printf(MOSQ_LOG_ERR, "fleetmfa_limits: registering callbacks failed (%d); refusing to start", rc);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_MESSAGE, fl_on_message, NULL);
		mosquitto_callback_unregister(identifier, MOSQ_EVT_DISCONNECT, fl_on_disconnect, NULL);
		fl_free_state(state);
		return rc;
	}

	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			"fleetmfa_limits: %g messages/s per client, burst %ld; exempt: usernames starting with \"%s\" (no '/')",
			state->rate, state->burst, state->exempt_prefix);
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
		fl_free_state(state);
	}
	return MOSQ_ERR_SUCCESS;
}
