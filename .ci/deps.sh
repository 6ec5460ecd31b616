#!/bin/sh
# Installs what kuntamon needs to build, test and run on Debian 12.
set -e
export DEBIAN_FRONTEND=noninteractive
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
	build-essential pkg-config clang libclang-rt-14-dev cppcheck clang-format \
	libmicrohttpd-dev librrd-dev libsqlite3-dev libcjson-dev \
	libcurl4-openssl-dev libinih-dev libsodium-dev \
	rrdtool rrdcached sqlite3 curl jq ca-certificates prometheus valgrind wrk \
	strace openssl systemd man-db groff-base \
	libxlsxwriter-dev python3-pandas python3-openpyxl faketime
# The browser tests (tests/browser/): Debian's Chromium, node and npm (a
# node already installed, e.g. with npm bundled, is kept), and the pinned
# npm packages.
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
command -v npm >/dev/null 2>&1 ||
	$SUDO apt-get install -y -q --no-install-recommends nodejs npm
(cd "$(dirname "$0")/../tests/browser" && npm ci --no-audit --no-fund)
# The analysts' client libraries (tests/clients/): jsonstat-toolkit and
# swagger-parser; pandas and openpyxl come from Debian above.
(cd "$(dirname "$0")/../tests/clients" && npm ci --no-audit --no-fund)
