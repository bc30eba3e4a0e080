# tests/lib/postfix.sh - a private Postfix instance for end-to-end tests.
# Source after common.sh (and after sm_init).
#
# Interface:
#   sm_postfix_start [MILTER]  configure and start Postfix under $PF (its own
#                              config, queue and data directories), smtpd on
#                              127.0.0.1:$SMTP_PORT (a free port), virtual(8)
#                              Maildir delivery for example.com and
#                              customer.test; MILTER (e.g. unix:$MILTER_SOCK)
#                              becomes smtpd_milters, empty for none
#   sm_postfix_stop            `postfix stop`, bounded; then abort
#   sm_postfix_write_config MILTER  main.cf and master.cf in $PF/etc (used by
#                              sm_postfix_start, and by bench/run.sh); knobs:
#                              SM_PF_DELIVERY maildir (default, as above) or
#                              discard (every mail accepted and dropped),
#                              SM_PF_SMTPD the master.cf smtpd lines (default
#                              one on 127.0.0.1:$SMTP_PORT), SM_PF_MAIN_EXTRA
#                              more main.cf lines, SM_PF_SASL=1 SMTP AUTH
#                              (below)
#   SM_PF_SASL=1               (set before sm_postfix_start) smtpd offers
#                              AUTH PLAIN and LOGIN without TLS: Cyrus SASL,
#                              auxprop sasldb $PF/sasldb2, its smtpd.conf in
#                              $PF/etc/sasl; relaying is also permitted to
#                              an authenticated client;
#                              smtpd_sasl_local_domain = $SM_PF_SASL_REALM
#                              (default example.com). Unset: no AUTH, main.cf
#                              as without it
#   sm_postfix_sasl_user USER PASSWORD  add a SASL user; USER is
#                              name@realm or a bare name (realm
#                              $SM_PF_SASL_REALM). Either form then logs in
#                              (swaks --auth-user alice@example.com, or
#                              alice): both reach the milter as
#                              {auth_authen} = alice@example.com
#   sm_postfix_hop FRONT MILTER  the MTA keeps the mail: the smtpd on
#                              127.0.0.1:FRONT (added when new) runs no
#                              milter and queues every mail for a second
#                              smtpd on 127.0.0.1:$SM_PF_HOP (a free port)
#                              that runs MILTER and delivers; the milter's
#                              451 defers the mail in the queue, tried again
#                              every second or two (postqueue -f: at once)
#   sm_postfix_sendmail        the command line of this instance's sendmail
#   sm_postfix_queue_empty     no mail in any of its queues
#   maildir_count USER         messages delivered to USER's Maildir (new/)
#   maildir_files USER         their paths
#   maildir_msgid USER ID      those whose Message-ID is <ID>
#   swaks_send ARGS...         swaks against our smtpd (transcript on stdout)
#   swaks_customer NAME ID     NAME@customer.test writes to support@ with
#                              Message-ID <ID>: true when Postfix queued it
#   sm_postfix_deferred TEXT [ID]  how many deferrals the mail log shows
#                              whose reason holds TEXT (e.g. "said: 451
#                              4.3.0"); with ID, of the mail whose
#                              Message-ID is <ID> only
#
# How it fails: a missing tool skips the test (77); Postfix that does not
# accept connections within 20 s is a harness error (99) with its mail log.
# Facts used here are in shared/NOTES.md: data_directory owned by postfix,
# chroot = n, maillog_file plus the postlog service, milter_protocol 6.
# SMTP AUTH needs saslpasswd2 (sasl2-bin) and the PLAIN/LOGIN and sasldb
# plugins (libsasl2-modules, libsasl2-modules-db): without them a test
# that sets SM_PF_SASL=1 is skipped. smtpd runs as postfix, unchrooted
# (every master.cf line here says chroot n): it reads the sasldb where it
# lies, so the file belongs to postfix. Debian's Postfix looks for
# smtpd.conf in $config_directory/sasl (then /usr/lib/sasl), whatever
# cyrus_sasl_config_path says (strace shows it): the file is there, and
# cyrus_sasl_config_path names the same directory for an upstream build.

PF=
SMTP_PORT=

# Can the postfix user reach (search) directory $1?
sm_postfix_can_reach()
{
	runuser -u postfix -- test -x "$1" 2>/dev/null
}

# Ports in use on this host, from the kernel's tables (no bash /dev/tcp).
sm_ports_in_use()
{
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk 'NR > 1 { split($2, a, ":"); print a[2] }' | sort -u
}

# A loopback port nobody listens on, outside the kernel's ephemeral range:
# a port picked inside it can be taken by any outgoing connection (a
# replica dialling its master, a sentinel, redis-cli) between the pick and
# the bind of the server it is meant for. From 11000 up: bench/run.sh
# takes its ports below.
sm_free_port()
{
	local i=0 p hex lo hi base span
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
	    { lo=32768; hi=60999; }
	if [ "$lo" -gt 13000 ]; then
		base=11000 span=$((lo - 11000))
	else
		base=$((hi + 1)) span=$((65535 - hi))
	fi
	[ "$span" -gt 100 ] || return 1
	while [ $i -lt 50 ]; do
		p=$(( base + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % span ))
		hex=$(printf '%04X' "$p")
		if ! sm_ports_in_use | grep -qx "$hex"; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

sm_postfix_write_config()
{
	local milter=$1 uid gid delivery smtpd relay sasl
	uid=$(id -u postfix)
	gid=$(id -g postfix)
	case ${SM_PF_DELIVERY:-maildir} in
	maildir) delivery="# nothing leaves this machine
default_transport = error:no outbound mail in tests
relay_transport = error:no outbound mail in tests
virtual_mailbox_domains = example.com, customer.test
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = inline:{ support@example.com=support/, billing@example.com=billing/, colleague@example.com=colleague/, fast@example.com=fast/, leads@example.com=leads/, boss@example.com=boss/, ann@customer.test=ann/, bob@customer.test=bob/ }
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
virtual_minimum_uid = 1" ;;
	discard) delivery="# every mail accepted is dropped
default_transport = discard:no delivery here
relay_transport = discard:no delivery here
local_transport = discard:no delivery here" ;;
	*) hard_error "SM_PF_DELIVERY: maildir or discard, not '$SM_PF_DELIVERY'" ;;
	esac
	smtpd=${SM_PF_SMTPD:-127.0.0.1:$SMTP_PORT inet n - n - - smtpd}
	relay="permit_mynetworks, reject_unauth_destination"
	sasl=
	if [ "${SM_PF_SASL:-}" = 1 ]; then
		relay="permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
		sasl="# SMTP AUTH (SM_PF_SASL=1): Cyrus SASL, users in $PF/sasldb2
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF/etc/sasl
smtpd_sasl_local_domain = ${SM_PF_SASL_REALM:-example.com}
smtpd_sasl_security_options = noanonymous
smtpd_tls_auth_only = no
"
		mkdir -p "$PF/etc/sasl"
		cat >"$PF/etc/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $PF/sasldb2
mech_list: PLAIN LOGIN
EOF
		chmod 0644 "$PF/etc/sasl/smtpd.conf"
	fi
	cat >"$PF/etc/main.cf" <<EOF
# private test instance written by tests/lib/postfix.sh
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.example.com
mydomain = example.com
myorigin = example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# plus-addresses (support+<token>@) reach their base mailbox: the gateway's
# Reply-To tokens (support+t<id>-<mac>@) must be deliverable
recipient_delimiter = +
smtpd_relay_restrictions = $relay
smtpd_peername_lookup = no
smtputf8_enable = no
biff = no
alias_maps =
alias_database =
local_recipient_maps =
$delivery
smtpd_milters = $milter
non_smtpd_milters =
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 10s
milter_command_timeout = 30s
milter_content_timeout = 60s
maillog_file = $PF/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp, $PF
${sasl}${SM_PF_MAIN_EXTRA:-}
EOF
	cat >"$PF/etc/master.cf" <<EOF
# private test instance: loopback smtpd, nothing chrooted
$smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# Is a Cyrus SASL plugin (file name pattern $1) installed?
sm_sasl_plugin()
{
	[ -n "$(find /usr/lib /usr/lib64 -path '*/sasl2/*' -name "$1" 2>/dev/null | head -n 1)" ]
}

# sm_postfix_sasl_user USER PASSWORD (SM_PF_SASL=1, after sm_postfix_start;
# smtpd opens the sasldb at each login, so no reload): USER is name@realm
# or a bare name in realm $SM_PF_SASL_REALM (example.com).
sm_postfix_sasl_user()
{
	local user=$1 pass=$2 realm
	[ -n "$PF" ] && [ -f "$PF/etc/sasl/smtpd.conf" ] ||
	    hard_error "sm_postfix_sasl_user: no SASL instance (SM_PF_SASL=1 and sm_postfix_start first)"
	case $user in
	*@*) realm=${user##*@} user=${user%@*} ;;
	*) realm=${SM_PF_SASL_REALM:-example.com} ;;
	esac
	printf '%s' "$pass" |
	    saslpasswd2 -p -c -f "$PF/sasldb2" -u "$realm" "$user" >"$PF/saslpasswd2.out" 2>&1 || {
		cat "$PF/saslpasswd2.out"
		hard_error "saslpasswd2 $user@$realm failed"
	}
	chown postfix "$PF/sasldb2" && chmod 0600 "$PF/sasldb2" ||
	    hard_error "cannot give $PF/sasldb2 to postfix"
	runuser -u postfix -- test -r "$PF/sasldb2" ||
	    hard_error "$PF/sasldb2 is not readable by the postfix user"
}

sm_smtp_up()
{
	# the banner proves smtpd (and master) are up on our port (or $1)
	swaks --server 127.0.0.1 --port "${1:-$SMTP_PORT}" --quit-after connect \
	    --timeout 2 2>&1 | grep -q '^<-  220 '
}

sm_postfix_start()
{
	local milter=${1:-} attempt=0
	need_tool postfix
	need_tool postconf
	need_tool swaks
	need_tool runuser
	if [ "${SM_PF_SASL:-}" = 1 ]; then
		need_tool saslpasswd2
		postconf -a 2>/dev/null | grep -qx cyrus || skip "postfix without Cyrus SASL"
		sm_sasl_plugin 'libplain.so*' || skip "no SASL PLAIN plugin (libsasl2-modules)"
		sm_sasl_plugin 'libsasldb.so*' || skip "no SASL sasldb plugin (libsasl2-modules-db)"
	fi
	id postfix >/dev/null 2>&1 || skip "no postfix user"
	[ "$(id -u)" -eq 0 ] || skip "a private Postfix instance needs root"
	if sm_postfix_can_reach "$T"; then
		PF=$T/postfix
		mkdir -p "$PF"
	else
		# a build tree the postfix user cannot search (e.g. under /root)
		PF=$(mktemp -d /tmp/smpf.XXXXXX) || hard_error "mktemp"
		SM_PF_TMP=$PF
	fi
	chmod 0755 "$PF"
	mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail"
	chown postfix "$PF/data" "$PF/mail"
	SM_POSTFIX_DIR=$PF
	while [ $attempt -lt 3 ]; do
		attempt=$((attempt + 1))
		SMTP_PORT=$(sm_free_port) || hard_error "no free port"
		sm_postfix_write_config "$milter"
		if ! postfix -c "$PF/etc" check >"$PF/check.out" 2>&1; then
			cat "$PF/check.out"
			hard_error "postfix check failed"
		fi
		postfix -c "$PF/etc" start >>"$PF/start.out" 2>&1
		if wait_for 20 sm_smtp_up; then
			echo "postfix: $PF, smtpd on 127.0.0.1:$SMTP_PORT"
			return 0
		fi
		# most likely the port was taken meanwhile: try another
		sm_postfix_stop
	done
	cat "$PF/start.out" 2>/dev/null
	tail -n 30 "$PF/maillog" 2>/dev/null
	hard_error "postfix did not accept SMTP on 127.0.0.1:$SMTP_PORT"
}

sm_postfix_master_pid()
{
	local p
	p=$(cat "$PF/spool/pid/master.pid" 2>/dev/null | tr -d ' ')
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"
}

sm_postfix_stop()
{
	[ -n "$PF" ] && [ -d "$PF/etc" ] || return 0
	local pid
	pid=$(sm_postfix_master_pid)
	[ -n "$pid" ] || return 0
	timeout 20 postfix -c "$PF/etc" stop >/dev/null 2>&1
	wait_for 20 eval '! kill -0 '"$pid"' 2>/dev/null' ||
	    timeout 10 postfix -c "$PF/etc" abort >/dev/null 2>&1
	wait_for 5 eval '! kill -0 '"$pid"' 2>/dev/null' || kill -KILL "$pid" 2>/dev/null
	if [ -n "${SM_PF_TMP:-}" ] && [ "$SM_PF_TMP" = "$PF" ]; then
		# keep its log with the test's files
		cp "$PF/maillog" "$T/postfix.maillog" 2>/dev/null
		rm -rf "$PF"
		SM_POSTFIX_DIR=
	fi
	return 0
}

# sm_postfix_hop FRONT MILTER (after sm_postfix_start): mail to the smtpd
# on FRONT goes through the queue (content_filter) to a second smtpd on
# $SM_PF_HOP with MILTER, which delivers. That smtpd calls itself
# hop.example.com, or Postfix's smtp client would take it for itself (a
# mail loop). Deferred mail is retried after 1 s, at most 2 s.
SM_PF_HOP=
sm_postfix_hop()
{
	local front=$1 milter=$2 hop
	hop=$(sm_free_port) || hard_error "no free port"
	postconf -c "$PF/etc" -M \
	    "127.0.0.1:$front/inet=127.0.0.1:$front inet n - n - - smtpd -o smtpd_milters= -o content_filter=smtp:[127.0.0.1]:$hop" \
	    "127.0.0.1:$hop/inet=127.0.0.1:$hop inet n - n - - smtpd -o smtpd_milters=$milter -o myhostname=hop.example.com" ||
	    hard_error "postconf -M (hop)"
	postconf -c "$PF/etc" -e queue_run_delay=1s minimal_backoff_time=1s \
	    maximal_backoff_time=2s || hard_error "postconf -e (retry times)"
	postfix -c "$PF/etc" reload >/dev/null 2>&1 || hard_error "postfix reload"
	wait_for 20 sm_smtp_up "$front" && wait_for 20 sm_smtp_up "$hop" ||
	    hard_error "postfix: no smtpd on 127.0.0.1:$front and :$hop after reload"
	SM_PF_HOP=$hop
}

# The private instance's sendmail (root may name any config directory).
sm_postfix_sendmail() { echo "/usr/sbin/sendmail -C $PF/etc -t -i"; }

# No mail in any of the instance's queues: all of it delivered (or dropped).
sm_postfix_queue_empty()
{
	[ -z "$(find "$PF/spool/maildrop" "$PF/spool/incoming" "$PF/spool/active" \
	    "$PF/spool/deferred" "$PF/spool/hold" -type f 2>/dev/null | head -n 1)" ]
}

maildir_files() { ls -1 "$PF/mail/$1/new/"* 2>/dev/null; }
maildir_count() { maildir_files "$1" | wc -l; }
maildir_msgid() { grep -l -i -x "message-id: <$2>" "$PF/mail/$1/new/"* 2>/dev/null; }
sm_postfix_deferred()
{
	if [ -n "${2:-}" ]; then
		# the queue ids cleanup gave that mail (one per hop)
		grep -F "message-id=<$2>" "$PF/maillog" | awk '{ sub(/:$/, "", $6); print $6 ": " }' |
		    sort -u >"$PF/deferred.ids"
		grep 'status=deferred ' "$PF/maillog" | grep -F "$1" | grep -c -F -f "$PF/deferred.ids"
	else
		grep 'status=deferred ' "$PF/maillog" | grep -c -F "$1"
	fi
}

swaks_send()
{
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --timeout 60 \
	    --helo client.customer.test "$@" 2>&1
}

swaks_customer()
{
	swaks_send --from "$1@customer.test" --to support@example.com \
	    --header "From: $1 <$1@customer.test>" --header "Subject: Help for $1" \
	    --header "Message-Id: <$2>" --body "Please help, $1." >"$T/swaks.$2.out"
	grep -q '<-  250 .*queued' "$T/swaks.$2.out"
}
