/*
 * quote_rules.c - the phrases by which mail clients mark quoted history,
 * per language (the table), and the line tests of quote_rules.h built on
 * it. Sources: the clients' own output (Gmail, Outlook, Apple Mail,
 * Thunderbird, Yahoo, Yandex, Mail.ru, K-9, iOS and Android mail) as
 * public reply-parser test suites record it (tests/data/replies/
 * MANIFEST.tsv says which).
 *
 * To add a language: one row of sm_quote_langs; a phrase a client writes
 * in several languages goes in each. Phrases are matched without regard
 * to the case of ASCII letters; other letters must be written as the
 * client writes them (add both forms where a client capitalises).
 *
 * Interface: quote_rules.h. Pure, cannot fail.
 */
#include <string.h>

#include <glib.h>

#include "quote_rules.h"

#define L(...) (const char *const[]){ __VA_ARGS__, NULL }
#define NONE ((const char *const[]){ NULL })

const struct sm_quote_lang sm_quote_langs[] = {
	{ .name = "en",
	  .leads = L("On "),
	  .verbs = L("wrote:", "writes:", "wrote :"),
	  .from = L("From"), .date = L("Sent", "Date"), .to = L("To"),
	  .cc = L("Cc", "Bcc"), .subject = L("Subject"),
	  .originals = L("Original Message", "Reply Message", "Original"),
	  .forwards = L("Forwarded message", "Begin forwarded message", "Forwarded by"),
	  .fwd_subjects = L("Fwd", "Fw"),
	  .footers = L("Sent from my ", "Sent from Mail for Windows", "Sent from Outlook",
	      "Sent from Outlook Mobile", "Sent from Outlook for iOS",
	      "Sent from Outlook for Android",
	      "Sent from Yahoo Mail", "Sent from Samsung", "Sent with Proton",
	      "Sent from ProtonMail", "Sent from Proton Mail", "Sent with Sparrow",
	      "Sent via the Samsung", "Sent from Gmail Mobile", "Sent from BlueMail",
	      "Sent from AOL Mobile", "Get Outlook for ", "Sent from the all new AOL",
	      "Sent from TypeApp", "Sent from Mailbird", "Sent from Spark",
	      "Sent with Airmail", "Sent from Windows Mail") },
	{ .name = "de",
	  .leads = L("Am "),
	  .verbs = L("schrieb:", "geschrieben:", "schrieb :"),
	  .from = L("Von"), .date = L("Gesendet", "Datum"), .to = L("An"),
	  .cc = L("Cc", "Kopie"), .subject = L("Betreff"),
	  .originals = L("Ursprüngliche Nachricht", "Original-Nachricht", "Originalnachricht",
	      "Antwort Nachricht"),
	  .forwards = L("Weitergeleitete Nachricht", "Anfang der weitergeleiteten",
	      "Weitergeleitet von"),
	  .fwd_subjects = L("WG", "Wg"),
	  .footers = L("Von meinem iPhone gesendet", "Von meinem iPad gesendet",
	      "Von meinem Samsung", "Von meinem Android", "Gesendet von meinem ",
	      "Gesendet von Mail für Windows", "Gesendet von Outlook für ",
	      "Gesendet von iPhone", "Von Outlook für ", "Von meinem Mobilgerät gesendet",
	      "Diese Nachricht wurde von meinem Android") },
	{ .name = "fr",
	  .leads = L("Le "),
	  .verbs = L("a écrit :", "a écrit:", "a écrit :"),
	  .from = L("De"), .date = L("Envoyé", "Envoyé le", "Date", "Message du"),
	  .to = L("À", "A"), .cc = L("Cc", "Copie à"), .subject = L("Objet", "Sujet"),
	  .originals = L("Message d'origine", "Message original", "Message d’origine"),
	  .forwards = L("Message transféré", "Début du message réexpédié",
	      "Début du message transféré"),
	  .fwd_subjects = L("TR", "Tr"),
	  .footers = L("Envoyé de mon ", "Envoyé depuis mon ",
	      "Obtenir Outlook pour ", "Envoyé de Yahoo Mail") },
	{ .name = "es",
	  .leads = L("El "),
	  .verbs = L("escribió:", "escribió :"),
	  .from = L("De"), .date = L("Enviado", "Enviado el", "Fecha"), .to = L("Para"),
	  .cc = L("CC"), .subject = L("Asunto"),
	  .originals = L("Mensaje original"),
	  .forwards = L("Mensaje reenviado", "Inicio del mensaje reenviado"),
	  .fwd_subjects = L("RV", "Rv", "RE: RV"),
	  .footers = L("Enviado desde mi ", "Enviado desde Yahoo", "Enviado desde Outlook",
	      "Obtener Outlook para ") },
	{ .name = "it",
	  .leads = L("Il giorno ", "Il ", "In data "),
	  .verbs = L("ha scritto:", "ha scritto :", "scritto:"),
	  .from = L("Da"), .date = L("Inviato", "Data"), .to = L("A"),
	  .cc = L("Cc"), .subject = L("Oggetto"),
	  .originals = L("Messaggio originale"),
	  .forwards = L("Messaggio inoltrato", "Inizio messaggio inoltrato"),
	  .fwd_subjects = L("I", "Inoltra"),
	  .footers = L("Inviato da iPhone", "Inviato dal mio ", "Inviato da Outlook",
	      "Inviato da Yahoo", "Inviato da Libero") },
	{ .name = "nl",
	  .leads = L("Op "),
	  .verbs = L("schreef:", "het volgende geschreven:", "geschreven:", "schreef :"),
	  .from = L("Van"), .date = L("Verzonden", "Datum"), .to = L("Aan"),
	  .cc = L("CC"), .subject = L("Onderwerp"),
	  .originals = L("Oorspronkelijk bericht", "Origineel bericht"),
	  .forwards = L("Doorgestuurd bericht", "Begin doorgestuurd bericht"),
	  .fwd_subjects = L("Doorst"),
	  .footers = L("Verzonden vanaf mijn ", "Verstuurd vanaf mijn ",
	      "Verzonden vanuit Outlook") },
	{ .name = "pt",
	  .leads = L("Em ", "No dia "),
	  .verbs = L("escreveu:", "escreveu :"),
	  .from = L("De"), .date = L("Enviado", "Enviada em", "Data"), .to = L("Para"),
	  .cc = L("Cc"), .subject = L("Assunto"),
	  .originals = L("Mensagem original"),
	  .forwards = L("Mensagem encaminhada", "Início da mensagem reencaminhada",
	      "Mensagem reencaminhada"),
	  .fwd_subjects = L("ENC", "Enc"),
	  .footers = L("Enviado do meu ", "Enviado do iPhone",
	      "Obter o Outlook para ") },
	{ .name = "pl",
	  .leads = L("W dniu ", "Dnia "),
	  .verbs = L("napisał(a):", "napisał:", "napisała:", "pisze:"),
	  .from = L("Od"), .date = L("Wysłano", "Data"), .to = L("Do"),
	  .cc = L("DW", "Kopia"), .subject = L("Temat"),
	  .originals = L("Wiadomość oryginalna", "Oryginalna wiadomość"),
	  .forwards = L("Wiadomość przekazana", "Przekazana wiadomość"),
	  .fwd_subjects = L("PD", "Pd"),
	  .footers = L("Wysłane z mojego ", "Wysłano z mojego ", "Wysłane z iPhone") },
	{ .name = "sv",
	  .leads = L("Den "),
	  .verbs = L("skrev:", "skrev :"),
	  .from = L("Från"), .date = L("Skickat", "Datum"), .to = L("Till"),
	  .cc = L("Kopia"), .subject = L("Ämne"),
	  .originals = L("Ursprungligt meddelande", "Originalmeddelande"),
	  .forwards = L("Vidarebefordrat meddelande", "Vidarebefordrat brev"),
	  .fwd_subjects = L("VB", "Vb"),
	  .footers = L("Skickat från min ", "Skickat från Outlook") },
	{ .name = "da+no",
	  .leads = L("Den "),
	  .verbs = L("skrev:", "skrev følgende:"),
	  .from = L("Fra"), .date = L("Sendt", "Dato"), .to = L("Til"),
	  .cc = L("Cc", "Kopi"), .subject = L("Emne"),
	  .originals = L("Oprindelig meddelelse", "Oprindelig besked", "Opprinnelig melding",
	      "Original meddelelse"),
	  .forwards = L("Videresendt meddelelse", "Videresendt besked", "Videresendt melding",
	      "Start på videresendt"),
	  .fwd_subjects = L("VS", "Vs", "VB"),
	  .footers = L("Sendt fra min ", "Sendt fra Outlook", "Sendt fra Mail") },
	{ .name = "fi",
	  .leads = NONE,
	  .verbs = L("kirjoitti:", "kirjoitti :"),
	  .from = L("Lähettäjä"), .date = L("Lähetetty", "Päivämäärä"),
	  .to = L("Vastaanottaja"), .cc = L("Kopio"), .subject = L("Aihe"),
	  .originals = L("Alkuperäinen viesti"),
	  .forwards = L("Välitetty viesti", "Edelleenlähetetty viesti"),
	  .fwd_subjects = L("VL", "Vl"),
	  .footers = L("Lähetetty iPhonesta", "Lähetetty Outlookista") },
	{ .name = "ru",
	  .leads = NONE,
	  .verbs = L("написал(а):", "написал:", "написала:", "пишет:"),
	  .from = L("От", "ОТ"), .date = L("Отправлено", "Дата"), .to = L("Кому"),
	  .cc = L("Копия"), .subject = L("Тема"),
	  .originals = L("Исходное сообщение", "Original Message"),
	  .forwards = L("Пересылаемое сообщение", "Пересланное сообщение",
	      "Перенаправленное сообщение"),
	  .fwd_subjects = L("Пересл", "FW"),
	  .footers = L("Отправлено с iPhone", "Отправлено с моего ") },
	{ .name = "cs",
	  .leads = L("Dne "),
	  .verbs = L("napsal(a):", "napsal:", "napsala:"),
	  .from = L("Od"), .date = L("Odesláno", "Datum"), .to = L("Komu"),
	  .cc = L("Kopie"), .subject = L("Předmět"),
	  .originals = L("Původní zpráva", "Původní e-mail"),
	  .forwards = L("Přeposlaná zpráva", "Přeposlaný e-mail"),
	  .fwd_subjects = L("PŘ", "Fwd"),
	  .footers = L("Odesláno z iPhonu", "Odesláno z mého ") },
	{ .name = "tr",
	  .leads = NONE,
	  .verbs = L("yazdı:", "şunu yazdı:"),
	  .from = L("Kimden"), .date = L("Gönderildi", "Gönderilme", "Tarih"),
	  .to = L("Kime"), .cc = L("Bilgi"), .subject = L("Konu"),
	  .originals = L("Orijinal mesaj", "Özgün İleti"),
	  .forwards = L("İletilen mesaj", "İletilmiş mesaj"),
	  .fwd_subjects = L("İLT", "Ilt"),
	  .footers = L("iPhone'umdan gönderildi", "iPhone’umdan gönderildi") },
	{ .name = "hu",
	  .leads = NONE,
	  .verbs = L("írta:", "ezt írta:"),
	  .from = L("Feladó"), .date = L("Elküldve", "Dátum"), .to = L("Címzett"),
	  .cc = L("Másolatot kap"), .subject = L("Tárgy"),
	  .originals = L("Eredeti üzenet"),
	  .forwards = L("Továbbított üzenet"),
	  .fwd_subjects = L("Tov"),
	  .footers = L("iPhone-ról küldve", "Az iPhone-omról küldve") },
	{ .name = "vi",
	  .leads = L("Vào "),
	  .verbs = L("đã viết:", "đã viết :"),
	  .from = L("Từ"), .date = L("Đã gửi", "Ngày"), .to = L("Đến"),
	  .cc = L("Cc"), .subject = L("Chủ đề"),
	  .originals = L("Thư gốc"),
	  .forwards = L("Thư đã chuyển tiếp", "Tin nhắn đã chuyển tiếp"),
	  .fwd_subjects = NONE,
	  .footers = L("Gửi từ iPhone của tôi") },
	{ .name = "ja",
	  .leads = NONE,
	  .verbs = L("のメッセージ:", "書きました:", "のメッセージ：", "書きました：",
	      "wrote："),
	  .from = L("差出人", "送信者"), .date = L("送信日時", "日付"), .to = L("宛先"),
	  .cc = L("CC"), .subject = L("件名"),
	  .originals = L("元のメッセージ", "原文"),
	  .forwards = L("転送されたメッセージ", "転送メッセージ"),
	  .fwd_subjects = L("転送"),
	  .footers = L("iPhoneから送信") },
	{ .name = "zh",
	  .leads = L("在 "),
	  .verbs = L("写道:", "写道：", "寫道:", "寫道："),
	  .from = L("发件人", "寄件者"), .date = L("发送时间", "日期", "寄件日期"),
	  .to = L("收件人"), .cc = L("抄送", "副本"), .subject = L("主题", "主旨"),
	  .originals = L("原始邮件", "原始郵件"),
	  .forwards = L("转发的邮件", "轉寄郵件", "Forwarded message"),
	  .fwd_subjects = L("转发", "轉寄"),
	  .footers = L("发自我的", "從我的 iPhone 傳送") },
	{ .name = "ko",
	  .leads = NONE,
	  .verbs = L("작성:", "님이 작성:"),
	  .from = L("보낸 사람"), .date = L("보낸 날짜"), .to = L("받는 사람"),
	  .cc = L("참조"), .subject = L("제목"),
	  .originals = L("원본 메시지"),
	  .forwards = L("전달된 메시지"),
	  .fwd_subjects = L("전달"),
	  .footers = L("iPhone에서 보냄") },
};

const size_t sm_quote_nlangs = G_N_ELEMENTS(sm_quote_langs);

static inline char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* Does s start with p (ASCII letters folded)? Compares as it goes, so a
 * phrase that differs at its first letter - most - costs one test. */
static bool
prefix_ci(const char *s, size_t len, const char *p, size_t *plen)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++)
		if (i >= len || lower(s[i]) != lower(p[i]))
			return false;
	*plen = i;
	return true;
}

/* The colon of a field or an attribution: ':' or the full-width one. */
static size_t
colon_at(const char *s, size_t len)
{
	if (len >= 1 && s[0] == ':')
		return 1;
	if (len >= 3 && memcmp(s, "\xEF\xBC\x9A", 3) == 0)
		return 3;
	return 0;
}

static bool
blank_or_star(char c)
{
	return c == ' ' || c == '\t' || c == '*';
}

enum sm_qfield
sm_qr_field(const char *s, size_t len, size_t *value)
{
	static const size_t MAX_NAME = 48;
	const char *colon;

	/* a field name is short: its colon comes early (most lines of text
	 * have none there, and go at once) */
	colon = memchr(s, ':', MIN(len, MAX_NAME));
	if (colon == NULL && g_strstr_len(s, MIN(len, MAX_NAME), "\xEF\xBC\x9A") == NULL)
		return SM_QF_NONE;
	for (size_t i = 0; i < sm_quote_nlangs; i++) {
		const struct sm_quote_lang *l = &sm_quote_langs[i];
		const char *const *lists[] = { l->from, l->date, l->to, l->cc, l->subject };
		const enum sm_qfield kinds[] = { SM_QF_FROM, SM_QF_DATE, SM_QF_TO,
			SM_QF_CC, SM_QF_SUBJECT };

		for (size_t k = 0; k < G_N_ELEMENTS(lists); k++) {
			for (const char *const *n = lists[k]; *n != NULL; n++) {
				size_t p, c;

				if (!prefix_ci(s, len, *n, &p))
					continue;
				while (p < len && blank_or_star(s[p]))
					p++;
				if ((c = colon_at(s + p, len - p)) == 0)
					continue;
				p += c;
				while (p < len && blank_or_star(s[p]))
					p++;
				*value = p;
				return kinds[k];
			}
		}
	}
	return SM_QF_NONE;
}

/* s without the dashes, underscores, blanks and '*' around it; false when
 * fewer than two dashes (or underscores) stood there. */
static bool
strip_rule(const char **s, size_t *len)
{
	const char *b = *s, *e = *s + *len;
	size_t dashes = 0;

	while (b < e && strchr("-_ *\t", *b) != NULL)
		dashes += *b++ != ' ';
	while (e > b && strchr("-_ *\t", e[-1]) != NULL)
		dashes += *--e != ' ';
	*s = b;
	*len = e - b;
	return dashes >= 2;
}

static bool
equal_ci(const char *s, size_t len, const char *p)
{
	return strlen(p) == len && g_ascii_strncasecmp(s, p, len) == 0;
}

bool
sm_qr_original(const char *s, size_t len)
{
	if (len == 0 || strchr("-_* \t", *s) == NULL || !strip_rule(&s, &len))
		return false;
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *o = sm_quote_langs[i].originals; *o; o++)
			if (equal_ci(s, len, *o))
				return true;
	return false;
}

/* A case-blind search of an ASCII-led phrase in a short line. */
static bool
contains_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	for (size_t i = 0; i + n <= len; i++)
		if (g_ascii_strncasecmp(s + i, p, n) == 0)
			return true;
	return false;
}

bool
sm_qr_forward(const char *s, size_t len)
{
	/* "---------- Forwarded message ---------", "Begin forwarded
	 * message:", "-------- Weitergeleitete Nachricht --------": a line
	 * drawn around the phrase, or ending in a colon (most lines of text
	 * are neither, and go at once) */
	if (len == 0 || len > 120 || (strchr("-_=*", s[0]) == NULL &&
	    s[len - 1] != ':' && !(len >= 3 && colon_at(s + len - 3, 3) == 3)))
		return false;
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *f = sm_quote_langs[i].forwards; *f; f++)
			if (contains_ci(s, len, *f)) {
				const char *b = s;
				size_t n = len;

				/* the phrase on its own, between rules or
				 * ending in a colon, not in a sentence */
				return strip_rule(&b, &n) || s[len - 1] == ':' ||
				    (len >= 3 && colon_at(s + len - 3, 3) == 3);
			}
	return false;
}

bool
sm_qr_fwd_subject(const char *s, size_t len)
{
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *f = sm_quote_langs[i].fwd_subjects; *f; f++) {
			size_t p;

			if (!prefix_ci(s, len, *f, &p))
				continue;
			while (p < len && s[p] == ' ')
				p++;
			if (colon_at(s + p, len - p))
				return true;
		}
	return false;
}

/* The first bytes (ASCII letters folded) the footers and the lead words
 * of the table start with: most lines of text start with another, and go
 * at once. */
enum { FIRST_FOOTER = 1, FIRST_LEAD = 2 };

static bool
first_byte(unsigned char c, int which)
{
	static gsize once;
	static unsigned char first[256];

	if (g_once_init_enter(&once)) {
		for (size_t i = 0; i < sm_quote_nlangs; i++) {
			for (const char *const *f = sm_quote_langs[i].footers; *f; f++)
				first[(unsigned char)g_ascii_tolower((*f)[0])] |= FIRST_FOOTER;
			for (const char *const *f = sm_quote_langs[i].leads; *f; f++)
				first[(unsigned char)g_ascii_tolower((*f)[0])] |= FIRST_LEAD;
		}
		g_once_init_leave(&once, 1);
	}
	return (first[(unsigned char)g_ascii_tolower(c)] & which) != 0;
}

/* Is the line s the footer f: a whole phrase ("Von meinem iPhone
 * gesendet", "Get Outlook for Android<https://...>") with no more words
 * ("Von meinem Android-Telefon aus ..." is text), or a phrase ending in a
 * blank ("Sent from my ") and a device of a few words, not "Sent from my
 * desk, is much easier then ...". */
static bool
footer_is(const char *s, size_t len, const char *f)
{
	size_t p, words = 0;

	if (!prefix_ci(s, len, f, &p))
		return false;
	if (f[p - 1] != ' ') {
		while (p < len && s[p] == ' ')
			p++;
		return p == len || s[p] == '<' || s[p] == '(' || s[p] == '.' ||
		    s[p] == '!' || g_ascii_isdigit(s[p]);
	}
	for (; p < len; p++) {
		if (s[p] == ',' || s[p] == ';')
			return false;
		if (s[p] == ' ' && p + 1 < len && s[p + 1] != ' ')
			words++;
	}
	return words <= 3;
}

bool
sm_qr_footer(const char *s, size_t len)
{
	/* footers are short lines; "Sent from my desk the form ..." is not */
	if (len == 0 || len > 64 || !first_byte((unsigned char)s[0], FIRST_FOOTER))
		return false;
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *f = sm_quote_langs[i].footers; *f; f++)
			if (footer_is(s, len, *f))
				return true;
	return false;
}

size_t
sm_qr_verb_end(const char *s, size_t len, bool colon_optional)
{
	/* every verb of the table ends in a colon (or the full-width one) */
	if (!colon_optional && (len == 0 || (s[len - 1] != ':' &&
	    !(len >= 3 && colon_at(s + len - 3, 3) == 3))))
		return 0;
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *v = sm_quote_langs[i].verbs; *v; v++) {
			size_t n = strlen(*v), c;

			if (len >= n && g_ascii_strncasecmp(s + len - n, *v, n) == 0)
				return n;
			if (!colon_optional)
				continue;
			/* the verb without its colon (and the blank before it) */
			c = n >= 3 && memcmp(*v + n - 3, "\xEF\xBC\x9A", 3) == 0 ? 3 : 1;
			if (n <= c)
				continue;
			n -= c;
			while (n > 0 && (*v)[n - 1] == ' ')
				n--;
			if (len >= n && g_ascii_strncasecmp(s + len - n, *v, n) == 0)
				return n;
		}
	return 0;
}

size_t
sm_qr_lead(const char *s, size_t len)
{
	if (len == 0 || !first_byte((unsigned char)s[0], FIRST_LEAD))
		return 0;
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *l = sm_quote_langs[i].leads; *l; l++) {
			size_t p;

			if (prefix_ci(s, len, *l, &p))
				return p;
		}
	return 0;
}

bool
sm_qr_verb_inside(const char *s, size_t len)
{
	for (size_t i = 0; i < sm_quote_nlangs; i++)
		for (const char *const *v = sm_quote_langs[i].verbs; *v; v++) {
			char w[64];
			size_t n = strlen(*v);

			/* " schrieb " of "schrieb:" */
			while (n > 0 && ((*v)[n - 1] == ':' || (*v)[n - 1] == ' '))
				n--;
			if (n == 0 || n + 2 >= sizeof(w) || (unsigned char)(*v)[0] >= 0x80)
				continue;
			w[0] = ' ';
			memcpy(w + 1, *v, n);
			w[n + 1] = ' ';
			w[n + 2] = '\0';
			if (contains_ci(s, len, w))
				return true;
		}
	return false;
}
