#!/bin/sh
# agent_clients.sh - agents' replies as real mail clients compose them,
# end to end through the private Postfix: Thunderbird (plain text,
# format=flowed, References), Outlook (HTML with its text twin, "RE:",
# In-Reply-To only; German Outlook "AW:", HTML only, no threading headers,
# only the reply token), Apple Mail (quoted-printable), Gmail (commands in
# a <div dir="ltr">), and a reply with a PDF attachment and an inline
# image. Each reaches the customer relayed, its commands gone from text
# and HTML, and the attachment and image byte-identical after decoding.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

sm_init
sm_start_redis
sm_postfix_start "unix:$MILTER_SOCK"
SM_SENDMAIL=$(sm_postfix_sendmail)
sm_write_config
sm_start_daemon

find_mail() { grep -l "$2" $(maildir_files "$1") /dev/null 2>/dev/null | head -n 1 | grep .; }

# One ticket per client, opened by the customer; sets $id and $rt.
open_ticket()
{
	swaks_send --from ann@customer.test --to support@example.com \
	    --header 'From: Ann Lee <ann@customer.test>' --header "Subject: $1" \
	    --header "Message-Id: <$2@customer.test>" --body "Problem: $1." >"$T/open.$2.out"
	wait_for 20 find_mail support "$2@customer.test" || hard_error "customer mail $2 not delivered"
	copy=$(find_mail support "$2@customer.test")
	id=$(mail_hdr "$copy" X-Ticket-ID)
	rt=$(mail_hdr "$copy" Reply-To | sed 's/.*<//; s/>.*//')
	[ -n "$id" ] && [ -n "$rt" ] || hard_error "ticket for $2 not stamped"
}
# send FILE: the agent (trusted client) sends the message file as is
send_agent()
{
	swaks_send --from alice@example.com --to "$rt" --data "$1" >"$1.out"
	grep -q '<-  250 ' "$1.out"
}
# relayed MARK: the customer's copy holding MARK (waits)
relayed()
{
	wait_for 20 find_mail ann "$1" >/dev/null && find_mail ann "$1"
}
status_of() { ticket_json "$1" && jq_t "$1" .status; }
# part_raw FILE TYPE: the body of the first part of type TYPE in FILE (the
# message itself when it is of that type) as it is written, then its
# transfer encoding on stderr
part_raw()
{
	awk -v want="$2" '
	    BEGIN { hdr = 1 }
	    { sub(/\r$/, "") }
	    /^--/ { if (inpart) exit; hdr = 1; m = 0; enc = ""; next }
	    hdr && /^$/ { hdr = 0; if (m) { inpart = 1; print enc > "/dev/stderr" } next }
	    hdr { l = tolower($0)
		  if (index(l, "content-type: " want) == 1) m = 1
		  if (index(l, "content-transfer-encoding:") == 1) { enc = l; sub(/.*: */, "", enc) }
		  next }
	    inpart { print }' "$1"
}
# part_decoded FILE TYPE: that part decoded (base64), or with its
# quoted-printable soft line breaks joined
part_decoded()
{
	local enc
	enc=$(part_raw "$1" "$2" 2>&1 >/dev/null)
	if [ "$enc" = base64 ]; then
		part_raw "$1" "$2" 2>/dev/null | base64 -d 2>/dev/null
	else
		part_raw "$1" "$2" 2>/dev/null | sed -e :a -e '/=$/N; s/=\n//; ta'
	fi
}

# 1. Thunderbird: plain text, format=flowed, References and In-Reply-To.
open_ticket "VPN down" tb
cat >"$T/tb.eml" <<EOM
From: Alice Agent <alice@example.com>
To: Example Support <$rt>
Subject: Re: [Support #$id] VPN down
Message-ID: <tb-reply@example.com>
In-Reply-To: <tb@customer.test>
References: <tb@customer.test>
User-Agent: Mozilla Thunderbird
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

#status pending

Hello Ann, Thunderbird here: the VPN works again.

On 06.12.26 10:00, Ann Lee wrote:
> Problem: VPN down.
EOM
check "Thunderbird: accepted" send_agent "$T/tb.eml"
r=$(relayed 'Thunderbird here')
check "Thunderbird: relayed" test -n "$r"
check "Thunderbird: command gone" eval '! mail_body "$r" | grep -q "^#status"'
check "Thunderbird: quoted text kept" eval 'mail_body "$r" | grep -q "^> Problem: VPN down"'
check "Thunderbird: pending" test "$(status_of "$id")" = pending

# 2. Outlook: multipart/alternative, RE:, In-Reply-To only, commands in
# Word's HTML paragraphs and in the text twin.
open_ticket "Printer jam" ol
cat >"$T/ol.eml" <<EOM
From: Alice Agent <alice@example.com>
To: Example Support <$rt>
Subject: RE: [Support #$id] Printer jam
Message-ID: <ol-reply@EXCH01.example.com>
In-Reply-To: <ol@customer.test>
Thread-Topic: [Support #$id] Printer jam
Thread-Index: AQHZabcdefghijk
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="_000_OL_"

--_000_OL_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

#priority urgent

Hi Ann, Outlook speaking: open tray 2 and pull the sheet.

--_000_OL_
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head><meta http-=
equiv=3D"Content-Type" content=3D"text/html; charset=3Dus-ascii"></head><bo=
dy lang=3D"EN-US"><div class=3D"WordSection1"><p class=3D"MsoNormal">#prior=
ity urgent<o:p></o:p></p><p class=3D"MsoNormal"><o:p>&nbsp;</o:p></p><p cla=
ss=3D"MsoNormal">Hi Ann, Outlook speaking: open tray 2 and pull the sheet.<=
o:p></o:p></p></div></body></html>

--_000_OL_--
EOM
check "Outlook: accepted" send_agent "$T/ol.eml"
r=$(relayed 'Outlook speaking')
check "Outlook: relayed" test -n "$r"
check "Outlook: command gone from text and HTML" eval '! mail_body "$r" | grep -qi "#prior"'
check "Outlook: the HTML twin is there" eval 'grep -qi "^Content-Type: text/html" "$r"'
check "Outlook: priority urgent" eval 'ticket_json "$id" && [ "$(jq_t "$id" .priority)" = urgent ]'

# 3. German Outlook: AW:, HTML only, no In-Reply-To or References: the
# reply token alone threads it.
open_ticket "Rechnung falsch" de
cat >"$T/de.eml" <<EOM
From: Alice Agent <alice@example.com>
To: <$rt>
Subject: AW: Rechnung falsch
Message-ID: <de-reply@EXCH01.example.com>
X-Mailer: Microsoft Outlook 16.0
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

$(printf '%s' '<html><body><div>#status resolved</div><div><br></div><div>Hallo Ann, die Rechnung ist korrigiert (Outlook auf Deutsch).</div></body></html>' | base64)
EOM
check "German Outlook: accepted" send_agent "$T/de.eml"
r=$(relayed 'AW: ')
check "German Outlook: relayed" test -n "$r"
check "German Outlook: resolved" test "$(status_of "$id")" = resolved
check "German Outlook: command gone" eval '! part_decoded "$r" text/html | grep -q "#status"'
check "German Outlook: text kept" eval 'part_decoded "$r" text/html | grep -q "Rechnung ist korrigiert"'

# 4. Apple Mail: quoted-printable text twin and HTML.
open_ticket "Mac sync" am
cat >"$T/am.eml" <<EOM
From: Alice Agent <alice@example.com>
To: Example Support <$rt>
Subject: Re: [Support #$id] Mac sync
Message-Id: <AM-REPLY-1@example.com>
In-Reply-To: <am@customer.test>
References: <am@customer.test>
X-Mailer: Apple Mail (2.3731)
Mime-Version: 1.0 (Mac OS X Mail 16.0)
Content-Type: multipart/alternative; boundary="Apple-Mail=_AM"

--Apple-Mail=_AM
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain; charset=utf-8

#assign bob@example.com

Hi Ann, Apple Mail: sync fixed =E2=80=93 please restart.
--Apple-Mail=_AM
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html; charset=utf-8

<html><head></head><body style=3D"word-wrap: break-word;"><div>#assign bob@e=
xample.com</div><div><br></div><div>Hi Ann, Apple Mail: sync fixed =E2=80=93=
 please restart.</div></body></html>
--Apple-Mail=_AM--
EOM
check "Apple Mail: accepted" send_agent "$T/am.eml"
r=$(relayed 'Apple Mail')
check "Apple Mail: relayed" test -n "$r"
check "Apple Mail: assigned to bob" eval 'ticket_json "$id" && [ "$(jq_t "$id" .assignee)" = bob@example.com ]'
check "Apple Mail: command gone" eval '! mail_body "$r" | grep -q "#assign"'

# 5. Gmail: commands in <div dir="ltr">.
open_ticket "Login fails" gm
cat >"$T/gm.eml" <<EOM
From: Alice Agent <alice@example.com>
To: Example Support <$rt>
Subject: Re: [Support #$id] Login fails
Message-ID: <CAGmail+reply@mail.gmail.com>
In-Reply-To: <gm@customer.test>
References: <gm@customer.test>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000gm"

--000000000000gm
Content-Type: text/plain; charset="UTF-8"

#note

Gmail: checked the logs, an internal note only.

--000000000000gm
Content-Type: text/html; charset="UTF-8"

<div dir="ltr">#note<div><br></div><div>Gmail: checked the logs, an internal note only.</div></div>

--000000000000gm--
EOM
check "Gmail: accepted" send_agent "$T/gm.eml"
check "Gmail: stored as a note" eval 'ticket_json "$id" && [ "$(jq_t "$id" "[.messages[] | select(.direction == \"note\")] | length")" = 1 ]'

# 6. A PDF and an inline image: byte-identical after decoding.
open_ticket "Need the form" att
head -c 6000 /dev/urandom >"$T/blob"
{ printf '%%PDF-1.4\n'; cat "$T/blob"; printf '\n%%%%EOF\n'; } >"$T/form.pdf"
# a real 1x1 PNG
printf 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==' |
    base64 -d >"$T/dot.png"
cat >"$T/att.eml" <<EOM
From: Alice Agent <alice@example.com>
To: Example Support <$rt>
Subject: Re: [Support #$id] Need the form
Message-ID: <att-reply@example.com>
In-Reply-To: <att@customer.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MIX"

--MIX
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

#status pending

Here is the form, and a screenshot: [image]

--ALT
Content-Type: text/html; charset=utf-8

<div>#status pending</div><div><br></div><div>Here is the form, and a screenshot: <img src="cid:dot@example.com"></div>

--ALT--

--REL
Content-Type: image/png; name="dot.png"
Content-Transfer-Encoding: base64
Content-ID: <dot@example.com>
Content-Disposition: inline; filename="dot.png"

$(base64 "$T/dot.png")

--REL--

--MIX
Content-Type: application/pdf; name="form.pdf"
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="form.pdf"

$(base64 "$T/form.pdf")

--MIX--
EOM
check "attachments: accepted" send_agent "$T/att.eml"
r=$(relayed 'Here is the form')
check "attachments: relayed" test -n "$r"
check "attachments: the PDF is byte-identical" eval 'part_decoded "$r" application/pdf | cmp -s - "$T/form.pdf"'
check "attachments: the inline image is byte-identical" eval 'part_decoded "$r" image/png | cmp -s - "$T/dot.png"'
check "attachments: the image keeps its Content-ID" eval 'grep -qi "^Content-ID: <dot@example.com>" "$r"'
check "attachments: command gone" eval '! mail_body "$r" | grep -q "#status"'

sm_finish
