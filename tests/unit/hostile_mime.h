/*
 * hostile_mime.h - the malformed and hostile messages of test_parse.c's
 * /parse/hostile test, as one list of string literals, so that
 * tools/parse_dump (the before/after identity check of the parser) runs
 * the very same inputs. Usage: { SM_HOSTILE_MIME, ... }.
 */
#ifndef SM_HOSTILE_MIME_H
#define SM_HOSTILE_MIME_H

#define SM_HOSTILE_MIME \
	"", "\n", "\r\n\r\n", ":", "From:", "Subject:\n", \
	"no header separator at all", \
	"Subject: header only", \
	"Subject: x\nFrom: <>\nMessage-ID: <>\nReferences: < >\n\n", \
	"Content-Type: multipart/mixed; boundary=b\n\n--b\n--b--\n", \
	"Content-Type: multipart/mixed\n\nno boundary\n", \
	"Content-Type: message/rfc822\n\n", \
	"Content-Type: text/html\n\n<script>unclosed", \
	"Content-Type: text/plain; charset=x-nonsense\n\n\xff\xfe", \
	"Content-Transfer-Encoding: base64\n\n!!!!====", \
	"Subject: =?utf-8?B?====?= =?x?Q?=?= =?utf-8?Q?a", \
	"From: =?utf-8?Q?\"a\\\\?= <b@c>, \"=?utf-8?B?Ig==?=\" <d@e>\n"

#endif
