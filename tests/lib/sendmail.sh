# tests/lib/sendmail.sh - a private Sendmail 8.17 on loopback with
# support-milter as its milter, for tests/integration/sendmail_e2e.sh.
# Source after common.sh and postfix.sh (sm_free_port), after sm_init.
#
# Debian's sendmail conflicts with Postfix as a package, so tools/deps.sh
# unpacks its .debs (sendmail-bin, -cf, -base, libwrap0) into
# $SM_SENDMAIL_ROOT; nothing is installed. sendmail.cf is built with m4
# from tests/lib/sendmail.mc: everything under $T/sendmail, no DNS, a free
# loopback port, the milter socket, every local recipient (example.com,
# customer.test) appended by a script to $T/sendmail/delivered.mbox.
# Sendmail needs a qualified host name at start (else it sleeps 60 s), so
# it runs in a UTS namespace of its own named mta.test (unshare: root), as
# root, in the foreground (-bD), a child of the test.
#
# Interface:
#   sm_sendmail_start      build the cf, start, wait (bounded) until an
#                          EHLO is answered; on SENDMAIL_PORT (set it
#                          first to choose, else a free port is taken)
#   sm_sendmail_stop       SIGTERM and wait (bounded)
#   sm_sendmail_delivered  the messages delivered so far, one a file
#                          ($T/sendmail/msg.N), their paths on stdout
SM_SENDMAIL_ROOT=${SM_SENDMAIL_ROOT:-/var/cache/support-milter-tests/sendmail}
SENDMAIL_PORT=
SM_PID_SENDMAIL=

sm_sendmail_start()
{
	local d=$T/sendmail bin=$SM_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail i=0
	local cf=$SM_SENDMAIL_ROOT/usr/share/sendmail/cf
	[ -x "$bin" ] || hard_error "no unpacked Sendmail in $SM_SENDMAIL_ROOT: run tools/deps.sh"
	[ "$(id -u)" = 0 ] || skip "Sendmail's private instance needs root (unshare --uts)"
	command -v m4 >/dev/null 2>&1 || hard_error "m4 not installed: run tools/deps.sh"
	[ -n "$SENDMAIL_PORT" ] || SENDMAIL_PORT=$(sm_free_port) || hard_error "no free port"
	mkdir -p "$d/mqueue"
	chmod 1777 "$d"
	chmod 700 "$d/mqueue"
	cat >"$d/deliver.sh" <<EOS
#!/bin/sh
{ printf 'X-Test-Envelope: %s -> %s\n' "\$1" "\$2"; cat; printf '\n\001\n'; } >>"$d/delivered.mbox" || exit 75
exit 0
EOS
	chmod 0755 "$d/deliver.sh"
	: >"$d/delivered.mbox"
	chmod 0666 "$d/delivered.mbox"
	m4 -D_CF_DIR_="$cf/" -DSM_DIR="$d" -DSM_PORT="$SENDMAIL_PORT" -DSM_MILTER="$MILTER_SOCK" \
	    "$cf/m4/cf.m4" "$top_srcdir/tests/lib/sendmail.mc" >"$d/sendmail.cf" ||
	    hard_error "m4 could not build sendmail.cf"
	cp "$SM_SENDMAIL_ROOT/etc/mail/helpfile" "$d/helpfile" 2>/dev/null || : >"$d/helpfile"
	printf 'hosts files\naliases files\npasswd files\n' >"$d/service.switch"
	printf '127.0.0.1 localhost mta.test\n::1 localhost\n' >"$d/hosts"
	printf 'postmaster: support\nMAILER-DAEMON: support\n' >"$d/aliases"
	: >"$d/statistics"
	chmod 600 "$d/statistics"
	export LD_LIBRARY_PATH="$SM_SENDMAIL_ROOT/usr/lib/x86_64-linux-gnu"
	unshare --uts sh -c "hostname mta.test && exec '$bin' -C '$d/sendmail.cf' -bi" \
	    >"$d/newaliases.out" 2>&1 || hard_error "sendmail -bi failed: $(cat "$d/newaliases.out")"
	unshare --uts sh -c "hostname mta.test && exec '$bin' -C '$d/sendmail.cf' -bD -X '$d/trace.log'" \
	    >"$d/daemon.out" 2>&1 </dev/null &
	SM_PID_SENDMAIL=$!
	unset LD_LIBRARY_PATH
	SM_PIDS_HELPERS="${SM_PIDS_HELPERS:-} $SM_PID_SENDMAIL"
	until [ -s "$d/sendmail.pid" ] &&
	    swaks --server "127.0.0.1:$SENDMAIL_PORT" --quit-after EHLO >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 150 ] || hard_error "Sendmail did not answer within 15 s: $(cat "$d/daemon.out")"
		kill -0 "$SM_PID_SENDMAIL" 2>/dev/null ||
		    hard_error "Sendmail exited: $(cat "$d/daemon.out")"
		sleep 0.1
	done
	echo "sendmail: 127.0.0.1:$SENDMAIL_PORT, milter $MILTER_SOCK"
}

sm_sendmail_stop()
{
	[ -n "$SM_PID_SENDMAIL" ] || return 0
	sm_kill_wait "$SM_PID_SENDMAIL" 10
	SM_PID_SENDMAIL=
}

sm_sendmail_delivered()
{
	awk -v dir="$T/sendmail" '
	    BEGIN { n = 0; f = "" }
	    /^X-Test-Envelope: / && f == "" { n++; f = dir "/msg." n; print f }
	    $0 == "\001" { close(f); f = ""; next }
	    f != "" { print >f }' "$T/sendmail/delivered.mbox"
}
