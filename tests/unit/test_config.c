/*
 * test_config.c - unit tests for milter/config.c: the sample configuration,
 * the SPEC section 3 example, defaults, lookups, and every class of error
 * with its exact "FILE: [section] key:" prefix.
 *
 * Fixtures live in $top_srcdir/tests/unit/data/config (make check sets
 * top_srcdir; run by hand from the source tree, "." is assumed). Secret
 * files and rewritten configurations are made in a private temp directory.
 */
#include <config.h>

#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sm_config.h"
#include "sm_log.h"

static char *tmpdir;

static char *
srcpath(const char *rel)
{
	const char *top = g_getenv("top_srcdir");

	return g_build_filename(top ? top : ".", rel, NULL);
}

static char *
fixture(const char *name)
{
	char *rel = g_build_filename("tests/unit/data/config", name, NULL);
	char *p = srcpath(rel);

	g_free(rel);
	return p;
}

/* Write contents to tmpdir/name; returns the path. */
static char *
write_tmp(const char *name, const char *contents, gssize len)
{
	char *p = g_build_filename(tmpdir, name, NULL);

	g_assert_true(g_file_set_contents(p, contents, len, NULL));
	return p;
}

static void
dump(GPtrArray *errors)
{
	guint i;

	for (i = 0; i < errors->len; i++)
		g_test_message("config error: %s", (char *)errors->pdata[i]);
}

/* Load path expecting failure with a line starting "PATH: " + prefix. */
static void
expect_error(const char *path, bool check_secret, const char *prefix)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *want = g_strdup_printf("%s: %s", path, prefix);
	sm_config *cfg;
	bool found = false;
	guint i;

	cfg = sm_config_load(path, check_secret, errors);
	dump(errors);
	g_assert_null(cfg);
	g_assert_cmpuint(errors->len, >=, 1);
	for (i = 0; i < errors->len; i++) {
		const char *e = errors->pdata[i];

		g_assert_null(strchr(e, '\n'));
		if (g_str_has_prefix(e, want))
			found = true;
	}
	if (!found)
		g_test_message("wanted an error starting: %s", want);
	g_assert_true(found);
	g_free(want);
	g_ptr_array_unref(errors);
}

static void
expect_fixture_error(const char *name, const char *prefix)
{
	char *p = fixture(name);

	expect_error(p, false, prefix);
	g_free(p);
}

static sm_config *
load_ok(const char *path, bool check_secret)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	sm_config *cfg = sm_config_load(path, check_secret, errors);

	dump(errors);
	g_assert_cmpuint(errors->len, ==, 0);
	g_assert_nonnull(cfg);
	g_ptr_array_unref(errors);
	return cfg;
}

static char *
make_secret(const char *name, const char *contents)
{
	return write_tmp(name, contents, -1);
}

static void
test_sample(void)
{
	char *p = srcpath("conf/support-milter.conf"), *text, *secret, *copy;
	char *line, *rewritten;
	sm_config *cfg;
	GRegex *re;

	cfg = load_ok(p, false);
	g_assert_null(cfg->secret);
	g_assert_cmpuint(cfg->queues->len, ==, 1);
	sm_config_unref(cfg);

	/* with a secret: point secret_file at a temp file */
	g_assert_true(g_file_get_contents(p, &text, NULL, NULL));
	secret = make_secret("sample-secret",
	    "0123456789abcdef0123456789abcdef0123456789\n");
	line = g_strdup_printf("secret_file = %s", secret);
	re = g_regex_new("^secret_file = .*$", G_REGEX_MULTILINE, 0, NULL);
	rewritten = g_regex_replace_literal(re, text, -1, 0, line, 0, NULL);
	g_assert_cmpstr(rewritten, !=, text);
	copy = write_tmp("sample.conf", rewritten, -1);
	cfg = load_ok(copy, true);
	g_assert_nonnull(cfg->secret);
	g_assert_cmpuint(g_bytes_get_size(cfg->secret), ==, 42);	/* less \n */
	sm_config_unref(cfg);
	g_regex_unref(re);
	g_free(line);
	g_free(rewritten);
	g_free(copy);
	g_free(secret);
	g_free(text);
	g_free(p);
}

static void
test_spec_example(void)
{
	char *p = fixture("spec-example.conf"), *detail = NULL;
	const sm_queue *q;
	const sm_sla *s;
	sm_config *cfg;

	cfg = load_ok(p, false);
	g_assert_cmpstr(cfg->socket, ==, "inet:8891@127.0.0.1");
	g_assert_cmpstr(cfg->user, ==, "support-milter");
	g_assert_true(sm_cidr_list_match_str(&cfg->trusted_networks, "127.0.0.1"));
	g_assert_true(sm_cidr_list_match_str(&cfg->trusted_networks, "::1"));
	g_assert_false(sm_cidr_list_match_str(&cfg->trusted_networks, "127.0.0.2"));
	g_assert_cmpint(cfg->on_store_failure, ==, SM_ON_FAILURE_TEMPFAIL);
	g_assert_cmpstr(cfg->authserv_id, ==, "mx.example.com");
	g_assert_cmpint(cfg->log_level, ==, SM_LOG_INFO);
	g_assert_cmpint(cfg->max_message_size, ==, 256 * 1024);
	g_assert_cmpstr(cfg->redis_address, ==, "127.0.0.1:6379");
	g_assert_null(cfg->redis_password);
	g_assert_cmpint(cfg->redis_database, ==, 0);
	g_assert_cmpstr(cfg->key_prefix, ==, "sm:");
	g_assert_cmpint(cfg->redis_timeout_ms, ==, 500);
	g_assert_cmpuint(g_strv_length(cfg->sentinels), ==, 0);
	g_assert_cmpstr(cfg->sentinel_master, ==, "mymaster");
	g_assert_cmpint(cfg->min_replicas, ==, 0);
	g_assert_cmpstr(cfg->sendmail, ==, "/usr/sbin/sendmail -t -i");
	g_assert_cmpstr(cfg->hostname, ==, "support.example.com");
	g_assert_cmpstr(cfg->templates, ==, "/etc/support-milter/templates");
	g_assert_cmpstr(cfg->secret_file, ==, "/etc/support-milter/secret");
	g_assert_true(cfg->timers_enabled);

	g_assert_cmpuint(cfg->reports->len, ==, 1);
	{
		const sm_report *r = g_ptr_array_index(cfg->reports, 0);

		g_assert_cmpstr(r->name, ==, "weekly");
		g_assert_cmpstr(r->to[0], ==, "leads@example.com");
		g_assert_null(r->to[1]);
		g_assert_cmpstr(r->queues[0], ==, "support");
		g_assert_cmpint(r->every, ==, SM_REPORT_WEEKLY);
		g_assert_cmpint(r->weekday, ==, 1);
		g_assert_cmpint(r->minute, ==, 8 * 60);
		g_assert_nonnull(r->calendar);
		g_assert_cmpstr(sm_calendar_name(r->calendar), ==, "office");
		g_assert_cmpstr(r->language, ==, "en");
	}

	g_assert_cmpuint(cfg->queues->len, ==, 1);
	q = g_ptr_array_index(cfg->queues, 0);
	g_assert_cmpstr(q->name, ==, "support");
	g_assert_cmpstr(q->addresses[0], ==, "support@example.com");
	g_assert_null(q->addresses[1]);
	g_assert_cmpstr(q->display_name, ==, "Example Support");
	g_assert_cmpstr(q->tag, ==, "Support");
	g_assert_cmpstr(q->escalate_to, ==, "leads@example.com");
	g_assert_cmpstr(q->language, ==, "en");
	g_assert_true(q->acknowledge);
	g_assert_cmpint(q->ack_limit_count, ==, 5);
	g_assert_cmpint(q->ack_limit_window, ==, 3600);
	g_assert_cmpint(q->reopen_window, ==, 14 * 86400);
	g_assert_cmpint(q->reminder_after, ==, 3 * 86400);
	g_assert_cmpint(q->autoclose_after, ==, 7 * 86400);
	g_assert_cmpint(q->survey_after, ==, 3600);
	g_assert_cmpstr(q->vip[0], ==, "@bigcustomer.com");
	g_assert_cmpuint(g_strv_length(q->urgent_keywords), ==, 3);
	g_assert_cmpstr(q->urgent_keywords[2], ==, "urgent");

	g_assert_true(sm_queue_is_agent(q, "alice@example.com"));
	g_assert_true(sm_queue_is_agent(q, "bob@example.com"));
	g_assert_false(sm_queue_is_agent(q, "eve@customer.test"));
	g_assert_true(sm_config_is_any_agent(cfg, "bob@example.com"));
	g_assert_false(sm_config_is_any_agent(cfg, "bob@example.org"));

	g_assert_true(sm_config_queue_for_rcpt(cfg, "support@example.com", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<Support@Example.COM>", &detail) == q);
	g_assert_null(detail);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "support+t5-abc@example.com", &detail) == q);
	g_assert_cmpstr(detail, ==, "t5-abc");
	g_free(detail);
	detail = NULL;
	g_assert_null(sm_config_queue_for_rcpt(cfg, "sales@example.com", &detail));
	g_assert_null(sm_config_queue_for_rcpt(cfg, "support@example.org", &detail));
	g_assert_null(sm_config_queue_for_rcpt(cfg, "support+x@example.org", &detail));
	g_assert_null(detail);
	g_assert_null(sm_config_queue_for_rcpt(cfg, "<>", &detail));
	g_assert_null(sm_config_queue_for_rcpt(cfg, NULL, NULL));
	/* the forms an MTA delivers to the same mailbox: quoted local part,
	 * source route, trailing dot, percent hack, bang path */
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<\"support\"@example.com>", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<@mx.test:\"SUPPORT\"@example.com>", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<support@example.com.>", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<support%example.com@mx.example.com>", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<example.com!support@localhost>", NULL) == q);
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<\"support+t5-abc\"@example.com>", &detail) == q);
	g_assert_cmpstr(detail, ==, "t5-abc");
	g_free(detail);
	detail = NULL;
	g_assert_true(sm_config_queue_for_rcpt(cfg, "<support+t5-abc%example.com@mx.test>", &detail) == q);
	g_assert_cmpstr(detail, ==, "t5-abc");
	g_free(detail);
	detail = NULL;
	g_assert_null(sm_config_queue_for_rcpt(cfg, "<\"sup port\"@example.com>", NULL));
	g_assert_null(sm_config_queue_for_rcpt(cfg, "<%example.com@mx.test>", NULL));
	g_assert_null(sm_config_queue_for_rcpt(cfg, "<support%@mx.test>", NULL));
	g_assert_true(sm_config_queue_by_name(cfg, "support") == q);
	g_assert_null(sm_config_queue_by_name(cfg, "sales"));

	g_assert_nonnull(q->sla);
	s = q->sla;
	g_assert_cmpstr(s->name, ==, "standard");
	g_assert_cmpstr(s->calendar_name, ==, "office");
	g_assert_nonnull(s->calendar);
	g_assert_cmpstr(sm_calendar_name(s->calendar), ==, "office");
	g_assert_cmpint(s->first_response[SM_PRIO_URGENT], ==, 3600);
	g_assert_cmpint(s->first_response[SM_PRIO_HIGH], ==, 4 * 3600);
	g_assert_cmpint(s->first_response[SM_PRIO_NORMAL], ==, 8 * 3600);
	g_assert_cmpint(s->first_response[SM_PRIO_LOW], ==, 2 * 86400);
	g_assert_cmpint(s->next_response[SM_PRIO_NORMAL], ==, 86400);
	g_assert_cmpint(s->resolution[SM_PRIO_LOW], ==, 10 * 86400);
	g_assert_cmpint(s->warn_at, ==, 80);
	g_assert_cmpuint(cfg->calendars->len, ==, 1);

	g_assert_true(sm_config_ref(cfg) == cfg);
	sm_config_unref(cfg);
	sm_config_unref(cfg);
	g_free(p);
}

static void
test_defaults(void)
{
	char *p = fixture("minimal.conf"), *dir;
	const sm_queue *q;
	sm_config *cfg;

	cfg = load_ok(p, false);
	g_assert_cmpstr(cfg->socket, ==, "inet:8891@127.0.0.1");
	g_assert_null(cfg->user);
	g_assert_true(sm_cidr_list_match_str(&cfg->trusted_networks, "127.0.0.1"));
	g_assert_true(sm_cidr_list_match_str(&cfg->trusted_networks, "::1"));
	g_assert_cmpint(cfg->on_store_failure, ==, SM_ON_FAILURE_TEMPFAIL);
	g_assert_null(cfg->authserv_id);
	g_assert_cmpint(cfg->log_level, ==, SM_LOG_INFO);
	g_assert_cmpint(cfg->max_message_size, ==, 256 * 1024);
	g_assert_cmpstr(cfg->redis_address, ==, "127.0.0.1:6379");
	g_assert_cmpstr(cfg->key_prefix, ==, "sm:");
	g_assert_cmpint(cfg->redis_timeout_ms, ==, 500);
	g_assert_nonnull(cfg->sentinels);
	g_assert_null(cfg->sentinels[0]);
	g_assert_cmpstr(cfg->sentinel_master, ==, "mymaster");
	g_assert_cmpint(cfg->min_replicas, ==, 0);
	g_assert_cmpstr(cfg->sendmail, ==, "/usr/sbin/sendmail -t -i");
	g_assert_cmpstr(cfg->hostname, ==, g_get_host_name());
	g_assert_true(g_str_has_suffix(cfg->templates, "/support-milter/templates"));
	g_assert_true(g_str_has_suffix(cfg->secret_file, "/support-milter/secret"));
	g_assert_true(cfg->timers_enabled);
	q = g_ptr_array_index(cfg->queues, 0);
	g_assert_cmpstr(q->name, ==, "help");
	g_assert_cmpstr(q->display_name, ==, "help");
	g_assert_cmpstr(q->tag, ==, "Help");
	g_assert_nonnull(q->agents);
	g_assert_null(q->agents[0]);
	g_assert_null(q->escalate_to);
	g_assert_null(q->sla_name);
	g_assert_null(q->sla);
	g_assert_cmpstr(q->language, ==, "en");
	g_assert_true(q->acknowledge);
	g_assert_cmpint(q->ack_limit_count, ==, 5);
	g_assert_cmpint(q->ack_limit_window, ==, 3600);
	g_assert_cmpint(q->reopen_window, ==, 14 * 86400);
	g_assert_cmpint(q->reminder_after, ==, 3 * 86400);
	g_assert_cmpint(q->autoclose_after, ==, 7 * 86400);
	g_assert_cmpint(q->survey_after, ==, 0);
	g_assert_null(q->vip[0]);
	g_assert_null(q->urgent_keywords[0]);
	g_assert_false(sm_queue_is_agent(q, "help@example.com"));
	sm_config_unref(cfg);
	g_free(p);

	/* relative paths are relative to the config file; an SLA without a
	 * calendar, or "always", counts wall-clock time */
	p = write_tmp("relative.conf",
	    "[mail]\ntemplates = tpl\nsecret_file = sec\n"
	    "[queue:a]\naddress = a@example.com\nsla = s\n"
	    "[sla:s]\ncalendar = always\nresolution = normal 1d\n", -1);
	cfg = load_ok(p, false);
	dir = g_build_filename(tmpdir, "tpl", NULL);
	g_assert_cmpstr(cfg->templates, ==, dir);
	g_free(dir);
	q = g_ptr_array_index(cfg->queues, 0);
	g_assert_nonnull(q->sla);
	g_assert_null(q->sla->calendar);
	g_assert_cmpint(q->sla->first_response[SM_PRIO_NORMAL], ==, 0);
	g_assert_cmpint(q->sla->resolution[SM_PRIO_NORMAL], ==, 86400);
	g_assert_cmpint(q->sla->resolution[SM_PRIO_URGENT], ==, 0);
	sm_config_unref(cfg);
	g_free(p);
}

static void
test_errors(void)
{
	expect_fixture_error("unknown-key.conf", "[milter] sokcet: unknown key");
	expect_fixture_error("unknown-section.conf", "[bogus] unknown section");
	expect_fixture_error("bad-duration.conf",
	    "[queue:support] reopen_window: bad duration '2 weeks'");
	expect_fixture_error("bad-rate.conf",
	    "[queue:support] ack_limit: bad rate 'five per hour'");
	expect_fixture_error("bad-bool.conf", "[timers] enabled: bad boolean 'perhaps'");
	expect_fixture_error("missing-sla.conf",
	    "[queue:support] sla: no section [sla:gold]");
	expect_fixture_error("missing-calendar.conf",
	    "[sla:standard] calendar: no section [calendar:office]");
	expect_fixture_error("duplicate-address.conf",
	    "[queue:sales] address: 'help@example.com' is already an address of [queue:support]");
	expect_fixture_error("no-queue.conf", "no [queue:NAME] section");
	expect_fixture_error("bad-timezone.conf", "[calendar:office] timezone: ");
	expect_fixture_error("bad-targets.conf",
	    "[sla:standard] first_response: unknown priority 'critical'");
	expect_fixture_error("bad-targets.conf",
	    "[sla:standard] resolution: bad duration 'soon'");
}

static void
test_all_errors_collected(void)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	char *p = fixture("many-errors.conf");
	static const char *expect[] = {
		"[milter] socket: ", "[milter] on_store_failure: ",
		"[milter] log_level: ", "[milter] max_message_size: ",
		"[milter] trusted_networks: ", "[redis] database: ",
		"[redis] timeout_ms: ", "[mail] hostname: ",
		"[nonsense] unknown section", "[queue:support] address: ",
		"[queue:support] acknowledge: ", "[queue:support] agents: ",
		"[queue:support] sla: ", "[queue:] bad section name",
		"[sla:standard] calendar: ", "[sla:standard] warn_at: ",
	};
	size_t i, j;

	g_assert_null(sm_config_load(p, false, errors));
	dump(errors);
	g_assert_cmpuint(errors->len, ==, G_N_ELEMENTS(expect));
	for (i = 0; i < G_N_ELEMENTS(expect); i++) {
		char *want = g_strdup_printf("%s: %s", p, expect[i]);

		for (j = 0; j < errors->len; j++)
			if (g_str_has_prefix(errors->pdata[j], want))
				break;
		if (j == errors->len)
			g_test_message("missing: %s", want);
		g_assert_cmpuint(j, <, errors->len);
		g_free(want);
	}
	g_free(p);
	g_ptr_array_unref(errors);

	/* a file that is not there, or not a key file: one whole-file line */
	errors = g_ptr_array_new_with_free_func(g_free);
	g_assert_null(sm_config_load("/nonexistent/x.conf", false, errors));
	g_assert_cmpuint(errors->len, ==, 1);
	g_assert_true(g_str_has_prefix(errors->pdata[0], "/nonexistent/x.conf: "));
	g_ptr_array_unref(errors);
	p = write_tmp("garbage.conf", "this is not\na key file\n", -1);
	expect_error(p, false, "");
	g_free(p);
	/* errors may be NULL */
	g_assert_null(sm_config_load("/nonexistent/x.conf", false, NULL));
}

static void
test_secret(void)
{
	char *conf, *secret, *text, *missing;

	/* missing */
	missing = g_build_filename(tmpdir, "no-such-secret", NULL);
	text = g_strdup_printf("[mail]\nsecret_file = %s\n"
	    "[queue:a]\naddress = a@example.com\n", missing);
	conf = write_tmp("secret-missing.conf", text, -1);
	expect_error(conf, true, "[mail] secret_file: ");
	sm_config_unref(load_ok(conf, false));	/* not read without check */
	g_free(conf);
	g_free(text);
	g_free(missing);

	/* 32 bytes plus newline: fine; 31 plus newline: too short; 31 plus
	 * two newlines: only one newline comes off, so 32 - fine */
	secret = make_secret("s32", "0123456789abcdef0123456789abcdef\n");
	text = g_strdup_printf("[mail]\nsecret_file = %s\n"
	    "[queue:a]\naddress = a@example.com\n", secret);
	conf = write_tmp("secret-ok.conf", text, -1);
	{
		sm_config *cfg = load_ok(conf, true);

		g_assert_cmpuint(g_bytes_get_size(cfg->secret), ==, 32);
		g_assert_cmpint(memcmp(g_bytes_get_data(cfg->secret, NULL),
		    "0123456789abcdef0123456789abcdef", 32), ==, 0);
		sm_config_unref(cfg);
	}
	g_free(conf);
	g_free(text);
	g_free(secret);

	secret = make_secret("s31", "0123456789abcdef0123456789abcde\n");
	text = g_strdup_printf("[mail]\nsecret_file = %s\n"
	    "[queue:a]\naddress = a@example.com\n", secret);
	conf = write_tmp("secret-short.conf", text, -1);
	expect_error(conf, true, "[mail] secret_file: ");
	g_free(conf);
	g_free(text);
	g_free(secret);

	secret = make_secret("s31nn", "0123456789abcdef0123456789abcde\n\n");
	text = g_strdup_printf("[mail]\nsecret_file = %s\n"
	    "[queue:a]\naddress = a@example.com\n", secret);
	conf = write_tmp("secret-nn.conf", text, -1);
	sm_config_unref(load_ok(conf, true));
	g_free(conf);
	g_free(text);
	g_free(secret);
}

/* escalate_to: levels of addresses, a duration opening each further one */
static void
test_escalation(void)
{
	char *p = write_tmp("esc.conf", "[queue:a]\naddress = a@example.com\n"
	    "escalate_to = Leads@Example.com, duty@example.com, 4h boss@example.com, "
	    "1d ceo@example.com, cfo@example.com\n", -1);
	sm_config *cfg = load_ok(p, false);
	const sm_queue *q = sm_config_queue_by_name(cfg, "a");

	g_assert_nonnull(q);
	g_assert_cmpint(q->escalation_levels, ==, 3);
	g_assert_cmpstr(q->escalate_to, ==, "leads@example.com");
	g_assert_cmpint(q->escalation[0].after, ==, 0);
	g_assert_cmpstr(q->escalation[0].to[0], ==, "leads@example.com");
	g_assert_cmpstr(q->escalation[0].to[1], ==, "duty@example.com");
	g_assert_null(q->escalation[0].to[2]);
	g_assert_cmpint(q->escalation[1].after, ==, 4 * 3600);
	g_assert_cmpstr(q->escalation[1].to[0], ==, "boss@example.com");
	g_assert_null(q->escalation[1].to[1]);
	g_assert_cmpint(q->escalation[2].after, ==, 86400);
	g_assert_cmpstr(q->escalation[2].to[1], ==, "cfo@example.com");
	sm_config_unref(cfg);
	g_free(p);
}

static void
test_values(void)
{
	static const struct { const char *body, *prefix; } bad[] = {
		{ "[queue:a]\naddress = a+b@example.com\n", "[queue:a] address: " },
		{ "[queue:a]\naddress =\n", "[queue:a] address: " },
		{ "[queue:a]\n", "[queue:a] address: missing" },
		{ "[queue:a]\naddress = a@example.com, a@example.com\n",
		  "[queue:a] address: 'a@example.com' is listed twice" },
		{ "[queue:a]\naddress = a@example.com\ntag = [x]\n", "[queue:a] tag: " },
		{ "[queue:a]\naddress = a@example.com\nlanguage = ../../etc\n",
		  "[queue:a] language: " },
		{ "[queue:a]\naddress = a@example.com\nname[de] = x\n",
		  "[queue:a] name[de]: unknown key" },
		{ "[queue:a]\naddress = a@example.com\n[redis]\naddress = nohost\n",
		  "[redis] address: " },
		{ "[queue:a]\naddress = a@example.com\n[redis]\nsentinels = a:1, b\n",
		  "[redis] sentinels: " },
		{ "[queue:a]\naddress = a@example.com\n[redis]\nmin_replicas = -1\n",
		  "[redis] min_replicas: bad number '-1' (expected 0 to 100)" },
		{ "[queue:a]\naddress = a@example.com\n[redis]\nmin_replicas = one\n",
		  "[redis] min_replicas: " },
		{ "[queue:a]\naddress = a@example.com\n[milter]\nsocket =\n",
		  "[milter] socket: must not be empty" },
		{ "[queue:a]\naddress = a@example.com\n[milter]\nsocket = inet:99999@x\n",
		  "[milter] socket: " },
		{ "[queue:a]\naddress = a@example.com\n[queue:b]\naddress = b@example.com\n"
		  "[queue:a]\nbogus = 1\n", "[queue:a] bogus: unknown key" },
		{ "[queue:a]\naddress = a@example.com\nsla = s\n[sla:s]\n"
		  "first_response = normal 1h, normal 2h\n", "[sla:s] first_response: " },
		{ "[queue:a]\naddress = a@example.com\nsla = s\n[sla:s]\n"
		  "first_response = normal 0\n", "[sla:s] first_response: " },
		{ "[queue:a]\naddress = a@example.com\nescalate_to = leads\n",
		  "[queue:a] escalate_to: bad address 'leads'" },
		{ "[queue:a]\naddress = a@example.com\nescalate_to = a@x.com, 4x b@x.com\n",
		  "[queue:a] escalate_to: " },
		{ "[queue:a]\naddress = a@example.com\nescalate_to = a@x.com, 4h b@x.com, 2h c@x.com\n",
		  "[queue:a] escalate_to: '2h c@x.com': each further level must come later" },
		{ "[queue:a]\naddress = a@example.com\nescalate_to = a@x.com, 4h\n",
		  "[queue:a] escalate_to: " },
	};
	static const char *good_sockets[] = {
		"unix:/run/sm.sock", "local:/run/sm.sock", "/run/sm.sock",
		"inet:8891@127.0.0.1", "inet:8891", "inet6:8891@::1",
	};
	char *p, *text;
	size_t i;
	sm_config *cfg;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		p = write_tmp("value.conf", bad[i].body, -1);
		expect_error(p, false, bad[i].prefix);
		g_free(p);
	}
	for (i = 0; i < G_N_ELEMENTS(good_sockets); i++) {
		text = g_strdup_printf("[milter]\nsocket = %s\n[queue:a]\n"
		    "address = a@example.com\n", good_sockets[i]);
		p = write_tmp("socket.conf", text, -1);
		cfg = load_ok(p, false);
		g_assert_cmpstr(cfg->socket, ==, good_sockets[i]);
		sm_config_unref(cfg);
		g_free(p);
		g_free(text);
	}
	/* values are raw: a "\n" escape stays two characters, never a
	 * newline that could end up in a header */
	p = write_tmp("raw.conf", "[queue:a]\naddress = a@example.com\n"
	    "name = Help\\nBcc: x\nagents = Alice@Example.com, @Corp.Test\n"
	    "urgent_keywords = Outage, DOWN\n[redis]\nsentinels = a:26379, [::1]:26379\n"
	    "min_replicas = 2\n"
	    "password = s3cret\n[milter]\nlog_level = debug\non_store_failure = accept\n"
	    "trusted_networks =\n", -1);
	cfg = load_ok(p, false);
	g_free(p);
	{
		const sm_queue *q = g_ptr_array_index(cfg->queues, 0);

		g_assert_null(strchr(q->display_name, '\n'));
		g_assert_cmpstr(q->agents[0], ==, "alice@example.com");
		g_assert_cmpstr(q->agents[1], ==, "@corp.test");
		g_assert_true(sm_queue_is_agent(q, "x@corp.test"));
		g_assert_cmpstr(q->urgent_keywords[1], ==, "down");
	}
	g_assert_cmpuint(g_strv_length(cfg->sentinels), ==, 2);
	g_assert_cmpint(cfg->min_replicas, ==, 2);
	g_assert_cmpstr(cfg->redis_password, ==, "s3cret");
	g_assert_cmpint(cfg->log_level, ==, SM_LOG_DEBUG);
	g_assert_cmpint(cfg->on_store_failure, ==, SM_ON_FAILURE_ACCEPT);
	g_assert_cmpuint(cfg->trusted_networks.n, ==, 0);
	sm_config_unref(cfg);
}

static void
test_priority_and_current(void)
{
	char *p = fixture("minimal.conf");
	sm_config *a, *b, *cur;

	g_assert_cmpstr(sm_priority_name(SM_PRIO_URGENT), ==, "urgent");
	g_assert_cmpstr(sm_priority_name(SM_PRIO_LOW), ==, "low");
	g_assert_cmpint(sm_priority_parse("HIGH"), ==, SM_PRIO_HIGH);
	g_assert_cmpint(sm_priority_parse("normal"), ==, SM_PRIO_NORMAL);
	g_assert_cmpint(sm_priority_parse("critical"), ==, -1);
	g_assert_cmpint(sm_priority_parse(NULL), ==, -1);

	g_assert_null(sm_config_current());
	a = load_ok(p, false);
	b = load_ok(p, false);
	sm_config_set_current(a);
	cur = sm_config_current();
	g_assert_true(cur == a);
	g_assert_cmpint(g_atomic_int_get(&a->refcount), ==, 3);
	/* a reload: messages holding a keep it until they let go */
	sm_config_set_current(b);
	g_assert_cmpint(g_atomic_int_get(&a->refcount), ==, 2);
	sm_config_unref(cur);
	sm_config_unref(a);
	cur = sm_config_current();
	g_assert_true(cur == b);
	sm_config_unref(cur);
	sm_config_set_current(NULL);
	g_assert_cmpint(g_atomic_int_get(&b->refcount), ==, 1);
	sm_config_unref(b);
	g_assert_null(sm_config_current());
	g_free(p);
}

static void
rm_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	while (d != NULL && (n = g_dir_read_name(d)) != NULL) {
		char *f = g_build_filename(dir, n, NULL);

		g_unlink(f);
		g_free(f);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	tmpdir = g_dir_make_tmp("test_config-XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_test_add_func("/config/sample", test_sample);
	g_test_add_func("/config/spec-example", test_spec_example);
	g_test_add_func("/config/defaults", test_defaults);
	g_test_add_func("/config/errors", test_errors);
	g_test_add_func("/config/all-errors-collected", test_all_errors_collected);
	g_test_add_func("/config/secret", test_secret);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/escalation", test_escalation);
	g_test_add_func("/config/priority-and-current", test_priority_and_current);
	rc = g_test_run();
	rm_tree(tmpdir);
	g_free(tmpdir);
	return rc;
}
