/*
 * test_text.c - unit tests for milter/text.c, html.c and excerpt.c:
 * charset conversion with fallbacks for wrong labels and invalid bytes,
 * HTML to text, and the excerpt (quoted history and signatures of the
 * common mail clients cut).
 * Table-driven and pure: no files, no network.
 */
#include <config.h>

#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "sm_message.h"

static void
test_to_utf8(void)
{
	static const struct {
		const char *in;
		gssize len;             /* -1: strlen */
		const char *charset, *out;
	} cases[] = {
		{ "plain", -1, NULL, "plain" },
		{ "caf\xc3\xa9", -1, NULL, "café" },
		{ "caf\xe9", -1, NULL, "café" },                /* no label */
		{ "\xc3\xa9 \xe9 \x80", -1, "us-ascii", "é é €" },  /* mixed */
		{ "\xff\xfe", -1, "utf-8", "ÿþ" },              /* wrong label */
		{ "\x81", -1, NULL, "\xef\xbf\xbd" },           /* undefined */
		{ "\x80 \x93q\x94", -1, "windows-1252", "€ “q”" },
		{ "\xe9t\xe9", -1, "ISO-8859-1", "été" },
		{ "\xa4", -1, "iso-8859-15", "€" },
		{ "\xf0\xd2\xc9\xd7\xc5\xd4", -1, "koi8-r", "Привет" },
		{ "\x1b$B$3$s$K$A$O\x1b(B", -1, "iso-2022-jp", "こんにちは" },
		{ "\xbe\xc8\xb3\xe7", -1, "ks_c_5601-1987", "안녕" },
		{ "abc\xe9", -1, "x-no-such-charset", "abcé" },
		/* invalid in the declared charset, not UTF-8 either */
		{ "\x82\xa0\xff", -1, "shift_jis", "あ\xef\xbf\xbd" },
		/* labelled wrongly, but valid UTF-8 */
		{ "\xe3\x81\x82", -1, "shift_jis", "あ" },
		{ "a\0b", 3, NULL, "ab" },
		{ "a\0b", 3, "iso-8859-1", "ab" },
		{ "\xef\xbb\xbfhi", -1, "utf-8", "hi" },
		/* one BOM goes, also when a NUL hid it; a second stays */
		{ "\xef\xbb\xbf", -1, NULL, "" },
		{ "\0\xef\xbb\xbfhi", 6, NULL, "hi" },
		{ "\xef\xbb\xbf\xef\xbb\xbfx", -1, "utf-8", "\xef\xbb\xbfx" },
		/* valid UTF-8 with a NUL: the NUL goes, the rest is kept */
		{ "\xc3\xa9\0\xc3\xa9", 5, "utf-8", "éé" },
		{ "", -1, "utf-8", "" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t len = cases[i].len < 0 ? strlen(cases[i].in) :
		    (size_t)cases[i].len;
		char *out = sm_text_to_utf8(cases[i].in, len, cases[i].charset);

		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_cmpstr(out, ==, cases[i].out);
		g_free(out);
	}
	{
		char *out = sm_text_to_utf8(NULL, 5, "utf-8");

		g_assert_cmpstr(out, ==, "");
		g_free(out);
	}
}

static void
test_html(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "<p>Hello&nbsp;<b>World</b></p><p>&nbsp; &nbsp;Second&shy;</p>",
		  "Hello World\n\nSecond" },
		{ "<style>p { x: y }</style><script>alert('<b>')</script>Text",
		  "Text" },
		{ "<html><head><title>T</title><meta charset=utf-8></head>"
		  "<body>Body</body></html>", "Body" },
		{ "&lt;a&gt; &amp; &#65;&#x42; &euro; &unknown; &#150; &#0; "
		  "&#x110000; &AMP",
		  "<a> & AB € &unknown; – \xef\xbf\xbd \xef\xbf\xbd &AMP" },
		{ "a<br>b<br/>c<BR >d", "a\nb\nc\nd" },
		{ "<div>one</div><div>two</div>", "one\ntwo" },
		{ "a<br><br><br><br>b<div></div><div></div>", "a\n\nb" },
		{ "  lots   of \n\t white   space  ", "lots of white space" },
		{ "x<blockquote>quoted<br>twice</blockquote>y",
		  "x\n> quoted\n> twice\ny" },
		{ "<pre>  keep\n  this</pre>", "keep\n  this" },
		{ "a<!-- hidden <b> -->b", "ab" },
		{ "a < b && c > d", "a < b && c > d" },
		{ "<a href=\"x>y\">link</a> after", "link after" },
		{ "<table><tr><td>a</td><td>b</td></tr></table>", "a b" },
		{ "unclosed <script>var x = '", "unclosed" },
		{ "<title>no end of title", "no end of title" },
		{ "<p attr='never closed>lost", "" },
		{ "", "" },
		{ "<<>><</", "<<>><</" },
		{ "Gr\xfc\xdf", "Grüß" },       /* bytes that are not UTF-8 */
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *out = sm_html_to_text(cases[i].in, strlen(cases[i].in));

		g_assert_true(g_utf8_validate(out, -1, NULL));
		g_assert_cmpstr(out, ==, cases[i].out);
		g_free(out);
	}
}

/* Work stays linear on pathological input. */
static void
test_html_big(void)
{
	GString *s = g_string_new(NULL);
	char *out;

	for (int i = 0; i < 100000; i++)
		g_string_append(s, "<title><b>&#x41;&amp<!--");
	out = sm_html_to_text(s->str, s->len);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_free(out);
	g_string_free(s, TRUE);
}

static void
test_excerpt(void)
{
	static const struct {
		const char *name, *in, *out;
	} cases[] = {
		{ "gmail",
		  "Thanks, it works now.\r\n\r\nOn Mon, Jan 1, 2024 at 10:00 AM "
		  "Support <\r\nsupport@example.com> wrote:\r\n\r\n> Hello,\r\n"
		  "> try again.\r\n", "Thanks, it works now." },
		{ "outlook-original",
		  "Please see below.\n\n-----Original Message-----\nFrom: S\n"
		  "Sent: Monday\nSubject: x\n\nold", "Please see below." },
		{ "outlook-separator",
		  "Answer here\n\n________________________________\n"
		  "From: Support <s@example.com>\nSent: Monday, 1 January 2024 10:00\n",
		  "Answer here" },
		{ "outlook-block",
		  "Answer\n\n*From:* Support <s@example.com>\n*Sent:* Monday, 1 "
		  "January 2024 10:00\n*To:* me\n*Subject:* Re: x\n\nold text",
		  "Answer" },
		{ "outlook-german",
		  "Antwort\n\nVon: Support <s@example.com>\nGesendet: Montag, 1. Januar 2024 10:00\n"
		  "An: mich\n", "Antwort" },
		{ "apple-mail",
		  "Sure, tomorrow.\n\nSent from my iPhone\n\n> On 1 Jan 2024, at "
		  "10:00, Support <s@example.com> wrote:\n> \n> Hi\n",
		  "Sure, tomorrow." },
		{ "apple-mail-desktop",
		  "Done.\n\n> On 1 Jan 2024, at 10:00, Support <s@example.com> "
		  "wrote:\n>\n> Hi\n", "Done." },
		{ "german",
		  "Danke!\n\nAm 01.01.2024 um 10:00 schrieb Support "
		  "<s@example.com>:\n> Hallo\n", "Danke!" },
		{ "german-wrapped",
		  "Geht wieder.\n\nAm Mo., 1. Jan. 2024 um 10:00 Uhr schrieb "
		  "Support <\ns@example.com>:\n\n> Hallo\n", "Geht wieder." },
		{ "french",
		  "Merci.\n\nLe lun. 1 janv. 2024 à 10:00, Support <s@x> a "
		  "écrit :\n> Bonjour\n", "Merci." },
		{ "signature",
		  "Hi,\nplease help.\n-- \nJohn Doe\nACME Corp\n",
		  "Hi,\nplease help." },
		{ "outlook-footer",
		  "Yes.\n\nGet Outlook for iOS<https://aka.ms/o0ukef>\n"
		  "________________________________\nFrom: x\n", "Yes." },
		{ "german-footer",
		  "Ja.\n\nVon meinem iPhone gesendet\n\n> Am 01.01.2024 um 10:00 "
		  "schrieb S <s@x>:\n", "Ja." },
		{ "bottom-post",
		  "On Mon, 1 Jan 2024, Support <s@x> wrote:\n> Which version?\n\n"
		  "Version 2.1.\n", "Version 2.1." },
		{ "interleaved",
		  "Hi,\n\nOn Mon, 1 Jan 2024, Support <s@x> wrote:\n> Version?\n"
		  "2.1\n> OS?\nLinux\n\n-- \nJane\n", "Hi,\n\n2.1\nLinux" },
		{ "only-quote",
		  "> quoted only\n> more\n", "> quoted only\n> more" },
		{ "only-attribution",
		  "On Mon, 1 Jan 2024, Support <s@x> wrote:\n> q\n",
		  "On Mon, 1 Jan 2024, Support <s@x> wrote:\n> q" },
		{ "tidy",
		  "\n\n  Line one   \n\n\n\nLine two\r\n   indented\n\n\n",
		  "Line one\n\nLine two\n   indented" },
		{ "not-an-attribution",
		  "On Monday I could not log in.\nIt said: wrong password\n",
		  "On Monday I could not log in.\nIt said: wrong password" },
		{ "long-sent-from-line",
		  "Sent from my office PC the form you asked for, but it failed "
		  "again.\nPlease check.\n",
		  "Sent from my office PC the form you asked for, but it failed "
		  "again.\nPlease check." },
		{ "empty", "", "" },
		{ "blank", " \r\n\t\n", "" },
		/* attributions in other languages (quote_rules.c) */
		{ "italian",
		  "Grazie.\n\nIl giorno lun 1 gen 2024 alle ore 10:00 Support <s@x> "
		  "ha scritto:\n> Ciao\n", "Grazie." },
		{ "dutch",
		  "Bedankt.\n\nOp ma 1 jan. 2024 om 10:00 schreef Support <s@x>:\n"
		  "> Hallo\n", "Bedankt." },
		{ "polish",
		  "Dzięki.\n\nW dniu 1.01.2024 o 10:00, Support pisze:\n> Cześć\n",
		  "Dzięki." },
		{ "russian-no-verb",
		  "Спасибо.\n\nпн, 1 янв. 2024 г. в 10:00, Support <s@x.ru>:\n"
		  "> Привет\n", "Спасибо." },
		{ "chinese",
		  "谢谢。\n\nSupport <s@x.cn> 于2024年1月1日周一 10:00写道：\n> 你好\n",
		  "谢谢。" },
		{ "japanese",
		  "ありがとう。\n\n2024年1月1日(月) 10:00 Support <s@x.jp>:\n> こんにちは\n",
		  "ありがとう。" },
		{ "date-address",
		  "Thanks\n\n30.09.2017, 18:30, \"Support\" <s@x>:\n> Hi\n", "Thanks" },
		/* history without '>' below an attribution or a header block */
		{ "unquoted-history",
		  "New text.\n\nOn Mon, 1 Jan 2024 at 10:00, Support <s@x> wrote:\n\n"
		  "Old text, not quoted.\nMore old text.\n", "New text." },
		{ "french-header-block",
		  "Réponse\n\nDe : Support <s@x>\nEnvoyé : lundi 1 janvier 2024 10:00\n"
		  "À : moi\nObjet : RE: x\n\nancien texte\n", "Réponse" },
		{ "italian-header-block",
		  "Risposta\n\nDa: Support <s@x>\nInviato: lunedì 1 gennaio 2024 10:00\nA: me\n"
		  "Oggetto: R: x\n\nvecchio\n", "Risposta" },
		{ "russian-header-block",
		  "Ответ\n\nОт: Support <s@x>\nОтправлено: 1 января 2024 г. 10:00\n"
		  "Кому: me\nТема: RE: x\n\nстарый\n", "Ответ" },
		{ "hotmail-date-first",
		  "Reply\n\nDate: Mon, 1 Jan 2024 10:00:00\nFrom: s@x\nSubject: x\n"
		  "To: me\n\nold\n", "Reply" },
		{ "danish-separator",
		  "Svar\n\n-----Oprindelig meddelelse-----\nFra: s@x\n", "Svar" },
		{ "reply-message-separator",
		  "Answer\n\n-----Reply Message-----\nFrom: s@x\n", "Answer" },
		{ "dashed-attribution",
		  "Answer\n\n---- On Mon, 01 Jan 2024 10:00:00 +0100 Support <s@x> "
		  "wrote ----\n\nold\n", "Answer" },
		/* attributions glued to the reply */
		{ "no-blank-above",
		  "Thanks a lot\nOn Mon, 1 Jan 2024, Support <s@x> wrote:\n> Hi\n",
		  "Thanks a lot" },
		{ "same-line",
		  "Thanks a lot! On Mon, 1 Jan 2024, Support <s@x> wrote:\n> Hi\n",
		  "Thanks a lot!" },
		{ "wrote-without-colon",
		  "Ok\n\nOn Mon, 1 Jan 2024, Support <s@x> wrote\n> Hi\n", "Ok" },
		/* footers */
		{ "spanish-footer",
		  "Sí.\n\nEnviado desde mi iPhone\n\n> El 1 ene 2024, Support escribió:\n",
		  "Sí." },
		{ "android-outlook-footer",
		  "Ja\n\nGesendet von Outlook für Android<https://aka.ms/x>\n", "Ja" },
		/* never over-cut */
		{ "wrote-in-a-sentence",
		  "My colleague wrote: the printer is broken.\nSent from the office, "
		  "the report is attached.\nFrom: the second floor\n",
		  "My colleague wrote: the printer is broken.\nSent from the office, "
		  "the report is attached.\nFrom: the second floor" },
		{ "wrote-in-a-url",
		  "See http://example.com/2017/what-he-wrote:\nit explains it.\n",
		  "See http://example.com/2017/what-he-wrote:\nit explains it." },
		{ "emphasis-not-quote",
		  "Please open\n>>> http://example.com/login <<<\nand retry.\n",
		  "Please open\n>>> http://example.com/login <<<\nand retry." },
		{ "forwarded-gmail",
		  "See below.\n\n---------- Forwarded message ---------\nFrom: Bank "
		  "<b@x>\nDate: Mon, 1 Jan 2024\nSubject: Invoice\nTo: me\n\n"
		  "Please pay 42 EUR.\n> and a quote in it\n",
		  "See below.\n\n---------- Forwarded message ---------\nFrom: Bank "
		  "<b@x>\nDate: Mon, 1 Jan 2024\nSubject: Invoice\nTo: me\n\n"
		  "Please pay 42 EUR.\n> and a quote in it" },
		{ "forwarded-apple",
		  "FYI\n\nBegin forwarded message:\n\nFrom: Bank <b@x>\nSubject: "
		  "Invoice\nDate: 1 January 2024\n\nPay now.\n",
		  "FYI\n\nBegin forwarded message:\n\nFrom: Bank <b@x>\nSubject: "
		  "Invoice\nDate: 1 January 2024\n\nPay now." },
		{ "forwarded-outlook",
		  "FYI\n\n________________________________\nFrom: Bank <b@x>\n"
		  "Sent: Monday\nTo: me\nSubject: FW: Invoice\n\nPay now.\n",
		  "FYI\n\n________________________________\nFrom: Bank <b@x>\n"
		  "Sent: Monday\nTo: me\nSubject: FW: Invoice\n\nPay now." },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *out = sm_text_excerpt(cases[i].in, SM_EXCERPT_MAX);

		if (g_strcmp0(out, cases[i].out) != 0)
			g_error("excerpt %s: got [%s]", cases[i].name, out);
		g_free(out);
	}
}

/* Cut to max bytes on a UTF-8 boundary, trailing white space trimmed:
 * what sm_text_excerpt does to its text. */
static char *
cut_like_excerpt(const char *s, size_t max)
{
	size_t len = strlen(s);
	char *c;

	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	while (len > 0 && g_ascii_isspace(s[len - 1]))
		len--;
	c = g_strndup(s, len);
	return c;
}

/* The split excerpt keeps the prefix property too, and a head without
 * new text (an attribution only) gives way to the reply below it. */
static void
test_excerpt_split_prefix(void)
{
	const char *body = "\xe5\x9c\xa8 2024\xe5\xb9\xb4 Ann <a@x.com> \xe5\x86\x99"
	    "\xe9\x81\x93\xef\xbc\x9a\n> q\nThanks\n";
	size_t new_len = strcspn(body, "\n") + 1;
	char *full = sm_text_excerpt_split(body, new_len, 100000);

	g_assert_cmpstr(full, ==, "Thanks");
	for (size_t max = 0; max <= strlen(full) + 2; max++) {
		char *want = cut_like_excerpt(full, max);
		char *got = sm_text_excerpt_split(body, new_len, max);

		g_assert_cmpstr(got, ==, want);
		g_free(want);
		g_free(got);
	}
	g_free(full);
}

/* HTML replies: the history is cut where the client's element for it
 * starts (html.c), before it is text; a forward in it is kept. */
static void
test_excerpt_html(void)
{
	static const struct {
		const char *name, *in, *out;
	} cases[] = {
		{ "gmail",
		  "<div dir=\"ltr\">Works now, thanks!</div><br><div class=\"gmail_quote\">"
		  "<div dir=\"ltr\" class=\"gmail_attr\">Am Mo., 1. Jan. 2024 um 10:00 Uhr "
		  "schrieb Support &lt;<a href=\"mailto:s@x\">s@x</a>&gt;:<br></div>"
		  "<blockquote class=\"gmail_quote\">Hello</blockquote></div>",
		  "Works now, thanks!" },
		{ "outlook-web",
		  "<div>Yes, please.</div><hr style=\"display:inline-block\">"
		  "<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font><b>Od:</b> Support<br>"
		  "<b>Wysłano:</b> poniedziałek</font></div><div>old text</div>",
		  "Yes, please." },
		{ "outlook-desktop",
		  "<div class=WordSection1><p>Answer<o:p></o:p></p><div><div style='border:none;"
		  "border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p><b>Kimden:</b> "
		  "S<br><b>Tarih:</b> 1 Ocak</p></div></div><p>eski</p></div>",
		  "Answer" },
		{ "yahoo",
		  "<div>Ok.</div><div class=\"yahoo_quoted\"><div>On Monday, Support wrote:"
		  "</div><div>old</div></div>", "Ok." },
		{ "thunderbird",
		  "<p>Fine.</p><div class=\"moz-cite-prefix\">Le 01/01/2024 à 10:00, S a "
		  "écrit&nbsp;:<br></div><blockquote type=\"cite\">old</blockquote>",
		  "Fine." },
		{ "gmail-forward",
		  "<div>See below.</div><div class=\"gmail_quote\">---------- Forwarded "
		  "message ---------<br>From: Bank &lt;b@x&gt;<br>Subject: Invoice<br><br>"
		  "Pay 42 EUR.</div>",
		  "See below.\n---------- Forwarded message ---------\nFrom: Bank <b@x>\n"
		  "Subject: Invoice\n\nPay 42 EUR." },
		{ "below-the-quote",
		  "<div class=\"gmail_quote\"><blockquote>Which version?</blockquote>"
		  "<div>Version 2.1</div></div>", "Version 2.1" },
		/* fuzz_html: a "tag" in text whose attributes name a history
		 * element; the split must not add a line break */
		{ "mark-in-a-text-tag",
		  "Ja.\nschrieb S <s@x202class=\"yahoo_quoted\"4 um 10:00 schrieb S <s@x>:\n",
		  "Ja. schrieb S" },
		{ "no-marks",
		  "<p>Hello</p><p>On Mon, 1 Jan 2024, S &lt;s@x&gt; wrote:</p>"
		  "<blockquote>old</blockquote>", "Hello" },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		size_t new_len;
		char *text = sm_html_to_text_split(cases[i].in, strlen(cases[i].in), &new_len);
		char *plain = sm_html_to_text(cases[i].in, strlen(cases[i].in));
		char *out = sm_text_excerpt_split(text, new_len, SM_EXCERPT_MAX);

		/* the text is the same as without the split */
		g_assert_cmpstr(text, ==, plain);
		g_assert_cmpuint(new_len, <=, strlen(text));
		if (g_strcmp0(out, cases[i].out) != 0)
			g_error("html excerpt %s: got [%s] (text [%s], new %zu)",
			    cases[i].name, out, text, new_len);
		g_free(out);
		g_free(plain);
		g_free(text);
	}
}

static void
test_excerpt_bounds(void)
{
	GString *s = g_string_new(NULL);
	char *out;

	/* cut at a UTF-8 boundary, never inside a character */
	out = sm_text_excerpt("ääää", 3);
	g_assert_cmpstr(out, ==, "ä");
	g_free(out);
	out = sm_text_excerpt("abc", 0);
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	out = sm_text_excerpt(NULL, 10);
	g_assert_cmpstr(out, ==, "");
	g_free(out);
	/* invalid bytes in the body still give valid UTF-8 */
	out = sm_text_excerpt("caf\xe9\xff", 100);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_free(out);

	for (int i = 0; i < 5000; i++)
		g_string_append(s, "€ line\n");
	out = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
	g_assert_cmpuint(strlen(out), <=, SM_EXCERPT_MAX);
	g_assert_cmpuint(strlen(out), >=, SM_EXCERPT_MAX - 8);
	g_assert_true(g_utf8_validate(out, -1, NULL));
	g_free(out);
	g_string_free(s, TRUE);
}

/*
 * Hostile shapes that would make a backtracking reader slow: each is
 * read once (the fuzzer's timeout watches the rest). What each gives is
 * checked, so that the test fails if the shape stops being read.
 */
static void
test_excerpt_hostile(void)
{
	static const char *const lines[] = {
		"> quoted\n", "\n", "From: x\nTo: y\n", "On 1 Jan 2024 Ann <a@x> wrote:\n> q\n",
		"-- \n", "x\n",
	};
	GString *s = g_string_new(NULL);
	char *out;

	/* one 1 MB line of '>' */
	for (int i = 0; i < 1 << 20; i++)
		g_string_append_c(s, '>');
	out = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
	g_assert_cmpuint(strlen(out), ==, SM_EXCERPT_MAX);      /* only quotes: shown */
	g_free(out);
	/* 1 MB of "wrote:" ends and lead words on one line */
	g_string_truncate(s, 0);
	for (int i = 0; i < 1 << 16; i++)
		g_string_append(s, "On 1 wrote:");
	out = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
	g_assert_cmpuint(strlen(out), ==, SM_EXCERPT_MAX);
	g_free(out);
	/* 100,000 short lines of each shape */
	for (size_t k = 0; k < G_N_ELEMENTS(lines); k++) {
		g_string_truncate(s, 0);
		g_string_append(s, "New text.\n");
		for (int i = 0; i < 100000; i++)
			g_string_append(s, lines[k]);
		out = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
		g_assert_true(g_str_has_prefix(out, "New text."));
		g_assert_cmpuint(strlen(out), <=, SM_EXCERPT_MAX);
		g_free(out);
	}
	g_string_free(s, TRUE);
}


/*
 * The excerpt's text only ever grows at its end as more of the body is
 * read, so the excerpt with a small limit is the cut of the excerpt with
 * a large one: what lets it stop reading once it has enough. Checked for
 * every limit, on bodies where what follows the cut point would matter if
 * it were read: a signature, quotes, an attribution of answered quotes,
 * CR line ends, a BOM and bytes that are not UTF-8.
 */
static void
test_excerpt_prefix(void)
{
	static const char *const bodies[] = {
		"First line of the answer.\n\n   indented\nmore text here\n"
		"-- \nsignature\n",
		"\xef\xbb\xbfHello,\r\n\r\nsee below.\r> quoted\r\n"
		"On Mon, 1 Jan 2024, Support <s@x> wrote:\n> Version?\n2.1\n"
		"> OS?\nLinux\n\nSent from my iPhone\n",
		"On Mon, 1 Jan 2024, Support <s@x> wrote:\n> Which version?\n\n"
		"Version 2.1, caf\xe9 \xff and more.\n\nThanks\n",
		"> only\n> quotes\n>\n> here\n",
		"ääää ööö üüü €€€ line one\nline two ääää\n\n\n\nline three\n"
		"-----Original Message-----\nFrom: x\n",
		"Answer\n\n*From:* Support <s@example.com>\n*Sent:* Monday\n",
	};

	for (size_t b = 0; b < G_N_ELEMENTS(bodies); b++) {
		char *full = sm_text_excerpt(bodies[b], 100000);
		size_t n = strlen(full);

		g_assert_true(g_utf8_validate(full, -1, NULL));
		for (size_t max = 0; max <= n + 2; max++) {
			char *want = cut_like_excerpt(full, max);
			char *got = sm_text_excerpt(bodies[b], max);

			if (strcmp(want, got) != 0)
				g_error("excerpt %zu, max %zu: got [%s], want [%s]",
				    b, max, got, want);
			g_free(want);
			g_free(got);
		}
		g_free(full);
	}
}

/* Text beyond the limit, however it looks, does not change the excerpt. */
static void
test_excerpt_long(void)
{
	GString *s = g_string_new(NULL);
	char *a, *b;

	for (int i = 0; i < 200; i++)
		g_string_append(s, "The customer's own words, line after line.\n");
	a = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
	g_string_append(s, "On Mon, 1 Jan 2024, Support <s@x> wrote:\n> q\n"
	    "answer\n-- \nsig\n\xff\xfe");
	for (int i = 0; i < 10000; i++)
		g_string_append(s, "> an old quote\r\n");
	b = sm_text_excerpt(s->str, SM_EXCERPT_MAX);
	g_assert_cmpstr(a, ==, b);
	g_assert_cmpuint(strlen(b), <=, SM_EXCERPT_MAX);
	g_assert_cmpuint(strlen(b), >, SM_EXCERPT_MAX - 50);
	g_free(a);
	g_free(b);
	g_string_free(s, TRUE);
}

int
main(int argc, char **argv)
{
	int rc;

	g_mime_init();
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/text/to-utf8", test_to_utf8);
	g_test_add_func("/text/html", test_html);
	g_test_add_func("/text/html-big", test_html_big);
	g_test_add_func("/text/excerpt", test_excerpt);
	g_test_add_func("/text/excerpt-html", test_excerpt_html);
	g_test_add_func("/text/excerpt-split-prefix", test_excerpt_split_prefix);
	g_test_add_func("/text/excerpt-bounds", test_excerpt_bounds);
	g_test_add_func("/text/excerpt-hostile", test_excerpt_hostile);
	g_test_add_func("/text/excerpt-prefix", test_excerpt_prefix);
	g_test_add_func("/text/excerpt-long", test_excerpt_long);
	rc = g_test_run();
	g_mime_shutdown();
	return rc;
}
