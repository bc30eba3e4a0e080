/*
 * nullfilter.c - a do-nothing libmilter filter: the baseline of `make bench`.
 *
 * Usage: nullfilter -p unix:/path | inet:port@host [-T timeout] [-c] [-m N] [-P]
 *
 * It asks the MTA not to wait for replies to any step that allows it
 * (SMFIP_NR_*), so that the baseline is the cheapest libmilter filter there
 * can be: those steps return SMFIS_NOREPLY (anything else makes libmilter
 * log an error per step, and a syslog call per header is not "nothing"),
 * the others SMFIS_CONTINUE. The negotiated flags are the connection's
 * only state, kept in the private pointer itself. It modifies nothing. A
 * ratio against it is what the rest of the bench reports. -c answers
 * SMFIS_CONTINUE even where no reply was negotiated (libmilter then drops
 * the reply and logs an error), to measure what that costs. -m N adds N
 * small headers at end-of-message: the same filter plus the MTA's cost of
 * applying N modifications (a ticketing filter stamps several headers).
 * -P is the plain do-nothing filter, as filters are usually written: no
 * negotiate callback, so the MTA waits for an answer to every step and
 * each gets SMFIS_CONTINUE. The reference figures (~1,500 msgs/s
 * direct at 4 connections) are much nearer this filter than the tuned
 * one; the bench gives its two target rows against both.
 *
 * Built as bench/nullfilter-mio, the same filter runs on support-milter's
 * buffered socket I/O under libmilter (milter/mio.c), where configure
 * found libmilter.a: a reference row, so that the bench shows what that
 * layer alone is worth.
 *
 * It runs in the foreground until SIGTERM/SIGINT (libmilter's own signal
 * thread stops it). Failing to bind the socket exits 1 with a message on
 * stderr. An existing unix socket file is removed first (the bench owns its
 * temp dir).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#ifdef SM_MIO_WRAP
#include "../milter/daemon/mio.h"
#endif

static int always_continue;	/* -c */
static int add_headers;		/* -m */

static sfsistat
nf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want;

	/* No actions, unless -m asks for added headers. */
	*pf0 = add_headers > 0 ? (f0 & SMFIF_ADDHDRS) : 0;
	/* Every "no reply" step the MTA offers. DATA, EOH and the body
	 * still arrive (the baseline must see the whole message, as a
	 * ticketing filter would), but none of them needs an answer. */
	want = SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH |
	    SMFIP_NR_BODY | SMFIP_NR_HDR | SMFIP_NOUNKNOWN;
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	/* The flags themselves as the private pointer: nothing to free. */
	smfi_setpriv(ctx, (void *)(uintptr_t)(f1 & want));
	return SMFIS_CONTINUE;
}


/* The answer to a step: none when we negotiated that it needs none. */
static sfsistat
nf_reply(SMFICTX *ctx, unsigned long nr)
{
	uintptr_t flags = (uintptr_t)smfi_getpriv(ctx);

	return (flags & nr) && !always_continue ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
nf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	return nf_reply(ctx, SMFIP_NR_CONN);
}

static sfsistat
nf_helo(SMFICTX *ctx, char *helo)
{
	return nf_reply(ctx, SMFIP_NR_HELO);
}

static sfsistat
nf_envfrom(SMFICTX *ctx, char **argv)
{
	return nf_reply(ctx, SMFIP_NR_MAIL);
}

static sfsistat
nf_envrcpt(SMFICTX *ctx, char **argv)
{
	return nf_reply(ctx, SMFIP_NR_RCPT);
}

static sfsistat
nf_data(SMFICTX *ctx)
{
	return nf_reply(ctx, SMFIP_NR_DATA);
}

static sfsistat
nf_header(SMFICTX *ctx, char *name, char *value)
{
	return nf_reply(ctx, SMFIP_NR_HDR);
}

static sfsistat
nf_eoh(SMFICTX *ctx)
{
	return nf_reply(ctx, SMFIP_NR_EOH);
}

static sfsistat
nf_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	return nf_reply(ctx, SMFIP_NR_BODY);
}

static sfsistat
nf_eom(SMFICTX *ctx)
{
	char name[32];
	int i;

	for (i = 0; i < add_headers; i++) {
		snprintf(name, sizeof(name), "X-Bench-%d", i + 1);
		if (smfi_addheader(ctx, name, "nullfilter") == MI_FAILURE)
			break;
	}
	return SMFIS_CONTINUE;
}

static sfsistat
nf_abort(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static sfsistat
nf_close(SMFICTX *ctx)
{
	return SMFIS_CONTINUE;
}

static struct smfiDesc nf_desc = {
	.xxfi_name = "nullfilter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,	/* used only with -m */
	.xxfi_connect = nf_connect,
	.xxfi_helo = nf_helo,
	.xxfi_envfrom = nf_envfrom,
	.xxfi_envrcpt = nf_envrcpt,
	.xxfi_header = nf_header,
	.xxfi_eoh = nf_eoh,
	.xxfi_body = nf_body,
	.xxfi_eom = nf_eom,
	.xxfi_abort = nf_abort,
	.xxfi_close = nf_close,
	.xxfi_unknown = NULL,
	.xxfi_data = nf_data,
	.xxfi_negotiate = nf_negotiate,
};

static void
usage(void)
{
	fprintf(stderr, "usage: nullfilter -p unix:/path|inet:port@host "
	    "[-T timeout-seconds] [-c] [-m headers] [-P]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	int ch, timeout = 30;

	while ((ch = getopt(argc, argv, "cm:p:PT:")) != -1) {
		switch (ch) {
		case 'c':
			always_continue = 1;
			break;
		case 'P':
			/* libmilter's defaults: every step answered */
			nf_desc.xxfi_negotiate = NULL;
			always_continue = 1;
			break;
		case 'm':
			add_headers = atoi(optarg);
			if (add_headers < 0 || add_headers > 100)
				usage();
			break;
		case 'p':
			sock = optarg;
			break;
		case 'T':
			timeout = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (sock == NULL)
		usage();

	/* A stale socket from an earlier run would make the bind fail. */
	if (strncmp(sock, "unix:", 5) == 0 || strncmp(sock, "local:", 6) == 0) {
		const char *path = strchr(sock, ':') + 1;
		if (unlink(path) == -1 && errno != ENOENT) {
			fprintf(stderr, "nullfilter: unlink %s: %s\n", path,
			    strerror(errno));
			return 1;
		}
	}
	/* The bench's temp dir is private; smtpd (user postfix) must still
	 * reach the socket. */
	umask(0);
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_settimeout(timeout) == MI_FAILURE ||
	    smfi_setbacklog(128) == MI_FAILURE ||
	    smfi_register(nf_desc) == MI_FAILURE) {
		fprintf(stderr, "nullfilter: cannot set up %s\n", sock);
		return 1;
	}
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "nullfilter: cannot open %s\n", sock);
		return 1;
	}
#ifdef SM_MIO_WRAP
	sm_mio_init();
#endif
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
