/*
 * test_command.c - unit tests of the agents' commands
 * (milter/agent/command.c, command_html.c; include/sm_command.h): every
 * rule of the header - the block at the top, blank lines, '#' and a
 * letter, names and values in any case, blanks around them, CRLF, a BOM,
 * repeats and conflicts, the error lines - in text and in the HTML of
 * Gmail, Outlook, Thunderbird and Apple Mail, and stripping: the text or
 * markup without the block, the rest byte for byte.
 *
 * Hostile inputs (998-byte lines, invalid UTF-8, controls, NULs) are
 * built here. Fails through g_assert; no I/O.
 */
#include <config.h>

#include <string.h>

#include <glib.h>

#include "sm_command.h"
#include "sm_vocab.h"

/* The promises of an error line. */
static void
check_err(const char *e)
{
	g_assert_nonnull(e);
	g_assert_cmpuint(strlen(e), >, 0);
	g_assert_cmpuint(strlen(e), <=, SM_COMMAND_ERR_MAX);
	for (const char *p = e; *p; p++)
		g_assert_true(*p >= 0x20 && *p < 0x7f);
}

static sm_commands
ok_text(const char *text)
{
	sm_commands c;
	char *err = NULL;

	if (!sm_commands_parse(text, strlen(text), &c, &err))
		g_error("refused %s: %s", text, err);
	g_assert_null(err);
	return c;
}

static char *
err_text_len(const char *text, size_t len)
{
	sm_commands c;
	char *err = NULL;

	g_assert_false(sm_commands_parse(text, len, &c, &err));
	check_err(err);
	/* refused: nothing held, and nothing stripped */
	g_assert_cmpint(c.status, ==, -1);
	g_assert_null(c.assign);
	g_assert_cmpint(c.lines, ==, 0);
	return err;
}

static char *
err_text(const char *text)
{
	return err_text_len(text, strlen(text));
}

static void
assert_err(const char *text, const char *want)
{
	char *e = err_text(text);

	g_assert_cmpstr(e, ==, want);
	g_free(e);
}

static void
assert_strip(const char *text, const char *want)
{
	char *s = sm_commands_strip_text(text, strlen(text));

	g_assert_cmpstr(s, ==, want);
	g_free(s);
}

static sm_commands
ok_html(const char *html)
{
	sm_commands c;
	char *err = NULL;

	if (!sm_commands_parse_html(html, strlen(html), &c, &err))
		g_error("refused %s: %s", html, err);
	return c;
}

static void
assert_err_html(const char *html, const char *want)
{
	sm_commands c;
	char *err = NULL;

	g_assert_false(sm_commands_parse_html(html, strlen(html), &c, &err));
	check_err(err);
	if (want != NULL)
		g_assert_cmpstr(err, ==, want);
	g_free(err);
}

static void
assert_strip_html(const char *html, const char *want)
{
	char *s = sm_commands_strip_html(html, strlen(html));
	sm_commands c;
	char *err = NULL;

	g_assert_cmpstr(s, ==, want);
	/* what is left starts with text: no command any more */
	g_assert_true(sm_commands_parse_html(s, strlen(s), &c, &err));
	g_assert_cmpint(c.lines, ==, 0);
	g_free(s);
}

/* ------------------------------------------------------------------ text */

static void
test_each(void)
{
	sm_commands c;

	c = ok_text("#status resolved\n\nThanks, fixed.\n");
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(c.priority, ==, -1);
	g_assert_null(c.assign);
	g_assert_false(c.note);
	g_assert_cmpint(c.lines, ==, 1);

	c = ok_text("#priority urgent\n");
	g_assert_cmpint(c.priority, ==, SM_PRIO_URGENT);
	g_assert_cmpint(c.status, ==, -1);

	c = ok_text("#assign bob@example.com\nhi");
	g_assert_cmpstr(c.assign, ==, "bob@example.com");
	sm_commands_clear(&c);
	g_assert_null(c.assign);
	g_assert_cmpint(c.status, ==, -1);

	c = ok_text("#note\ncalled the customer");
	g_assert_true(c.note);

	for (int s = SM_ST_OPEN; s < SM_ST_COUNT; s++) {
		char *t = g_strdup_printf("#status %s\n", sm_status_name(s));

		c = ok_text(t);
		g_assert_cmpint(c.status, ==, s);
		g_free(t);
	}
	for (int p = 0; p < SM_PRIO_COUNT; p++) {
		char *t = g_strdup_printf("#priority %s", sm_priority_name(p));

		c = ok_text(t);
		g_assert_cmpint(c.priority, ==, p);
		g_free(t);
	}
}

static void
test_block(void)
{
	sm_commands c;

	/* all four, blank lines before and between, case-insensitive */
	c = ok_text("\n  \n#STATUS Pending\n\n#Priority HIGH\n"
	    "#assign <Alice@Example.COM>\n\t\n#NoTe\n\nText\n#status closed\n");
	g_assert_cmpint(c.status, ==, SM_ST_PENDING);
	g_assert_cmpint(c.priority, ==, SM_PRIO_HIGH);
	g_assert_cmpstr(c.assign, ==, "alice@example.com");
	g_assert_true(c.note);
	g_assert_cmpint(c.lines, ==, 8);
	sm_commands_clear(&c);

	/* no commands */
	c = ok_text("Hello,\n#status resolved\n");
	g_assert_cmpint(c.status, ==, -1);
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("\n\n\n");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("> #status resolved\n");
	g_assert_cmpint(c.lines, ==, 0);
	g_assert_true(sm_commands_parse(NULL, 0, &c, NULL));
	g_assert_cmpint(c.lines, ==, 0);

	/* commands after text are text, even after a blank line */
	c = ok_text("#status open\nHello\n\n#priority low\n#bogus\n");
	g_assert_cmpint(c.status, ==, SM_ST_OPEN);
	g_assert_cmpint(c.priority, ==, -1);
	g_assert_cmpint(c.lines, ==, 1);

	/* '#' and no letter: text, which ends the block */
	c = ok_text("#1 ticket is fixed\n#status closed\n");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("##status closed\n");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("#\n#status closed\n");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("# status closed\n");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_text("#status open\n#-- \n#status closed");
	g_assert_cmpint(c.status, ==, SM_ST_OPEN);
	g_assert_cmpint(c.lines, ==, 1);
	c = ok_text("#\xc3\xa9tat ouvert\n");     /* a non-ASCII letter */
	g_assert_cmpint(c.lines, ==, 0);
}

static void
test_blanks(void)
{
	sm_commands c;

	/* CRLF, a BOM, NBSP, tabs, U+3000, zero-width space around values */
	c = ok_text("\xef\xbb\xbf#status resolved\r\n#priority\xc2\xa0low\xc2\xa0\r\n"
	    "\r\nHi\r\n");
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(c.priority, ==, SM_PRIO_LOW);
	g_assert_cmpint(c.lines, ==, 2);
	c = ok_text("  \t#status\t\tclosed \t\n");
	g_assert_cmpint(c.status, ==, SM_ST_CLOSED);
	c = ok_text("\xe3\x80\x80#priority\xe2\x80\x8bnormal\xe2\x80\x8b\n");
	g_assert_cmpint(c.priority, ==, SM_PRIO_NORMAL);
	c = ok_text("#note\r\n");
	g_assert_true(c.note);
	c = ok_text("\xc2\xa0\n\xef\xbb\xbf\n#note");
	g_assert_true(c.note);
	g_assert_cmpint(c.lines, ==, 3);
}

static void
test_repeats(void)
{
	sm_commands c;

	c = ok_text("#status resolved\n#STATUS Resolved\n#note\n#note\n"
	    "#assign a@b.example\n#assign <A@B.example>\n");
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	g_assert_cmpstr(c.assign, ==, "a@b.example");
	sm_commands_clear(&c);
	assert_err("#status resolved\n#status pending\n",
	    "conflicting #status on line 2: \"pending\" after \"resolved\"; "
	    "give each command once");
	assert_err("#priority low\n\n#priority high\n",
	    "conflicting #priority on line 3: \"high\" after \"low\"; "
	    "give each command once");
	assert_err("#assign a@b.example\n#assign c@d.example\n",
	    "conflicting #assign on line 2: \"c@d.example\" after "
	    "\"a@b.example\"; give each command once");
}

static void
test_errors(void)
{
	assert_err("#stauts resolved\n",
	    "unknown command \"#stauts\" on line 1; known: #status #priority "
	    "#assign #note");
	assert_err("\n#frobnicate now\n", "unknown command \"#frobnicate\" on "
	    "line 2; known: #status #priority #assign #note");
	assert_err("#status resolved\n#priority soon\n",
	    "bad value \"soon\" for #priority on line 2; known: urgent high "
	    "normal low");
	assert_err("#status resolved now\n",
	    "bad value \"resolved now\" for #status on line 1; known: open "
	    "pending resolved closed");
	assert_err("#status new\n", "bad value \"new\" for #status on line 1; "
	    "known: open pending resolved closed");
	assert_err("#status\n", "missing value for #status on line 1; known: "
	    "open pending resolved closed");
	assert_err("#priority \xc2\xa0 \r\n", "missing value for #priority on "
	    "line 1; known: urgent high normal low");
	assert_err("#note call him back\n", "bad value \"call him back\" for "
	    "#note on line 1; #note takes no value");
	assert_err("#assign\n", "missing value for #assign on line 1; expected "
	    "one address (name@example.com)");
	assert_err("#assign bob\n", "bad value \"bob\" for #assign on line 1; "
	    "expected one address (name@example.com)");
	assert_err("#assign Bob <bob@example.com>\n", "bad value \"Bob "
	    "<bob@example.com>\" for #assign on line 1; expected one address "
	    "(name@example.com)");
	assert_err("#assign a@b.example,c@d.example\n", "bad value "
	    "\"a@b.example,c@d.example\" for #assign on line 1; expected one "
	    "address (name@example.com)");
	/* a bidi override in an address */
	assert_err("#assign ev\xe2\x80\xaeil@x.example\n", "bad value "
	    "\"ev?il@x.example\" for #assign on line 1; expected one address "
	    "(name@example.com)");
	assert_err("#status: resolved\n", "unknown command \"#status:\" on line "
	    "1; known: #status #priority #assign #note");
	/* a bad line refuses the message even after good ones */
	assert_err("#status resolved\n\n\n#priority\n", "missing value for "
	    "#priority on line 4; known: urgent high normal low");
}

static void
test_hostile(void)
{
	GString *s = g_string_new("#status ");
	char *e;

	/* a 998-byte command line */
	while (s->len < 998)
		g_string_append_c(s, 'x');
	g_string_append(s, "\r\nbody\r\n");
	e = err_text(s->str);
	g_assert_true(g_str_has_prefix(e, "bad value \"xxxxxxxxxx"));
	g_assert_nonnull(strstr(e, "...\" for #status on line 1"));
	g_free(e);
	/* a 998-byte command name, and a line of a megabyte */
	g_string_assign(s, "#");
	while (s->len < 998)
		g_string_append_c(s, 'z');
	e = err_text(s->str);
	g_assert_true(g_str_has_prefix(e, "unknown command \"#zzz"));
	g_free(e);
	while (s->len < (1 << 20))
		g_string_append(s, "z ");
	e = err_text(s->str);
	g_free(e);
	/* a megabyte of blank lines before a command */
	g_string_truncate(s, 0);
	while (s->len < (1 << 20))
		g_string_append(s, "\r\n");
	g_string_append(s, "#priority low\n");
	{
		sm_commands c = ok_text(s->str);

		g_assert_cmpint(c.priority, ==, SM_PRIO_LOW);
		g_assert_cmpint(c.lines, ==, (1 << 19) + 1);
	}
	g_string_free(s, TRUE);

	/* invalid UTF-8 and controls appear as '?' */
	assert_err("#stat\xff\xfeus x\n", "unknown command \"#stat??us\" on line "
	    "1; known: #status #priority #assign #note");
	assert_err("#status \x1b[31mresolved\x07\n", "bad value \"?[31mresolved?\""
	    " for #status on line 1; known: open pending resolved closed");
	assert_err("#priority \"hi\\gh\"\n", "bad value \"'hi\\gh'\" for "
	    "#priority on line 1; known: urgent high normal low");
	assert_err("#priority h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n",
	    "bad value \"h???\" for #priority on line 1; known: urgent high "
	    "normal low");
	assert_err("#status re\xe2\x82solved\n", "bad value \"re??solved\" for "
	    "#status on line 1; known: open pending resolved closed");
	/* a lone CR is a blank, a NUL is not */
	assert_err("#status open\rclosed\n", "bad value \"open?closed\" for "
	    "#status on line 1; known: open pending resolved closed");
	e = err_text_len("#status open\0\n", 14);
	g_assert_cmpstr(e, ==, "bad value \"open?\" for #status on line 1; "
	    "known: open pending resolved closed");
	g_free(e);
	e = err_text_len("#assign a@b.example\0x\n", 22);
	g_free(e);
}

static void
test_strip(void)
{
	/* without commands: the same bytes */
	assert_strip("Hello\n#status resolved\n", "Hello\n#status resolved\n");
	assert_strip("", "");
	assert_strip("\n\nHi", "\n\nHi");
	assert_strip("\xef\xbb\xbfHi", "\xef\xbb\xbfHi");
	/* refused: the same bytes */
	assert_strip("#stauts x\nHi\n", "#stauts x\nHi\n");
	/* the block and the blank lines after it */
	assert_strip("#status resolved\nHi\n", "Hi\n");
	assert_strip("\n#status resolved\n\n \t\n#priority low\n\n\nHi,\n\n"
	    "#note\n", "Hi,\n\n#note\n");
	assert_strip("\xef\xbb\xbf#status resolved\r\n\r\nDear Ann,\r\nbye\r\n",
	    "Dear Ann,\r\nbye\r\n");
	assert_strip("#note\n", "");
	assert_strip("#note", "");
	assert_strip("#note\n\n  ", "");
	assert_strip("#status open\n  indented text\n", "  indented text\n");
	{
		char *s = sm_commands_strip_text(NULL, 0);

		g_assert_cmpstr(s, ==, "");
		g_free(s);
	}
}

/* ------------------------------------------------------------------ HTML */

static const char gmail[] =
    "<div dir=\"ltr\">#status resolved<div>#priority high</div><div><br>"
    "</div><div>Hi Ann,</div><div><br></div><div>the printer is fixed."
    "</div></div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
    "class=\"gmail_attr\">On Mon, Ann wrote:<br></div><blockquote "
    "class=\"gmail_quote\">#status open</blockquote></div>\n";

static const char gmail_stripped[] =
    "<div dir=\"ltr\"><div>Hi Ann,</div><div><br></div><div>the printer is "
    "fixed.</div></div><br><div class=\"gmail_quote\"><div dir=\"ltr\" "
    "class=\"gmail_attr\">On Mon, Ann wrote:<br></div><blockquote "
    "class=\"gmail_quote\">#status open</blockquote></div>\n";

static const char outlook[] =
    "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">\r\n"
    "<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; "
    "charset=utf-8\">\r\n<style><!--\r\np.MsoNormal {margin:0cm;}\r\n-->"
    "</style>\r\n</head>\r\n<body lang=\"EN-US\" link=\"#0563C1\">\r\n"
    "<div class=\"WordSection1\">\r\n<p class=\"MsoNormal\"><span "
    "style=\"font-size:11.0pt\">#status&nbsp;pending<o:p></o:p></span></p>"
    "\r\n<p class=\"MsoNormal\"><b>#assign</b> bob@example.com<o:p></o:p>"
    "</p>\r\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\r\n"
    "<p class=\"MsoNormal\">Hello Ann,<o:p></o:p></p>\r\n</div>\r\n</body>"
    "\r\n</html>\r\n";

static const char outlook_stripped[] =
    "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\">"
    "<head><meta http-equiv=\"Content-Type\" content=\"text/html; "
    "charset=utf-8\"><style><!--\r\np.MsoNormal {margin:0cm;}\r\n-->"
    "</style></head><body lang=\"EN-US\" link=\"#0563C1\">"
    "<div class=\"WordSection1\"><p class=\"MsoNormal\">Hello Ann,<o:p>"
    "</o:p></p>\r\n</div>\r\n</body>\r\n</html>\r\n";

static const char thunderbird[] =
    "<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv=\"content-type\""
    " content=\"text/html; charset=UTF-8\">\n  </head>\n  <body>\n"
    "    <p>&#35;status resolved<br>\n      #priority low<br>\n    </p>\n"
    "    <p>Fixed, see below.<br>\n    </p>\n    <div class=\"moz-cite-prefix\">"
    "On 1/2/26 Ann wrote:<br>\n    </div>\n  </body>\n</html>\n";

static const char thunderbird_stripped[] =
    "<!DOCTYPE html><html><head><meta http-equiv=\"content-type\""
    " content=\"text/html; charset=UTF-8\"></head><body><p>Fixed, see "
    "below.<br>\n    </p>\n    <div class=\"moz-cite-prefix\">"
    "On 1/2/26 Ann wrote:<br>\n    </div>\n  </body>\n</html>\n";

static const char apple[] =
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; "
    "charset=us-ascii\"></head><body style=\"overflow-wrap: break-word;\">"
    "#note<div>Customer called, <b>waiting</b> for logs.</div></body></html>";

static const char apple_stripped[] =
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; "
    "charset=us-ascii\"></head><body style=\"overflow-wrap: break-word;\">"
    "<div>Customer called, <b>waiting</b> for logs.</div></body></html>";

static void
test_html_clients(void)
{
	sm_commands c;

	c = ok_html(gmail);
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(c.priority, ==, SM_PRIO_HIGH);
	g_assert_cmpint(c.lines, ==, 2);
	assert_strip_html(gmail, gmail_stripped);

	c = ok_html(outlook);
	g_assert_cmpint(c.status, ==, SM_ST_PENDING);
	g_assert_cmpstr(c.assign, ==, "bob@example.com");
	g_assert_cmpint(c.lines, ==, 3);
	sm_commands_clear(&c);
	assert_strip_html(outlook, outlook_stripped);

	c = ok_html(thunderbird);
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	g_assert_cmpint(c.priority, ==, SM_PRIO_LOW);
	assert_strip_html(thunderbird, thunderbird_stripped);

	c = ok_html(apple);
	g_assert_true(c.note);
	assert_strip_html(apple, apple_stripped);
}

static void
test_html_rules(void)
{
	sm_commands c;

	/* tags inside a command line, entities */
	c = ok_html("<b>#status</b> <i>resolved</i><br>Hi");
	g_assert_cmpint(c.status, ==, SM_ST_RESOLVED);
	c = ok_html("&#x23;priority&nbsp;&nbsp;LOW<br>Hi");
	g_assert_cmpint(c.priority, ==, SM_PRIO_LOW);
	c = ok_html("<p>#assign &lt;Bob@Example.com&gt;</p><p>Hi</p>");
	g_assert_cmpstr(c.assign, ==, "bob@example.com");
	sm_commands_clear(&c);
	/* no commands; commands after text; quoted; an image */
	c = ok_html("<p>Hello</p><p>#status resolved</p>");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_html("<blockquote>#status resolved</blockquote>");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_html("<div><img src=\"cid:logo\"></div><div>#status closed</div>");
	g_assert_cmpint(c.lines, ==, 0);
	c = ok_html("<pre>#status open\n#priority low\n\nHi</pre>");
	g_assert_cmpint(c.status, ==, SM_ST_OPEN);
	g_assert_cmpint(c.priority, ==, SM_PRIO_LOW);
	c = ok_html("<style>#status { color: red }</style><title>#x</title>"
	    "<script>#y</script><!-- #z -->#note");
	g_assert_true(c.note);
	c = ok_html("");
	g_assert_cmpint(c.lines, ==, 0);
	/* "<blockquote/>" quotes what follows, as "<blockquote>" does */
	c = ok_html("#note<blockquote/>#status closed");
	g_assert_true(c.note);
	g_assert_cmpint(c.status, ==, -1);
	g_assert_cmpint(c.lines, ==, 1);
	/* line numbers as the text shows (a run of blank lines is one) */
	assert_err_html("<div><br></div><p>#status resolved</p><p>#frob x</p>",
	    "unknown command \"#frob\" on line 3; known: #status #priority "
	    "#assign #note");
	assert_err_html("#status resolved<br><br><br><br>#priority now",
	    "bad value \"now\" for #priority on line 3; known: urgent high "
	    "normal low");
	/* an image on a command line makes it a bad one */
	assert_err_html("#status resolved <img src=x>", "bad value "
	    "\"resolved ?\" for #status on line 1; known: open pending "
	    "resolved closed");
	assert_err_html("<div>#stauts <b>closed</b></div>", "unknown command "
	    "\"#stauts\" on line 1; known: #status #priority #assign #note");
	/* hostile: controls and invalid bytes in the markup */
	assert_err_html("#st&#27;atus x", "unknown command \"#st?atus\" on line "
	    "1; known: #status #priority #assign #note");
	c = ok_html("#\x7f\x1b" "a\xff<br>");       /* '#' and no letter */
	g_assert_cmpint(c.lines, ==, 0);
	assert_err_html("#a\xff\xfe<br>", "unknown command \"#a??\" on line 1; "
	    "known: #status #priority #assign #note");
}

static void
test_html_strip(void)
{
	/* without commands, refused: the same bytes */
	assert_strip_html("<div>Hello</div>", "<div>Hello</div>");
	assert_strip_html("", "");
	{
		char *s = sm_commands_strip_html("<p>#bogus x</p>", 15);

		g_assert_cmpstr(s, ==, "<p>#bogus x</p>");
		g_free(s);
	}
	/* <br>-separated lines in one element */
	assert_strip_html("<div>#status resolved<br>#priority low<br><br>Hi"
	    "</div>", "<div>Hi</div>");
	/* the whole message is commands */
	assert_strip_html("<html><body><div>#note</div></body></html>",
	    "<html><body></body></html>");
	/* the element around the first text line stays; its leading white
	 * space in <pre> too */
	assert_strip_html("<pre>#status open\n\n  code\n</pre>",
	    "<pre>  code\n</pre>");
	/* an element opened before the block and closed inside it */
	assert_strip_html("<span style=\"x\">#status open</span><div>Hi</div>",
	    "<div>Hi</div>");
	/* unclosed and misnested elements of the block stay (harmless,
	 * empty); a <blockquote> still quotes what follows (fuzz_command) */
	assert_strip_html("<div><span>#status open</div><p>Hi</p>",
	    "<div><span></div><p>Hi</p>");
	assert_strip_html("#assign b@c<p><blockquote></p>#l",
	    "<p><blockquote></p>#l");
	assert_strip_html("<p><font face=x>#status open<p>Hi",
	    "<p><font face=x><p>Hi");
	/* a non-void "<name/>" opens its element (the '/' means nothing),
	 * so "<blockquote/>" stays and still quotes what follows (the
	 * long fuzz_command campaign: the second "#note" counted again) */
	assert_strip_html("#note<blockquote/>#note", "<blockquote/>#note");
	assert_strip_html("#note<blockquote/>#bogus x", "<blockquote/>#bogus x");
	/* closed in the block: both tags go; an unclosed <div/> stays */
	assert_strip_html("#note<blockquote/></blockquote><div/>Hi", "<div/>Hi");
	/* comments in the block stay (Outlook's conditional comments) */
	assert_strip_html("<body><!--[if mso]><div><![endif]-->#status open"
	    "<br>Hi</body>", "<body><!--[if mso]><div><![endif]-->Hi</body>");
	/* entity-only and NBSP blank lines go */
	assert_strip_html("<p>#note</p><p>&nbsp;</p><p>\xc2\xa0</p><p>x</p>",
	    "<p>x</p>");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/command/each", test_each);
	g_test_add_func("/command/block", test_block);
	g_test_add_func("/command/blanks", test_blanks);
	g_test_add_func("/command/repeats", test_repeats);
	g_test_add_func("/command/errors", test_errors);
	g_test_add_func("/command/hostile", test_hostile);
	g_test_add_func("/command/strip", test_strip);
	g_test_add_func("/command/html-clients", test_html_clients);
	g_test_add_func("/command/html-rules", test_html_rules);
	g_test_add_func("/command/html-strip", test_html_strip);
	return g_test_run();
}
