#!/bin/bash
# tools/demo.sh - the self-contained demo of support-milter (README, first
# command). As root on Debian 12: installs the packages, builds in _build,
# then starts a private Redis (unix socket) and a private Postfix (loopback)
# with the milter, sends one customer mail to support@example.com and an
# agent's reply to it, and shows what everyone sees: the stamped copy in the
# support Maildir, the acknowledgement and the relayed answer in the
# customer's Maildir, and the ticket in supportctl. Everything it starts is
# stopped again at the end; nothing is left running.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

echo "== installing packages and building (first run takes a few minutes)"
tools/deps.sh
[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || { echo "autogen.sh failed: run it by hand to see why"; exit 1; }
mkdir -p _build
cd _build
[ -f Makefile ] || ../configure -q
make -j2 >/dev/null
export top_srcdir=$top top_builddir=$top/_build SM_TEST_NAME=demo
exec bash "$top/tools/demo-run.sh"
