/*
 * config.c - load and validate support-milter.conf (include/sm_config.h,
 * SPEC section 3, support-milter.conf(5)).
 *
 * The file is a GLib key file. Every section kind has a table of keys with
 * types and defaults (config_keys.c). Values are read raw (no GKeyFile
 * escapes: a "\n" in a value must never become a newline in a header). Each
 * problem becomes one line "FILE: [section] key: message" in the caller's
 * errors array and loading goes on, so an admin sees every mistake at once;
 * the result is then NULL. Cross-checks (references between sections, unique
 * queue addresses, the secret) run after all sections are read.
 *
 * A loaded sm_config is immutable and reference-counted; the process-wide
 * current one is swapped under a mutex (sm_config_set_current).
 */
#include <config.h>

#include <stddef.h>
#include <pwd.h>
#include <string.h>

#include <glib.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_util.h"
#include "config_int.h"

#define SECRET_MIN	32

/* ------------------------------------------------------------ life cycle */

static void
queue_free(gpointer p)
{
	sm_queue *q = p;

	g_free(q->name);
	g_strfreev(q->addresses);
	g_free(q->display_name);
	g_free(q->tag);
	g_strfreev(q->agents);
	sm_escalation_clear(q);
	g_free(q->sla_name);
	g_free(q->language);
	g_strfreev(q->vip);
	g_strfreev(q->urgent_keywords);
	g_free(q);
}

static void
sla_free(gpointer p)
{
	sm_sla *s = p;

	g_free(s->name);
	g_free(s->calendar_name);
	g_free(s);
}

static void
calendar_free(gpointer p)
{
	sm_calendar_free(p);
}

static void
report_free(gpointer p)
{
	sm_report *r = p;

	g_free(r->name);
	g_strfreev(r->to);
	g_strfreev(r->queues);
	g_free(r->calendar_name);
	g_free(r->language);
	g_free(r);
}

static void
config_free(sm_config *cfg)
{
	g_free(cfg->path);
	g_free(cfg->socket);
	g_free(cfg->user);
	sm_cidr_list_clear(&cfg->trusted_networks);
	g_free(cfg->authserv_id);
	g_free(cfg->redis_address);
	g_free(cfg->redis_password);
	g_free(cfg->key_prefix);
	g_strfreev(cfg->sentinels);
	g_free(cfg->sentinel_master);
	g_free(cfg->sendmail);
	g_free(cfg->smtp);
	g_free(cfg->metrics_listen);
	g_free(cfg->hostname);
	g_free(cfg->templates);
	g_free(cfg->secret_file);
	if (cfg->secret != NULL)
		g_bytes_unref(cfg->secret);
	g_ptr_array_unref(cfg->queues);
	g_ptr_array_unref(cfg->slas);
	g_ptr_array_unref(cfg->calendars);
	g_ptr_array_unref(cfg->reports);
	g_free(cfg);
}

sm_config *
sm_config_ref(sm_config *cfg)
{
	if (cfg != NULL)
		g_atomic_int_inc(&cfg->refcount);
	return cfg;
}

void
sm_config_unref(sm_config *cfg)
{
	if (cfg != NULL && g_atomic_int_dec_and_test(&cfg->refcount))
		config_free(cfg);
}

/* ---------------------------------------------------------------- loading */

/* Section names end up in Redis keys, JSON and file names: keep them plain. */
static bool
good_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return n > 0 && n <= 64 && s[n] == '\0' && s[0] != '.';
}

static void
read_queue(struct cfg_ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	sm_queue *q = g_new0(sm_queue, 1);

	q->name = g_strdup(group + strlen("queue:"));
	cfg_read_section(c, kf, group, CFG_QUEUE, q);
	if (q->display_name == NULL)
		q->display_name = g_strdup(q->name);
	if (q->tag == NULL) {
		q->tag = g_strdup(q->name);
		q->tag[0] = g_ascii_toupper(q->tag[0]);
	}
	g_ptr_array_add(cfg->queues, q);
}

static void
read_sla(struct cfg_ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	sm_sla *s = g_new0(sm_sla, 1);

	s->name = g_strdup(group + strlen("sla:"));
	cfg_read_section(c, kf, group, CFG_SLA, s);
	g_ptr_array_add(cfg->slas, s);
}

static void
read_calendar(struct cfg_ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	struct cal_raw raw = { NULL, NULL, NULL };
	const char *name = group + strlen("calendar:");
	sm_calendar *cal;
	char *err = NULL, *colon;
	int before = c->nerr;

	cfg_read_section(c, kf, group, CFG_CALENDAR, &raw);
	if (c->nerr == before) {
		cal = sm_calendar_new(name, raw.timezone, raw.hours, raw.holidays, &err);
		if (cal != NULL)
			g_ptr_array_add(cfg->calendars, cal);
		else if (err != NULL && (colon = strstr(err, ": ")) != NULL &&
		    (g_str_has_prefix(err, "timezone:") ||
		    g_str_has_prefix(err, "hours:") ||
		    g_str_has_prefix(err, "holidays:"))) {
			*colon = '\0';
			cfg_error(c, group, err, "%s", colon + 2);
		} else
			cfg_error(c, group, NULL, "%s", err ? err : "bad calendar");
		g_free(err);
	}
	g_free(raw.timezone);
	g_free(raw.hours);
	g_free(raw.holidays);
}

static void
read_report(struct cfg_ctx *c, GKeyFile *kf, const char *group, sm_config *cfg)
{
	sm_report *r = g_new0(sm_report, 1);

	r->name = g_strdup(group + strlen("report:"));
	cfg_read_section(c, kf, group, CFG_REPORT, r);
	g_ptr_array_add(cfg->reports, r);
}

static const sm_sla *
sla_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; i < cfg->slas->len; i++) {
		const sm_sla *s = g_ptr_array_index(cfg->slas, i);

		if (strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static const sm_calendar *
calendar_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; i < cfg->calendars->len; i++) {
		const sm_calendar *cal = g_ptr_array_index(cfg->calendars, i);

		if (strcmp(sm_calendar_name(cal), name) == 0)
			return cal;
	}
	return NULL;
}

/* References between sections, unique queue addresses. A reference to a
 * section that exists but had errors is not reported again. */
static void
cross_check(struct cfg_ctx *c, GKeyFile *kf, sm_config *cfg)
{
	GHashTable *owner;
	char *group;
	guint i;
	char **a;

	if (cfg->queues->len == 0)
		cfg_error(c, NULL, NULL, "no [queue:NAME] section: at least one "
		    "queue is required");
	for (i = 0; i < cfg->slas->len; i++) {
		sm_sla *s = g_ptr_array_index(cfg->slas, i);

		if (s->calendar_name == NULL ||
		    strcmp(s->calendar_name, "always") == 0)
			continue;
		s->calendar = calendar_by_name(cfg, s->calendar_name);
		group = g_strconcat("calendar:", s->calendar_name, NULL);
		if (!g_key_file_has_group(kf, group)) {
			char *sec = g_strconcat("sla:", s->name, NULL);

			cfg_error(c, sec, "calendar", "no section [%s] (or use "
			    "'always' for wall-clock time)", group);
			g_free(sec);
		}
		g_free(group);
	}
	owner = g_hash_table_new(g_str_hash, g_str_equal);
	for (i = 0; i < cfg->queues->len; i++) {
		sm_queue *q = g_ptr_array_index(cfg->queues, i);
		char *sec = g_strconcat("queue:", q->name, NULL);

		if (q->sla_name != NULL) {
			q->sla = sla_by_name(cfg, q->sla_name);
			group = g_strconcat("sla:", q->sla_name, NULL);
			if (q->sla == NULL)
				cfg_error(c, sec, "sla", "no section [%s]", group);
			g_free(group);
		}
		for (a = q->addresses; a && *a; a++) {
			const sm_queue *o = g_hash_table_lookup(owner, *a);

			if (o == q)
				cfg_error(c, sec, "address", "'%s' is listed twice", *a);
			else if (o != NULL)
				cfg_error(c, sec, "address", "'%s' is already an "
				    "address of [queue:%s]", *a, o->name);
			else
				g_hash_table_insert(owner, *a, q);
		}
		g_free(sec);
	}
	g_hash_table_destroy(owner);
	for (i = 0; i < cfg->reports->len; i++) {
		sm_report *r = g_ptr_array_index(cfg->reports, i);
		char *sec = g_strconcat("report:", r->name, NULL);

		for (a = r->queues; a && *a; a++) {
			group = g_strconcat("queue:", *a, NULL);
			if (!g_key_file_has_group(kf, group))
				cfg_error(c, sec, "queues", "no section [%s]", group);
			g_free(group);
		}
		if (r->calendar_name != NULL && strcmp(r->calendar_name, "always") != 0) {
			r->calendar = calendar_by_name(cfg, r->calendar_name);
			group = g_strconcat("calendar:", r->calendar_name, NULL);
			if (!g_key_file_has_group(kf, group))
				cfg_error(c, sec, "calendar", "no section [%s] (or leave it "
				    "out for UTC)", group);
			g_free(group);
		}
		g_free(sec);
	}
}

static void
read_secret(struct cfg_ctx *c, sm_config *cfg)
{
	GError *gerr = NULL;
	char *data;
	gsize len;

	if (!g_file_get_contents(cfg->secret_file, &data, &len, &gerr)) {
		cfg_error(c, "mail", "secret_file", "%s", gerr->message);
		g_error_free(gerr);
		return;
	}
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len < SECRET_MIN) {
		cfg_error(c, "mail", "secret_file", "%s: the secret must be at "
		    "least %d bytes (it has %zu); e.g. head -c 48 /dev/urandom "
		    "| base64 > FILE", cfg->secret_file, SECRET_MIN, (size_t)len);
		memset(data, 0, len);
		g_free(data);
		return;
	}
	cfg->secret = g_bytes_new_take(data, len);
}

sm_config *
sm_config_load(const char *path, bool check_secret, GPtrArray *errors)
{
	static const struct { const char *name; enum cfg_section kind; } globals[] = {
		{ "milter", CFG_MILTER }, { "redis", CFG_REDIS },
		{ "mail", CFG_MAIL }, { "timers", CFG_TIMERS },
		{ "metrics", CFG_METRICS },
	};
	struct cfg_ctx c;
	GKeyFile *kf;
	GError *gerr = NULL;
	sm_config *cfg;
	char **groups, **g;
	const char *colon;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.path = path;
	c.errors = errors ? g_ptr_array_ref(errors) :
	    g_ptr_array_new_with_free_func(g_free);
	kf = g_key_file_new();
	if (!g_key_file_load_from_file(kf, path,
	    G_KEY_FILE_KEEP_TRANSLATIONS, &gerr)) {
		cfg_error(&c, NULL, NULL, "%s", gerr->message);
		g_error_free(gerr);
		g_key_file_free(kf);
		g_ptr_array_unref(c.errors);
		return NULL;
	}
	c.dir = g_path_get_dirname(path);

	cfg = g_new0(sm_config, 1);
	cfg->refcount = 1;
	{
		static gint serials;

		cfg->serial = (guint)g_atomic_int_add(&serials, 1) + 1;
	}
	cfg->path = g_strdup(path);
	cfg->queues = g_ptr_array_new_with_free_func(queue_free);
	cfg->slas = g_ptr_array_new_with_free_func(sla_free);
	cfg->calendars = g_ptr_array_new_with_free_func(calendar_free);
	cfg->reports = g_ptr_array_new_with_free_func(report_free);

	/* Global sections first (present or not: their defaults apply),
	 * then the named ones in file order. */
	for (i = 0; i < G_N_ELEMENTS(globals); i++)
		cfg_read_section(&c, kf, globals[i].name, globals[i].kind, cfg);
	if (cfg->hostname == NULL)
		cfg->hostname = g_strdup(g_get_host_name());

	groups = g_key_file_get_groups(kf, NULL);
	for (g = groups; *g != NULL; g++) {
		for (i = 0; i < G_N_ELEMENTS(globals); i++)
			if (strcmp(*g, globals[i].name) == 0)
				break;
		if (i < G_N_ELEMENTS(globals))
			continue;
		colon = strchr(*g, ':');
		if (colon != NULL && !good_name(colon + 1)) {
			cfg_error(&c, *g, NULL, "bad section name (letters, digits, "
			    "'_', '-' and '.' after the colon)");
		} else if (g_str_has_prefix(*g, "queue:"))
			read_queue(&c, kf, *g, cfg);
		else if (g_str_has_prefix(*g, "sla:"))
			read_sla(&c, kf, *g, cfg);
		else if (g_str_has_prefix(*g, "calendar:"))
			read_calendar(&c, kf, *g, cfg);
		else if (g_str_has_prefix(*g, "report:"))
			read_report(&c, kf, *g, cfg);
		else
			cfg_error(&c, *g, NULL, "unknown section");
	}
	g_strfreev(groups);

	cross_check(&c, kf, cfg);
	if (check_secret && cfg->secret_file != NULL)
		read_secret(&c, cfg);
	/* what the daemon will need of this machine: the user to switch to */
	if (check_secret && cfg->user != NULL && getpwnam(cfg->user) == NULL)
		cfg_error(&c, "milter", "user", "no such user '%s'", cfg->user);

	g_key_file_free(kf);
	g_free(c.dir);
	g_ptr_array_unref(c.errors);
	if (c.nerr > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* ---------------------------------------------------------------- lookups */

/*
 * The address an MTA may route a recipient to on its own: Postfix's
 * defaults (allow_percent_hack, swap_bangpath) deliver "user%dom@local"
 * and "dom!user@local" as user@dom. NULL when addr has neither form.
 * Mail in those forms to a queue address must not reach the support
 * mailbox past the gateway.
 */
static char *
routed_form(const char *addr)
{
	const char *at = strrchr(addr, '@'), *pct, *bang;

	if (at == NULL)
		return NULL;
	pct = g_strrstr_len(addr, at - addr, "%");
	if (pct != NULL && pct > addr && pct + 1 < at)
		return g_strdup_printf("%.*s@%.*s", (int)(pct - addr), addr,
		    (int)(at - pct - 1), pct + 1);
	bang = memchr(addr, '!', (size_t)(at - addr));
	if (bang != NULL && bang > addr && bang + 1 < at)
		return g_strdup_printf("%.*s@%.*s", (int)(at - bang - 1), bang + 1,
		    (int)(bang - addr), addr);
	return NULL;
}

static const sm_queue *queue_for_addr(const sm_config *cfg, const char *addr,
    char **detail_out);

/*
 * The queue a recipient belongs to, from the address as the client wrote
 * it (sm_addr_normalize: <>, source route, quotes, case, trailing dot),
 * its +detail, or the form the MTA would route it to (routed_form).
 */
const sm_queue *
sm_config_queue_for_rcpt(const sm_config *cfg, const char *rcpt,
    char **detail_out)
{
	char *addr, *alt;
	const sm_queue *q;

	if (detail_out != NULL)
		*detail_out = NULL;
	if (cfg == NULL || (addr = sm_addr_normalize(rcpt)) == NULL)
		return NULL;
	q = queue_for_addr(cfg, addr, detail_out);
	if (q == NULL && (alt = routed_form(addr)) != NULL) {
		q = queue_for_addr(cfg, alt, detail_out);
		g_free(alt);
	}
	g_free(addr);
	return q;
}

static const sm_queue *
queue_for_addr(const sm_config *cfg, const char *addr, char **detail_out)
{
	char *local = NULL, *detail = NULL, *domain = NULL, *base = NULL;
	const sm_queue *found = NULL;
	guint i;

	/* Queue addresses never contain '+' (config check), so the exact
	 * form and the plus form cannot both match different queues. */
	if (sm_addr_split(addr, &local, &detail, &domain) && detail != NULL)
		base = g_strdup_printf("%s@%s", local, domain);
	for (i = 0; i < cfg->queues->len && found == NULL; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);

		if (g_strv_contains((const char *const *)q->addresses, addr))
			found = q;
		else if (base != NULL &&
		    g_strv_contains((const char *const *)q->addresses, base)) {
			found = q;
			if (detail_out != NULL) {
				*detail_out = detail;
				detail = NULL;
			}
		}
	}
	g_free(local);
	g_free(detail);
	g_free(domain);
	g_free(base);
	return found;
}

const sm_queue *
sm_config_queue_by_name(const sm_config *cfg, const char *name)
{
	guint i;

	for (i = 0; cfg != NULL && name != NULL && i < cfg->queues->len; i++) {
		const sm_queue *q = g_ptr_array_index(cfg->queues, i);

		if (strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

bool
sm_queue_is_agent(const sm_queue *q, const char *addr)
{
	return q != NULL && addr != NULL && sm_addr_match_list(q->agents, addr);
}

bool
sm_config_is_any_agent(const sm_config *cfg, const char *addr)
{
	guint i;

	for (i = 0; cfg != NULL && i < cfg->queues->len; i++)
		if (sm_queue_is_agent(g_ptr_array_index(cfg->queues, i), addr))
			return true;
	return false;
}

/* ----------------------------------------------------- the current config */

static GMutex current_lock;
static sm_config *current;

/* Takes its own reference: the caller keeps (and eventually drops) its own.
 * The previous configuration lives on until its last message lets go. */
void
sm_config_set_current(sm_config *cfg)
{
	sm_config *old;

	sm_config_ref(cfg);
	g_mutex_lock(&current_lock);
	old = current;
	current = cfg;
	g_mutex_unlock(&current_lock);
	sm_config_unref(old);
}

sm_config *
sm_config_current(void)
{
	sm_config *cfg;

	g_mutex_lock(&current_lock);
	cfg = sm_config_ref(current);
	g_mutex_unlock(&current_lock);
	return cfg;
}
