#!/bin/sh
# Installs every Debian package that faasbus needs to build, test, benchmark
# and run its demo. Idempotent and non-interactive; waits for the apt lock
# instead of failing when another apt is running.
set -eu

PACKAGES="
build-essential pkg-config make gcc nodejs
libcurl4-openssl-dev libjansson-dev libconfig-dev libssl-dev
libnats-dev librdkafka-dev libcmocka-dev libyaml-dev libjemalloc-dev
nats-server kcat curl wrk nginx procps psmisc iproute2 jq
python3 python3-requests python3-kafka python3-pytest python3-pytest-xdist python3-yaml python3-jsonschema
chromium chromium-driver python3-selenium
docker.io busybox-static docker-compose
clang-tidy clang-format cppcheck valgrind clang libclang-rt-14-dev
openssl util-linux
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed'; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "deps: all packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# DPkg::Lock::Timeout makes apt wait for a held lock rather than fail.
APT="$SUDO apt-get -y -q -o DPkg::Lock::Timeout=600"
echo "deps: installing$missing"
$APT update
# shellcheck disable=SC2086
$APT install --no-install-recommends $missing
