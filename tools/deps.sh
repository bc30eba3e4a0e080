#!/bin/sh
# Install what building and testing support-milter needs on Debian 12.
# Idempotent; run as root. Postfix is installed without configuring the
# system instance: the tests and the demo start private instances.
# redis-server also runs Redis Sentinel (redis-server FILE --sentinel, as
# tests/lib/sentinel.sh does): the failover tests need no redis-sentinel
# package. prlimit (util-linux) and smtp-source (postfix) are there too.
# SMTP AUTH in the tests' private Postfix (SM_PF_SASL=1): saslpasswd2
# (sasl2-bin), the PLAIN/LOGIN plugins (libsasl2-modules) and the sasldb
# auxprop plugin (libsasl2-modules-db); libsasl2-2 comes with postfix.
# mutt (2.2) and tmux: tests/integration/agent_mutt.sh, where a real
# terminal mail client (driven through tmux) replies to a stamped copy.
# Sendmail for tests/integration/sendmail_e2e.sh: Debian's sendmail
# conflicts with Postfix as a package, so its .debs are unpacked (dpkg -x)
# into $SM_SENDMAIL_ROOT, never installed (tests/lib/sendmail.sh).
# debhelper, lintian: the Debian package and its test (make check-package).
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential autoconf automake libtool pkg-config
      libmilter-dev libgmime-3.0-dev libhiredis-dev libjson-glib-dev libglib2.0-dev
      redis-server redis-tools postfix swaks miltertest procps jq lua5.1
      sasl2-bin libsasl2-modules libsasl2-modules-db mutt tmux
      clang libfuzzer-14-dev libmicrohttpd-dev curl m4
      debhelper dpkg-dev fakeroot lintian"
SM_SENDMAIL_ROOT=${SM_SENDMAIL_ROOT:-/var/cache/support-milter-tests/sendmail}
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi
if [ ! -x "$SM_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
	d=$(mktemp -d)
	(cd "$d" && apt-get download -qq sendmail-bin sendmail-cf sendmail-base libwrap0) ||
	    { apt-get update -qq && (cd "$d" && apt-get download -qq sendmail-bin sendmail-cf sendmail-base libwrap0); }
	mkdir -p "$SM_SENDMAIL_ROOT"
	for f in "$d"/*.deb; do dpkg -x "$f" "$SM_SENDMAIL_ROOT"; done
	# setgid would make the loader ignore LD_LIBRARY_PATH (libwrap)
	chmod g-s "$SM_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail"
	rm -rf "$d"
fi
