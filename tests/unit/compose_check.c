/*
 * compose_check.c - the shared checks of the composition unit tests
 * (interface in compose_check.h). Each composed message is parsed back
 * with GMime and checked: the exact set of header names, one
 * From/To/Reply-To with the intended address, the decoded Subject and
 * display names equal to the sanitized values, the part count and
 * boundary, the decoded bodies, and no line over 998 bytes. A mismatch
 * fails the test through g_assert.
 */
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_template.h"
#include "sm_util.h"
#include "compose_check.h"

static char *base_refs[] = { "<first@customer.test>", "orig@customer.test", NULL };

sm_compose
base(void)
{
	sm_compose c;

	memset(&c, 0, sizeof c);
	c.subject = SUBJ;
	c.tag = "Support";
	c.ticket = 1042;
	c.text = "Hello Ann,\n\nyour ticket is #1042.\n";
	c.from_name = "Example Support";
	c.from_addr = FROM;
	c.to_name = "Ann Lee";
	c.to_addr = TO;
	c.reply_to_name = "Example Support";
	c.reply_to_addr = REPLY;
	c.message_id = "sm.1042.x1.0123456789abcdef@support.example.com";
	c.in_reply_to = "<orig@customer.test>";
	c.references = base_refs;
	c.date = 1795338000;
	c.event = "ack";
	c.loop = "support.example.com; 0123456789abcdef0123456789abcdef";
	c.auto_submitted = "auto-replied";
	c.auto_response_suppress = "All";
	return c;
}

static gint
cmp_strp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Top-level header names of the raw bytes, lowercased, sorted, joined;
 * also checks line lengths and line ends of the whole message. */
char *
raw_header_names(const char *raw)
{
	const char *end = strstr(raw, "\n\n");
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *l = raw;
	char *joined;

	g_assert_nonnull(end);
	while (l <= end) {
		const char *nl = strchr(l, '\n');

		if (*l != ' ' && *l != '\t') {
			const char *colon = strchr(l, ':');

			g_assert_nonnull(colon);
			g_assert_true(colon < nl);
			g_ptr_array_add(names, g_ascii_strdown(l, colon - l));
		}
		l = nl + 1;
	}
	g_ptr_array_sort(names, cmp_strp);
	g_ptr_array_add(names, NULL);
	joined = g_strjoinv(",", (char **)names->pdata);
	g_ptr_array_unref(names);
	return joined;
}

void
check_lines(const char *raw, gsize len)
{
	gsize line = 0;

	g_assert_cmpuint(strlen(raw), ==, len);
	for (gsize i = 0; i < len; i++) {
		g_assert_cmpint(raw[i], !=, '\r');
		if (raw[i] == '\n')
			line = 0;
		else
			g_assert_cmpuint(++line, <=, 998);
	}
}

GMimeMessage *
parse(const char *raw)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(raw, strlen(raw));
	GMimeParser *p = g_mime_parser_new_with_stream(st);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_assert_nonnull(m);
	g_object_unref(p);
	g_object_unref(st);
	return m;
}

/* exactly one mailbox with this address; returns its decoded name */
const char *
one_mailbox(InternetAddressList *l, const char *addr)
{
	InternetAddress *ia;

	g_assert_nonnull(l);
	g_assert_cmpint(internet_address_list_length(l), ==, 1);
	ia = internet_address_list_get_address(l, 0);
	g_assert_true(INTERNET_ADDRESS_IS_MAILBOX(ia));
	/* the wire form: GMime shows IDN domains decoded */
	g_assert_cmpstr(internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(ia)), ==, addr);
	return internet_address_get_name(ia);
}

/* A decoded display name equals the sanitized value, up to the
 * whitespace that folding put in (GMime keeps the fold's TAB). */
void
check_name(const char *name, const char *want)
{
	char *n = sm_header_text(name, 4096);

	g_assert_cmpstr(n, ==, want);
	g_free(n);
}

char *
compose_ok(const sm_compose *c)
{
	char *err = NULL;
	gsize len = 0;
	char *raw = sm_compose_message(c, &len, &err);

	if (raw == NULL)
		g_error("compose failed: %s", err);
	g_assert_null(err);
	check_lines(raw, len);
	return raw;
}

char *
part_text(GMimeObject *o)
{
	g_assert_true(GMIME_IS_TEXT_PART(o));
	return g_mime_text_part_get_text(GMIME_TEXT_PART(o));
}

/* A body as compose stores it: cleaned, ending in a newline. */
char *
body_expect(const char *s)
{
	char *b = sm_body_text(s);

	if (*b == '\0' || b[strlen(b) - 1] != '\n') {
		char *t = g_strconcat(b, "\n", NULL);

		g_free(b);
		b = t;
	}
	return b;
}

void
check_structure(GMimeMessage *m, const char *raw, const sm_compose *c)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	char *want, *got;

	if (c->html == NULL) {
		g_assert_true(GMIME_IS_TEXT_PART(body));
		g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(body),
		    "text", "plain"));
		g_assert_cmpstr(g_mime_object_get_content_type_parameter(body, "charset"),
		    ==, "utf-8");
		got = part_text(body);
		want = body_expect(c->text);
		g_assert_cmpstr(got, ==, want);
		g_free(got);
		g_free(want);
		return;
	}
	{
		GMimeMultipart *mp;
		const char *b;
		char *delim, *close;
		int ndelim = 0;

		g_assert_true(GMIME_IS_MULTIPART(body));
		g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(body),
		    "multipart", "alternative"));
		mp = GMIME_MULTIPART(body);
		g_assert_cmpint(g_mime_multipart_get_count(mp), ==, 2);
		b = g_mime_multipart_get_boundary(mp);
		g_assert_nonnull(b);
		/* the boundary occurs as exactly two delimiters and one close */
		delim = g_strconcat("\n--", b, "\n", NULL);
		close = g_strconcat("\n--", b, "--\n", NULL);
		for (const char *p = raw; (p = strstr(p, delim)) != NULL; p++)
			ndelim++;
		g_assert_cmpint(ndelim, ==, 2);
		g_assert_nonnull(strstr(raw, close));
		g_assert_null(strstr(strstr(raw, close) + strlen(close), b));
		g_free(delim);
		g_free(close);
		g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
		    g_mime_multipart_get_part(mp, 0)), "text", "plain"));
		g_assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(
		    g_mime_multipart_get_part(mp, 1)), "text", "html"));
		got = part_text(g_mime_multipart_get_part(mp, 0));
		want = body_expect(c->text);
		g_assert_cmpstr(got, ==, want);
		g_free(got);
		g_free(want);
		got = part_text(g_mime_multipart_get_part(mp, 1));
		want = body_expect(c->html);
		g_assert_cmpstr(got, ==, want);
		g_free(got);
		g_free(want);
	}
}

char *
expect_subject(const char *subject)
{
	char *s = sm_header_text(subject, SM_COMPOSE_SUBJECT_MAX);
	char *t = sm_subject_tag_apply(s, "Support", 1042);
	char *r = sm_header_text(t, SM_COMPOSE_SUBJECT_MAX + 80);

	g_free(s);
	g_free(t);
	return r;
}

/* The unfolded raw value of the first top-level header called name. */
char *
raw_header(const char *raw, const char *name)
{
	const char *end = strstr(raw, "\n\n");
	gsize n = strlen(name);
	GString *v = g_string_new(NULL);
	const char *l = raw;

	while (l < end) {
		if (g_ascii_strncasecmp(l, name, n) == 0 && l[n] == ':') {
			const char *p = l + n + 1;

			while (*p == ' ')
				p++;
			for (; p < end + 1; p++) {
				if (*p == '\n') {
					if (p[1] != ' ' && p[1] != '\t')
						break;
					continue;       /* unfold: drop the newline only */
				}
				g_string_append_c(v, *p);
			}
			return g_string_free(v, FALSE);
		}
		l = strchr(l, '\n') + 1;
	}
	g_string_free(v, TRUE);
	return NULL;
}

/* A strict RFC 2047 decoder for unstructured text, independent of GMime:
 * GMime 3.2.13 merges adjacent base64 words before decoding and loses
 * everything after a word that ends in "=" padding, so it cannot check its
 * own (correct) output. Each encoded word is decoded on its own; blanks
 * between two encoded words are dropped. */
char *
strict_decode(const char *v)
{
	GString *out = g_string_new(NULL);
	const char *p = v;
	bool prev_encoded = false;
	GString *blank = g_string_new(NULL);

	while (*p != '\0') {
		const char *q = p;
		char *word, **f;
		bool enc = false;

		if (*p == ' ' || *p == '\t') {
			g_string_append_c(blank, *p++);
			continue;
		}
		while (*q != '\0' && *q != ' ' && *q != '\t')
			q++;
		word = g_strndup(p, q - p);
		f = g_strsplit(word, "?", -1);
		if (g_str_has_prefix(word, "=?") && g_str_has_suffix(word, "?=") &&
		    g_strv_length(f) == 5 && strlen(f[2]) == 1) {
			gsize dn = 0;
			guchar *d = NULL;
			char *text;

			if (g_ascii_toupper(f[2][0]) == 'B') {
				d = g_base64_decode(f[3], &dn);
			} else if (g_ascii_toupper(f[2][0]) == 'Q') {
				GString *b = g_string_new(NULL);

				for (const char *c = f[3]; *c != '\0'; c++) {
					if (*c == '_')
						g_string_append_c(b, ' ');
					else if (*c == '=' && g_ascii_isxdigit(c[1]) &&
					    g_ascii_isxdigit(c[2])) {
						g_string_append_c(b, (char)(g_ascii_xdigit_value(c[1]) * 16 +
						    g_ascii_xdigit_value(c[2])));
						c += 2;
					} else
						g_string_append_c(b, *c);
				}
				dn = b->len;
				d = (guchar *)g_string_free(b, FALSE);
			}
			g_assert_nonnull(d);
			text = g_convert((char *)d, dn, "UTF-8", f[1], NULL, NULL, NULL);
			g_assert_nonnull(text);
			if (!prev_encoded)
				g_string_append(out, blank->str);
			g_string_append(out, text);
			g_free(text);
			g_free(d);
			enc = true;
		} else {
			g_string_append(out, blank->str);
			g_string_append(out, word);
		}
		g_string_truncate(blank, 0);
		prev_encoded = enc;
		g_strfreev(f);
		g_free(word);
		p = q;
	}
	g_string_free(blank, TRUE);
	return g_string_free(out, FALSE);
}

/* Compose c, parse it back and check everything. */
void
check_message(const sm_compose *c)
{
	char *raw = compose_ok(c);
	char *names = raw_header_names(raw);
	GMimeMessage *m = parse(raw);
	char *want;
	const char *name;

	g_assert_cmpstr(names, ==, c->html != NULL ? HDRS_ALT : HDRS_SINGLE);

	name = one_mailbox(g_mime_message_get_from(m), FROM);
	want = sm_header_text(c->from_name, SM_COMPOSE_NAME_MAX);
	check_name(name, want);
	g_free(want);
	name = one_mailbox(g_mime_message_get_to(m), TO);
	want = sm_header_text(c->to_name, SM_COMPOSE_NAME_MAX);
	check_name(name, want);
	g_free(want);
	name = one_mailbox(g_mime_message_get_reply_to(m), REPLY);
	want = sm_header_text(c->reply_to_name, SM_COMPOSE_NAME_MAX);
	check_name(name, want);
	g_free(want);
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_cc(m)), ==, 0);
	g_assert_cmpint(internet_address_list_length(g_mime_message_get_bcc(m)), ==, 0);

	want = expect_subject(c->subject);
	{
		char *rv = raw_header(raw, "Subject");
		char *dec = strict_decode(rv);

		g_assert_cmpstr(dec, ==, want);
		g_free(dec);
		g_free(rv);
	}
	g_assert_true(g_str_has_prefix(g_mime_message_get_subject(m), "[Support #1042]"));
	g_free(want);

	g_assert_cmpstr(g_mime_message_get_message_id(m), ==, c->message_id);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "X-Ticket-ID"), ==, "1042");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "X-Ticket-Event"), ==, c->event);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "X-Support-Loop"), ==, c->loop);
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"), ==,
	    "auto-replied");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To"), ==,
	    "<orig@customer.test>");
	g_assert_cmpstr(g_mime_object_get_header(GMIME_OBJECT(m), "References"), ==,
	    "<first@customer.test> <orig@customer.test>");

	check_structure(m, raw, c);
	g_object_unref(m);
	g_free(names);
	g_free(raw);
}
