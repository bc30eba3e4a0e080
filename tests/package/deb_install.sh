#!/bin/sh
# deb_install.sh - the Debian package, built, installed, used and purged
# on this machine (root; CI runs it through `make check-package`, after the
# suite; it is not part of `make check`, as it installs into the system):
#   1. dpkg-buildpackage -us -uc -b on a copy of the source tree gives
#      support-milter_<version>_<arch>.deb; lintian reports no error;
#   2. apt-get install ./...deb: the system user, the secret (root, 0600),
#      the configuration and templates as conffiles, the unit, not enabled;
#      the shipped configuration passes `support-milter -t` unchanged;
#   3. an admin's edits to the configuration and the secret survive a
#      reinstall of the package;
#   4. the unit's ExecStart, run as systemd would (root, the unit's Group,
#      UMask and RuntimeDirectory; not its sandboxing), binds the socket
#      for the group and drops to the packaged user; one customer mail
#      through a private Postfix (in the group, as README.Debian says)
#      makes ticket 1, stamped, and its acknowledgement reaches the
#      customer; the installed supportctl shows the ticket;
#   5. apt-get purge leaves nothing of the package behind (a listing of
#      /etc, /usr, /lib, /var/lib, /var/spool, /opt, /srv before and after)
#      but the support-milter user and group, which Debian policy keeps.
# A support-milter package already installed is a harness error: this test
# does not purge an installation it did not make.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/postfix.sh"

[ "$(id -u)" -eq 0 ] || skip "installs a package: needs root"
for t in dpkg-buildpackage dh lintian apt-get setpriv swaks; do need_tool "$t"; done
if dpkg-query -W -f='${Status}' support-milter 2>/dev/null | grep -q installed; then
	hard_error "a support-milter package is installed here already: not touching it"
fi

sm_init redis
PKG_INSTALLED=
GROUP_ADDED=
pkg_cleanup()
{
	[ -n "$GROUP_ADDED" ] && gpasswd -d postfix support-milter >/dev/null 2>&1
	if [ -n "$PKG_INSTALLED" ]; then
		[ -n "$SM_PID_DAEMON" ] && sm_kill_wait "$SM_PID_DAEMON" 15
		SM_PID_DAEMON=
		apt-get purge -y -qq support-milter >/dev/null 2>&1
	fi
	rm -rf /run/support-milter
}
trap 'rc=$?; pkg_cleanup; (exit $rc); sm_cleanup' EXIT

# A listing of where a package may leave things (dpkg's and apt's own
# records, caches and logs aside; the account files' backups are adduser's).
fs_listing()
{
	find /etc /usr /lib /var/lib /var/spool /opt /srv -xdev \
	    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/lib/ucf \
	    -o -path /var/spool/postfix \) -prune -o -print 2>/dev/null |
	    grep -v -E '^/etc/(passwd|group|shadow|gshadow)-$|^/etc/\.pwd\.lock$' | sort
}

# ---- 1. build and lint ------------------------------------------------
mkdir -p "$T/src"
(cd "$top_srcdir" && tar --exclude='./_build*' --exclude=./.git --exclude=./autom4te.cache \
    --exclude=./debian/build -cf - .) | tar -C "$T/src" -xf - || hard_error "cannot copy the source tree"
version=$(cd "$T/src" && dpkg-parsechangelog -S Version) || hard_error "dpkg-parsechangelog"
arch=$(dpkg --print-architecture)
DEB=$T/support-milter_${version}_$arch.deb
echo "building $DEB"
if (cd "$T/src" && dpkg-buildpackage -us -uc -b -j2) >"$T/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b"
else
	tail -n 40 "$T/build.log"
	hard_error "dpkg-buildpackage failed (log: $T/build.log)"
fi
[ -f "$DEB" ] || hard_error "no $DEB (got: $(ls "$T"/*.deb 2>/dev/null))"
check "the unit tests ran in the package build" grep -q '^# FAIL:  0' "$T/build.log"
lintian --fail-on error "$DEB" >"$T/lintian.out" 2>&1
rc=$?
cat "$T/lintian.out"
check "lintian: no errors (exit $rc)" test "$rc" -eq 0

# ---- 2. install -------------------------------------------------------
fs_listing >"$T/fs.before"
PKG_INSTALLED=1
if apt-get install -y -qq --no-install-recommends "$DEB" >"$T/install.log" 2>&1; then
	pass "apt-get install ./$(basename "$DEB")"
else
	cat "$T/install.log"
	hard_error "apt-get install failed"
fi
ETC=/etc/support-milter
CONFI=$ETC/support-milter.conf
uid=$(id -u support-milter 2>/dev/null)
check "the system user support-milter (uid $uid)" eval '[ -n "$uid" ] && [ "$uid" -lt 1000 ]'
check "... with no login shell" eval 'getent passwd support-milter | grep -q -E ":/(usr/)?s?bin/(nologin|false)$"'
check "the secret: root, mode 0600, 64 characters" \
    eval '[ "$(stat -c %U:%a $ETC/secret)" = root:600 ] && [ "$(head -n 1 $ETC/secret | tr -d "\n" | wc -c)" -eq 64 ]'
conffiles=$(dpkg-query -W -f='${Conffiles}\n' support-milter)
check "conffiles: the configuration" eval 'echo "$conffiles" | grep -q " $CONFI "'
check "conffiles: the templates" eval 'echo "$conffiles" | grep -q " $ETC/templates/en/ack.txt "'
check "the configuration: root:support-milter, mode 0640 (a Redis password)" \
    test "$(stat -c %U:%G:%a "$CONFI")" = root:support-milter:640
check "the installed configuration: the unit's socket and user" \
    eval 'grep -qx "socket = unix:/run/support-milter/milter.sock" $CONFI && grep -qx "user = support-milter" $CONFI'
UNIT=/lib/systemd/system/support-milter.service
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
check "the unit runs /usr/sbin/support-milter on $CONFI" \
    test "$exec_start" = "/usr/sbin/support-milter -f -c $CONFI -p unix:/run/support-milter/milter.sock"
check "the unit is not enabled at installation" \
    test ! -e /etc/systemd/system/multi-user.target.wants/support-milter.service
check "man pages installed" test -f /usr/share/man/man8/support-milter.8.gz -a -f /usr/share/man/man1/supportctl.1.gz
/usr/sbin/support-milter -t -c "$CONFI" >"$T/t.out" 2>&1
rc=$?
cat "$T/t.out"
check "support-milter -t: the shipped configuration passes (exit $rc)" test "$rc" -eq 0

# ---- 3. an admin's edits survive a reinstall --------------------------
# a private Redis on a loopback port (the daemon, as support-milter, need
# not reach the test tree), and a private Postfix the socket's group lets in
usermod -a -G support-milter postfix || hard_error "usermod"
GROUP_ADDED=1
sm_postfix_start "unix:/run/support-milter/milter.sock"
RPORT=$(sm_free_port) || hard_error "no free port"
rm -f "$REDIS_SOCK"
"$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$T" --logfile "$T/redis.log" --daemonize no </dev/null >/dev/null 2>&1 &
SM_PID_REDIS=$!
SM_PIDS_REDIS=$SM_PID_REDIS
wait_for 10 sm_redis_ping || hard_error "redis-server did not answer"
sed -i -e "s|^address = 127.0.0.1:6379\$|address = 127.0.0.1:$RPORT|" \
    -e "s|^smtp =\$|smtp = 127.0.0.1:$SMTP_PORT|" "$CONFI"
grep -qx "address = 127.0.0.1:$RPORT" "$CONFI" && grep -qx "smtp = 127.0.0.1:$SMTP_PORT" "$CONFI" ||
    hard_error "could not edit $CONFI"
cp "$CONFI" "$T/conf.edited"
cp "$ETC/secret" "$T/secret.first"
apt-get install -y -qq --reinstall --no-install-recommends "$DEB" >"$T/reinstall.log" 2>&1 ||
    { cat "$T/reinstall.log"; hard_error "reinstall failed"; }
check "reinstall: the edited configuration kept" cmp -s "$CONFI" "$T/conf.edited"
check "reinstall: the secret kept" cmp -s "$ETC/secret" "$T/secret.first"

# ---- 4. the unit's ExecStart, as the packaged user --------------------
mkdir -p /run/support-milter
chown root:support-milter /run/support-milter
chmod 0750 /run/support-milter
setpriv --regid=support-milter --clear-groups -- sh -c "umask 0007; exec $exec_start" \
    >"$T/daemon.log" 2>&1 </dev/null &
SM_PID_DAEMON=$!
wait_for 20 test -S /run/support-milter/milter.sock ||
    { cat "$T/daemon.log"; hard_error "no socket from the packaged daemon"; }
wait_for 10 eval '[ "$(ps -o user= -p $SM_PID_DAEMON)" = support-milter ]'
check "the daemon runs as support-milter" test "$(ps -o user= -p "$SM_PID_DAEMON")" = support-milter
check "the socket: group support-milter, no access for others" \
    test "$(stat -c '%G %A' /run/support-milter/milter.sock)" = "support-milter srwxrwx---"
check "a customer mail through Postfix is queued" swaks_customer ann deb-1@customer.test
if wait_for 30 eval '[ "$(maildir_count support)" -ge 1 ]'; then
	m=$(maildir_files support | head -n 1)
	check "the queue's copy is stamped: ticket 1" test "$(mail_hdr "$m" X-Ticket-ID)" = 1
else
	fail "no copy delivered to support@ within 30 s"
fi
if wait_for 30 eval '[ "$(maildir_count ann)" -ge 1 ]'; then
	a=$(maildir_files ann | head -n 1)
	check "the customer got the acknowledgement" test "$(mail_hdr "$a" X-Ticket-Event)" = ack
	check "... for ticket 1" eval 'mail_hdr "$a" Subject | grep -q "#1\]"'
else
	fail "no acknowledgement reached ann@ within 30 s"
fi
/usr/bin/supportctl -c "$CONFI" ticket show 1 --json >"$T/ticket.json" 2>"$T/ticket.err"
check "supportctl (installed) shows ticket 1 from ann" \
    eval '[ "$(jq -r .requester.address "$T/ticket.json")" = ann@customer.test ]'
sm_kill_wait "$SM_PID_DAEMON" 15
SM_PID_DAEMON=
rm -rf /run/support-milter          # systemd removes the RuntimeDirectory
sm_postfix_stop
gpasswd -d postfix support-milter >/dev/null && GROUP_ADDED=

# ---- 5. purge ---------------------------------------------------------
if apt-get purge -y -qq support-milter >"$T/purge.log" 2>&1; then
	PKG_INSTALLED=
	pass "apt-get purge support-milter"
else
	cat "$T/purge.log"
	fail "apt-get purge failed"
fi
check "the package is gone from dpkg's records" \
    eval '! dpkg-query -W -f="\${Status}" support-milter 2>/dev/null | grep -q installed'
fs_listing >"$T/fs.after"
diff "$T/fs.before" "$T/fs.after" >"$T/fs.diff"
cat "$T/fs.diff"
check "nothing of the package is left in the file system" test ! -s "$T/fs.diff"
check "no /etc/support-milter (configuration, templates, secret)" test ! -e "$ETC"
check "the support-milter user is kept (Debian policy)" id support-milter

sm_finish
