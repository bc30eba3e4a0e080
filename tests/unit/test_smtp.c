/*
 * test_smtp.c - the outbox's SMTP client (include/sm_smtp.h): the pure
 * helpers (address parsing, DATA encoding, reply parser), then the client
 * against Postfix's own smtp-sink(1) on a unix socket, a real SMTP server
 * whose options make it refuse, stall or hang up where we want: mails on
 * one kept-open connection, no PIPELINING, no ESMTP, 4xx and 5xx replies,
 * a server that hangs up after the data, one that restarted between mails,
 * none at all, a stalled server cut short by the deadline and by a stop
 * request. The client cases skip (77 for the whole program would hide the
 * pure ones: they are reported as skipped by g_test) without smtp-sink.
 */
#include <config.h>

#include <stdarg.h>
#include <stdlib.h>

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sm_smtp.h"

/* ---- pure helpers ------------------------------------------------------ */

static void
test_address(void)
{
	char *host, *path, *err;
	int port;

	g_assert_true(sm_smtp_parse_address("127.0.0.1:25", &host, &port, &path, &err));
	g_assert_cmpstr(host, ==, "127.0.0.1");
	g_assert_cmpint(port, ==, 25);
	g_assert_null(path);
	g_free(host);
	g_assert_true(sm_smtp_parse_address("[::1]:10025", &host, &port, &path, &err));
	g_assert_cmpstr(host, ==, "::1");
	g_assert_cmpint(port, ==, 10025);
	g_free(host);
	g_assert_true(sm_smtp_parse_address("mx.example.com:587", &host, &port, &path, &err));
	g_assert_cmpstr(host, ==, "mx.example.com");
	g_free(host);
	g_assert_true(sm_smtp_parse_address("unix:/run/x/smtp.sock", &host, &port, &path, &err));
	g_assert_null(host);
	g_assert_cmpstr(path, ==, "/run/x/smtp.sock");
	g_free(path);

	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", ":25", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:2x5", "::1:25", "[::1]25", "[]:25", "unix:relative",
		"unix:", "host :25", "host:25\r\nRSET", "inet:25@127.0.0.1",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(sm_smtp_parse_address(bad[i], &host, &port, &path, &err));
		g_assert_null(host);
		g_assert_null(path);
		g_assert_nonnull(strstr(err, "bad SMTP address"));
		g_free(err);
	}
}

static void
check_encode(const char *in, const char *want)
{
	GString *o = sm_smtp_data_encode(in, strlen(in));

	g_assert_cmpstr(o->str, ==, want);
	g_string_free(o, TRUE);
}

static void
test_encode(void)
{
	check_encode("", ".\r\n");
	check_encode("a\nb\n", "a\r\nb\r\n.\r\n");
	check_encode("a\r\nb\r\n", "a\r\nb\r\n.\r\n");
	check_encode("no end", "no end\r\n.\r\n");
	/* dot-stuffing: a lone dot must not end the mail early */
	check_encode("x\n.\ny\n", "x\r\n..\r\ny\r\n.\r\n");
	check_encode(".hidden\n..two\n", "..hidden\r\n...two\r\n.\r\n");
	check_encode("a.\n", "a.\r\n.\r\n");
	check_encode("\n\n", "\r\n\r\n.\r\n");
	/* a bare CR is data, not a line end */
	check_encode("a\rb\n", "a\rb\r\n.\r\n");
}

static void
test_reply(void)
{
	sm_smtp_reply r = { 0 };
	const char *ehlo = "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
	    "250-8BITMIME\r\n250 SMTPUTF8\r\n354 go";
	gssize n;

	n = sm_smtp_reply_parse("220 mx ESMTP\r\n", 14, &r);
	g_assert_cmpint(n, ==, 14);
	g_assert_cmpint(r.code, ==, 220);
	g_assert_cmpstr(r.text->str, ==, "mx ESMTP");
	g_assert_false(r.pipelining);
	sm_smtp_reply_clear(&r);

	n = sm_smtp_reply_parse(ehlo, strlen(ehlo), &r);
	g_assert_cmpint(n, ==, (gssize)(strlen(ehlo) - 6));
	g_assert_cmpint(r.code, ==, 250);
	g_assert_true(r.pipelining);
	g_assert_true(r.eightbit);
	sm_smtp_reply_clear(&r);

	/* incomplete: more input needed, at every cut */
	for (size_t cut = 0; cut < strlen(ehlo) - 6; cut++)
		g_assert_cmpint(sm_smtp_reply_parse(ehlo, cut, &r), ==, 0);

	/* bare LF and a code alone on its line are accepted */
	g_assert_cmpint(sm_smtp_reply_parse("250\n", 4, &r), ==, 4);
	g_assert_cmpint(r.code, ==, 250);
	sm_smtp_reply_clear(&r);

	/* hostile text comes out printable and bounded */
	GString *big = g_string_new("550 ");
	g_string_append(big, "bad\x01\x7f\xff");
	for (int i = 0; i < 500; i++)
		g_string_append_c(big, 'x');
	g_string_append(big, "\r\n");
	g_assert_cmpint(sm_smtp_reply_parse(big->str, big->len, &r), ==, (gssize)big->len);
	g_assert_cmpint(r.code, ==, 550);
	g_assert_true(g_str_has_prefix(r.text->str, "bad???x"));
	g_assert_cmpuint(r.text->len, <=, 400);
	sm_smtp_reply_clear(&r);
	g_string_free(big, TRUE);

	/* not SMTP */
	static const char *const bad[] = {
		"hello\r\n", "25\r\n", "2500 x\r\n", "250x\r\n", "650 x\r\n",
		"250-a\r\n251 b\r\n", "099 x\r\n",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(sm_smtp_reply_parse(bad[i], strlen(bad[i]), &r), ==, -1);
	/* a line that never ends */
	char *endless = g_strnfill(5000, 'a');
	endless[0] = '2'; endless[1] = '5'; endless[2] = '0'; endless[3] = '-';
	g_assert_cmpint(sm_smtp_reply_parse(endless, 5000, &r), ==, -1);
	g_free(endless);
}

/* ---- the client against smtp-sink ------------------------------------- */

static char *tmpdir;
static char *sink_bin;

typedef struct sink {
	GPid pid;
	char *sock;
	char *dump;             /* directory of dumped mails */
	char *log;              /* its -v conversation log */
} sink;

static bool
wait_path(const char *p, bool present, int ms)
{
	for (int i = 0; i < ms / 20; i++) {
		if (g_file_test(p, G_FILE_TEST_EXISTS) == present)
			return true;
		g_usleep(20000);
	}
	return false;
}

/* smtp-sink -v on DIR/NAME.sock with extra options (NULL-terminated);
 * its conversation log goes to k->log. */
static void
sink_start(sink *k, const char *name, ...)
{
	GString *cmd = g_string_new("exec ");
	GError *gerr = NULL;
	va_list ap;
	const char *o;
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };

	memset(k, 0, sizeof *k);
	k->sock = g_strdup_printf("%s/%s.sock", tmpdir, name);
	k->dump = g_strdup_printf("%s/%s.d", tmpdir, name);
	k->log = g_strdup_printf("%s/%s.log", tmpdir, name);
	g_mkdir(k->dump, 0777);
	g_chmod(k->dump, 0777);
	g_unlink(k->sock);
	g_string_append_printf(cmd, "'%s' -v", sink_bin);
	if (geteuid() == 0)
		g_string_append(cmd, " -u nobody");
	g_string_append_printf(cmd, " -d '%s/%%H%%M%%S.'", k->dump);
	va_start(ap, name);
	while ((o = va_arg(ap, const char *)) != NULL)
		g_string_append_printf(cmd, " '%s'", o);
	va_end(ap);
	g_string_append_printf(cmd, " 'unix:%s' 10 >>'%s' 2>&1", k->sock, k->log);
	argv[2] = cmd->str;
	g_assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
	    NULL, NULL, &k->pid, &gerr));
	g_string_free(cmd, TRUE);
	g_assert_true(wait_path(k->sock, true, 5000));
}

/* Lines of the sink's log that start with "smtp-sink: " + what. */
static int
sink_count(const sink *k, const char *what)
{
	char *c = NULL, *pat = g_strdup_printf("smtp-sink: %s", what);
	int n = 0;

	if (g_file_get_contents(k->log, &c, NULL, NULL)) {
		char **lines = g_strsplit(c, "\n", -1);
		for (char **l = lines; *l; l++)
			if (strstr(*l, pat) != NULL)
				n++;
		g_strfreev(lines);
	}
	g_free(c);
	g_free(pat);
	return n;
}

static bool
wait_count(const sink *k, const char *what, int want)
{
	for (int i = 0; i < 250; i++) {
		if (sink_count(k, what) >= want)
			return true;
		g_usleep(20000);
	}
	return false;
}

static void
sink_stop(sink *k)
{
	int status;

	kill(k->pid, SIGTERM);
	for (int i = 0; i < 250 && waitpid(k->pid, &status, WNOHANG) == 0; i++)
		g_usleep(20000);
	kill(k->pid, SIGKILL);
	waitpid(k->pid, &status, WNOHANG);
	g_spawn_close_pid(k->pid);
	g_unlink(k->sock);
	g_free(k->sock);
	g_free(k->dump);
	g_free(k->log);
	memset(k, 0, sizeof *k);
}

/* The concatenated contents of the mails dumped so far, and their count. */
static int
dumped(const sink *k, GString *all)
{
	GDir *d = g_dir_open(k->dump, 0, NULL);
	const char *f;
	int n = 0;

	g_assert_nonnull(d);
	while ((f = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(k->dump, f, NULL), *c = NULL;
		gsize len;

		if (g_file_get_contents(p, &c, &len, NULL)) {
			if (all != NULL)
				g_string_append_len(all, c, (gssize)len);
			n++;
		}
		g_free(c);
		g_free(p);
	}
	g_dir_close(d);
	return n;
}

static bool
wait_dumped(const sink *k, int want)
{
	for (int i = 0; i < 250; i++) {
		if (dumped(k, NULL) >= want)
			return true;
		g_usleep(20000);
	}
	return false;
}

/* Did any message body reach the sink? */
static bool
has_body(const sink *k)
{
	GString *all = g_string_new(NULL);
	bool yes;

	dumped(k, all);
	yes = strstr(all->str, "Subject: hello") != NULL;
	g_string_free(all, TRUE);
	return yes;
}

static const char msg[] =
	"From: Support <support@example.com>\n"
	"To: ann@customer.test\n"
	"Subject: hello\n"
	"\n"
	"line one\n"
	".\n"
	".starts with a dot\n";

static sm_smtp *
client(const sink *k)
{
	char *addr = g_strdup_printf("unix:%s", k->sock), *err = NULL;
	sm_smtp *s = sm_smtp_new(addr, "support.example.com", &err);

	g_assert_null(err);
	g_assert_nonnull(s);
	g_free(addr);
	return s;
}

static void
send_ok(sm_smtp *s, const char *rcpt)
{
	char *why = NULL;
	sm_smtp_status st = sm_smtp_send(s, NULL, rcpt, msg, strlen(msg), 10000,
	    NULL, &why);

	if (st != SM_SMTP_OK)
		g_error("send to %s failed: %s", rcpt, why);
	g_assert_null(why);
}

static void
test_client_ok(void)
{
	sink k;
	sm_smtp *s;
	GString *all = g_string_new(NULL);

	if (sink_bin == NULL) {
		g_test_skip("no smtp-sink");
		return;
	}
	sink_start(&k, "ok", NULL);
	s = client(&k);
	for (int i = 0; i < 3; i++)
		send_ok(s, "ann@customer.test");
	g_assert_true(wait_dumped(&k, 3));
	g_assert_cmpint(dumped(&k, all), ==, 3);
	/* the dots came through de-stuffed, nothing ended early */
	g_assert_nonnull(strstr(all->str, "\n.\r\n.starts with a dot\r\n") ?
	    strstr(all->str, "\n.\r\n.starts with a dot\r\n") :
	    strstr(all->str, "\n.\n.starts with a dot\n"));
	g_assert_nonnull(strstr(all->str, "ann@customer.test"));
	/* one connection for all three, PIPELINING used */
	g_assert_cmpint(sink_count(&k, "connect ("), ==, 1);
	g_assert_cmpint(sink_count(&k, "EHLO support.example.com"), ==, 1);
	/* idle, but not for long enough: kept */
	sm_smtp_idle(s, 60000);
	send_ok(s, "bob@customer.test");
	g_assert_cmpint(sink_count(&k, "connect ("), ==, 1);
	/* idle long enough: closed politely */
	sm_smtp_idle(s, 0);
	g_assert_true(wait_count(&k, "QUIT", 1));
	g_assert_true(wait_count(&k, "disconnect", 1));
	g_assert_cmpint(sink_count(&k, "connect ("), ==, 1);
	sm_smtp_free(s);
	sink_stop(&k);
	g_string_free(all, TRUE);
}

static void
test_client_plain(void)
{
	sink k;
	sm_smtp *s;

	if (sink_bin == NULL) {
		g_test_skip("no smtp-sink");
		return;
	}
	sink_start(&k, "nopipe", "-p", NULL);
	s = client(&k);
	send_ok(s, "ann@customer.test");
	send_ok(s, "bob@customer.test");
	g_assert_true(wait_dumped(&k, 2));
	sm_smtp_free(s);
	sink_stop(&k);

	/* no ESMTP at all: EHLO refused, HELO used */
	sink_start(&k, "noesmtp", "-e", NULL);
	s = client(&k);
	send_ok(s, "ann@customer.test");
	g_assert_true(wait_dumped(&k, 1));
	sm_smtp_free(s);
	sink_stop(&k);
}

static sm_smtp_status
send_one(sm_smtp *s, const char *sender, const char *rcpt, int timeout_ms,
    const volatile gint *stop, char **why)
{
	return sm_smtp_send(s, sender, rcpt, msg, strlen(msg), timeout_ms, stop, why);
}

static void
test_client_refused(void)
{
	sink k;
	sm_smtp *s;
	char *why = NULL;

	if (sink_bin == NULL) {
		g_test_skip("no smtp-sink");
		return;
	}
	sink_start(&k, "soft", "-r", "RCPT", NULL);
	s = client(&k);
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_TEMP);
	g_assert_nonnull(strstr(why, "RCPT TO: 450"));
	g_clear_pointer(&why, g_free);
	sm_smtp_free(s);
	sink_stop(&k);

	sink_start(&k, "hard", "-f", "RCPT", NULL);
	s = client(&k);
	g_assert_cmpint(send_one(s, "q@example.com", "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_PERM);
	g_assert_nonnull(strstr(why, "RCPT TO: 500"));
	g_clear_pointer(&why, g_free);
	/* the client is still usable (the refused transaction was reset): refused again */
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_PERM);
	g_clear_pointer(&why, g_free);
	g_assert_false(has_body(&k));
	sm_smtp_free(s);
	sink_stop(&k);

	sink_start(&k, "baddata", "-f", ".", NULL);
	s = client(&k);
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_PERM);
	g_assert_nonnull(strstr(why, "end of data: 500"));
	g_clear_pointer(&why, g_free);
	sm_smtp_free(s);
	sink_stop(&k);

	/* hostile addresses never reach the wire */
	sink_start(&k, "hostile", NULL);
	s = client(&k);
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test>\r\nRCPT TO:<x@y.z", 10000, NULL, &why), ==, SM_SMTP_PERM);
	g_clear_pointer(&why, g_free);
	g_assert_cmpint(send_one(s, "a b@example.com", "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_PERM);
	g_clear_pointer(&why, g_free);
	g_assert_cmpint(sink_count(&k, "connect ("), ==, 0);
	sm_smtp_free(s);
	sink_stop(&k);
}

static void
test_client_lost(void)
{
	sink k;
	sm_smtp *s;
	char *why = NULL, *addr;

	if (sink_bin == NULL) {
		g_test_skip("no smtp-sink");
		return;
	}
	/* hangs up after the data, without a reply: maybe delivered */
	sink_start(&k, "hangup", "-q", ".", NULL);
	s = client(&k);
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 10000, NULL, &why), ==, SM_SMTP_TEMP);
	g_assert_nonnull(strstr(why, "may have been delivered"));
	g_clear_pointer(&why, g_free);
	sm_smtp_free(s);
	sink_stop(&k);

	/* a kept connection whose server went away and came back */
	sink_start(&k, "restart", NULL);
	s = client(&k);
	send_ok(s, "ann@customer.test");
	addr = g_strdup(k.sock);
	sink_stop(&k);
	sink_start(&k, "restart", NULL);
	g_assert_cmpstr(addr, ==, k.sock);
	send_ok(s, "bob@customer.test");
	g_assert_true(wait_dumped(&k, 1));
	g_free(addr);
	sink_stop(&k);

	/* nobody listening */
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 2000, NULL, &why), ==, SM_SMTP_TEMP);
	g_assert_nonnull(strstr(why, "connect"));
	g_clear_pointer(&why, g_free);
	sm_smtp_free(s);
}

static void
test_client_stall(void)
{
	sink k;
	sm_smtp *s;
	char *why = NULL;
	gint stop = 0;
	gint64 t0;

	if (sink_bin == NULL) {
		g_test_skip("no smtp-sink");
		return;
	}
	/* 20 s before the answer to DATA: the 1.5 s deadline wins */
	sink_start(&k, "stall", "-w", "20", NULL);
	s = client(&k);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 1500, NULL, &why), ==, SM_SMTP_TEMP);
	g_assert_nonnull(strstr(why, "timed out"));
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 8 * G_USEC_PER_SEC);
	g_clear_pointer(&why, g_free);
	/* a stop request cuts a 30 s wait to about a second */
	g_atomic_int_set(&stop, 1);
	t0 = g_get_monotonic_time();
	g_assert_cmpint(send_one(s, NULL, "ann@customer.test", 30000, &stop, &why), ==, SM_SMTP_TEMP);
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 8 * G_USEC_PER_SEC);
	g_clear_pointer(&why, g_free);
	sm_smtp_free(s);
	sink_stop(&k);
}

int
main(int argc, char **argv)
{
	int rc;

	g_test_init(&argc, &argv, NULL);
	signal(SIGPIPE, SIG_IGN);
	sink_bin = g_find_program_in_path("smtp-sink");
	if (sink_bin == NULL && g_file_test("/usr/sbin/smtp-sink", G_FILE_TEST_IS_EXECUTABLE))
		sink_bin = g_strdup("/usr/sbin/smtp-sink");
	tmpdir = g_dir_make_tmp("test_smtp.XXXXXX", NULL);
	g_assert_nonnull(tmpdir);
	g_chmod(tmpdir, 0777);          /* smtp-sink runs as nobody */
	g_test_add_func("/smtp/address", test_address);
	g_test_add_func("/smtp/encode", test_encode);
	g_test_add_func("/smtp/reply", test_reply);
	g_test_add_func("/smtp/client/ok", test_client_ok);
	g_test_add_func("/smtp/client/plain", test_client_plain);
	g_test_add_func("/smtp/client/refused", test_client_refused);
	g_test_add_func("/smtp/client/lost", test_client_lost);
	g_test_add_func("/smtp/client/stall", test_client_stall);
	rc = g_test_run();
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			g_printerr("could not remove %s\n", tmpdir);
		g_free(cmd);
	}
	g_free(tmpdir);
	g_free(sink_bin);
	return rc;
}
