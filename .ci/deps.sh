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
	rrdtool rrdcached sqlite3 curl jq ca-certificates prometheus valgrind wrk
