/*
 * main.c - the support-milter daemon: flags, configuration, the listening
 * socket, privilege drop, reload on SIGUSR1, and libmilter's main loop.
 *
 * Order of start-up (each step fatal on failure, with a clear message):
 *   parse flags -> g_mime_init (before any thread) -> load and check the
 *   configuration (and templates) -> -t: report and exit -> open the milter
 *   socket as root -> TCP_NODELAY on an inet listener -> drop privileges
 *   (setgroups, setgid, setuid, in that order, then verify) -> detach
 *   (without -f) -> the socket I/O layer under libmilter (mio.c) -> start
 *   the reload thread -> smfi_main().
 * libmilter owns SIGHUP, SIGINT and SIGTERM (they stop it cleanly); SIGUSR1
 * is ours: a dedicated thread sigwait()s for it and swaps the configuration.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <gmime/gmime.h>
#include <libmilter/mfapi.h>

#include "sm_config.h"
#include "sm_log.h"
#include "sm_store.h"
#include "milter.h"
#include "mio.h"
#include "sm_runtime.h"

static const char *config_path = SYSCONFDIR "/support-milter/support-milter.conf";

static void
usage(void)
{
	fprintf(stderr, "usage: support-milter [-f] [-t] [-V] [-c FILE] [-p SOCKET]\n");
	exit(1);
}

/*
 * libmilter gives no handle on its listening socket. Find it: the one
 * listening inet socket of this process. Accepted connections inherit
 * TCP_NODELAY on Linux, which removes the ~40 ms delayed-ACK stall between
 * a header change and the final reply.
 */
static void
set_nodelay_on_listener(void)
{
	for (int fd = 3; fd < 1024; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int acc = 0, one = 1;
		socklen_t alen = sizeof(acc);

		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			continue;
		if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) != 0 || !acc)
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
			log_warn("setsockopt TCP_NODELAY");
	}
}

static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL)
		return;
	if (geteuid() != 0) {
		log_info("not started as root: keeping uid %d (user = %s ignored)",
		    (int)geteuid(), user);
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("[milter] user: no such user '%s'", user);
	if (setgroups(1, &pw->pw_gid) != 0)
		fatal("setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0)
		fatal("setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0)
		fatal("setresuid");
	if (setuid(0) == 0 || seteuid(0) == 0)
		fatalx("privileges could be regained after dropping them");
	log_info("running as %s (uid %d)", user, (int)pw->pw_uid);
}

static void
print_errors(GPtrArray *errors)
{
	for (guint i = 0; i < errors->len; i++)
		fprintf(stderr, "%s\n", (char *)g_ptr_array_index(errors, i));
}

static void *
reload_thread(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGUSR1)
			continue;
		log_info("SIGUSR1: reloading %s", config_path);
		sm_runtime_reload(config_path);
	}
	return NULL;
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (chdir("/") != 0)
		fatal("chdir /");
}

int
main(int argc, char **argv)
{
	bool foreground = false, check_only = false;
	const char *socket_override = NULL;
	GPtrArray *errors;
	sm_config *cfg;
	static sigset_t usr1;           /* read by the reload thread */
	sigset_t set;
	pthread_t tid;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:fp:tVh")) != -1) {
		switch (ch) {
		case 'c': config_path = optarg; break;
		case 'f': foreground = true; break;
		case 'p': socket_override = optarg; break;
		case 't': check_only = true; break;
		case 'V':
			printf("support-milter %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	sm_log_init("support-milter", foreground || check_only);
	g_mime_init();

	errors = g_ptr_array_new_with_free_func(g_free);
	cfg = sm_runtime_load(config_path, true, errors);
	if (cfg == NULL || errors->len > 0) {
		print_errors(errors);
		return 1;
	}
	g_ptr_array_unref(errors);
	if (check_only) {
		sm_config_unref(cfg);
		return 0;
	}
	if (socket_override != NULL) {
		g_free(cfg->socket);
		cfg->socket = g_strdup(socket_override);
	}
	sm_log_set_level(cfg->log_level);
	sm_config_set_current(cfg);

	if (smfi_register(sm_milter_desc) == MI_FAILURE)
		fatalx("smfi_register failed");
	if (smfi_setconn(cfg->socket) == MI_FAILURE)
		fatalx("[milter] socket: bad socket '%s'", cfg->socket);
	if (smfi_opensocket(true) == MI_FAILURE)
		fatalx("cannot open milter socket %s", cfg->socket);
	set_nodelay_on_listener();
	drop_privileges(cfg->user);
	if (!foreground)
		daemonize();
	/* after the fork above: a child of fork() passes every call through */
	sm_mio_init();

	/*
	 * Block the signals before any thread exists, so every thread
	 * inherits the mask: libmilter's own signal thread sigwait()s for
	 * HUP/INT/TERM (and stops cleanly), ours for USR1. A thread started
	 * with them unblocked would take SIGTERM's default action and kill
	 * the process without a clean stop.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_create(&tid, NULL, reload_thread, &usr1) != 0)
		fatalx("cannot start the reload thread");
	pthread_detach(tid);
	sm_runtime_start(cfg);
	sm_metrics_http_start(cfg);

	log_info("support-milter %s listening on %s%s", PACKAGE_VERSION, cfg->socket,
	    sm_mio_active() ? "" : " (libmilter does its own socket I/O)");
	sm_config_unref(cfg);
	rc = smfi_main();
	log_info("support-milter stopping");
	sm_metrics_http_stop();
	sm_runtime_stop();
	return rc == MI_SUCCESS ? 0 : 75;
}
