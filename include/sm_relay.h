/*
 * sm_relay.h - the body of an agent's reply as the customer receives it
 * (SPEC sections 6 and 7): the agent's message's content with the
 * command block (sm_command.h) taken out, as one MIME entity that the
 * composer puts under its own header fields (From "Agent via Queue",
 * Subject, threading, MIME-Version, ...).
 *
 * sm_relay_body_build() (milter/agent/relay_body.c) takes the agent's
 * whole message as received (header block, blank line, body; CRLF or LF)
 * and makes:
 *
 * - entity: Content-Type, Content-Transfer-Encoding, Content-Disposition
 *   and Content-Language of the message (nothing else of its header: no
 *   address, no Message-ID, no X- field of the agent's), a blank line,
 *   the body; LF line ends. Content-Type and Content-Disposition are
 *   re-serialized by GMime from their parsed type and parameters, never
 *   copied as text, and every multipart gets a boundary of ours.
 * - the commands: those of the main text/plain part; when it has none,
 *   those of its HTML twin (the first text/html of the main text). When
 *   both carry commands and they differ, the plain text's count (the HTML
 *   is stripped of its own block all the same). A refused command line in
 *   either refuses the message.
 * - the main text: the first text/plain and the first text/html of the
 *   message's text (multipart/mixed: its first part that is not an
 *   attachment; multipart/alternative: each alternative;
 *   multipart/related: its root), each stripped of its own command block
 *   and then written as UTF-8 (charset=utf-8).
 * - every other part (inline images, attachments, nested multiparts,
 *   attached messages) decodes to the same bytes as in the agent's
 *   message. Part headers keep only Content-* fields (Content-ID,
 *   -Description, -Location, -Language as plain ASCII lines; Type and
 *   Disposition re-serialized). Multipart preambles and epilogues go.
 * - SMTP-safe: 7-bit, no line over 998 bytes. Text parts are 7bit when
 *   they are short-lined ASCII, else quoted-printable (mostly ASCII) or
 *   base64; a text part that came base64 stays base64 unless stripped;
 *   every other leaf is base64. An attached message that is not 7-bit
 *   clean goes base64 (RFC 2046 wants 7bit/8bit/binary there; mail
 *   clients decode it, and the alternative is mail that breaks in
 *   transit).
 *
 * Signed or encrypted mail - multipart/signed, multipart/encrypted,
 * application/(x-)pkcs7-mime, a PGP signature or encrypted part anywhere
 * outside attached messages, or inline PGP ("-----BEGIN PGP SIGNED
 * MESSAGE-----", "-----BEGIN PGP MESSAGE-----") in the main text - is
 * relayed unaltered: is_signed, the entity's header fields as above (the
 * top boundary is the agent's, re-serialized) and the body byte for byte
 * but for CRLF written as LF (what SMTP carries as CRLF again; the
 * signature covers that canonical form). It may then be 8-bit: such
 * mail needs an 8BITMIME path. Commands in it (in the signed text/plain,
 * or inside the armor of inline PGP) refuse it with
 * SM_RELAY_SIGNED_ERR - except in a #note, which is not relayed.
 *
 * Failure: false and a one-line *err (printable ASCII, at most
 * SM_COMMAND_ERR_MAX bytes): a refused command line (sm_command.h's
 * error), SM_RELAY_SIGNED_ERR, or mail this cannot rebuild (no header
 * block, a multipart without parts, more than 32 levels or 1000 parts,
 * signed mail holding NUL bytes).
 * The caller answers it with 550 (SPEC section 4).
 *
 * Pure: no I/O, no logging; its own GMime parser and objects per call,
 * so thread-safe after g_mime_init().
 */
#ifndef SM_RELAY_H
#define SM_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "sm_command.h"

#define SM_RELAY_SIGNED_ERR "signed or encrypted mail cannot carry commands " \
	"(stripping would break the signature)"

typedef struct sm_relay_body {
	char *entity;           /* content header fields, blank line, body;
	                           LF line ends (a 7bit text without a final
	                           one ends without); NUL-terminated */
	size_t len;             /* of entity */
	sm_commands cmds;       /* the commands found (plain text, else HTML) */
	bool is_signed;         /* signed or encrypted: relayed unaltered */
	char *text;             /* the main text, stripped, as UTF-8 plain text
	                           with LF (the HTML's as text when there is no
	                           plain part); NULL when there is none */
} sm_relay_body;

bool sm_relay_body_build(const char *raw, size_t len, sm_relay_body *out,
    char **err);
void sm_relay_body_clear(sm_relay_body *b);

#endif
