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
others=""
for p in $missing; do
    [ "$p" = nginx ] || others="$others $p"
done
if [ -n "$others" ]; then
    # shellcheck disable=SC2086
    $APT install --no-install-recommends $others
fi

# nginx is only bench/gateway's reference proxy, which starts its own on a
# free port. Debian's package would start its service on port 80, and fail
# the install where that port is taken. So it is installed on its own,
# with a policy-rc.d that tells the package scripts not to start services
# (unless the machine has one already), and the service it enables is
# disabled again. An nginx that was already here is left alone.
case " $missing " in
*" nginx "*)
    hold=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod 755 /usr/sbin/policy-rc.d
        hold=1
        trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    $APT install --no-install-recommends nginx
    if command -v systemctl >/dev/null 2>&1; then
        $SUDO systemctl disable --quiet nginx 2>/dev/null || true
    fi
    if [ -n "$hold" ]; then
        $SUDO rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
    ;;
esac
