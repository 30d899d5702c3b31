#!/bin/sh
# Builds faasbus's container images with no registry: each is FROM scratch
# plus a root filesystem assembled here from build/bin (the binary and the
# shared libraries ldd lists, nothing else), built with the legacy builder.
#   faasbus/watchdog    /usr/bin/fwatchdog plus busybox (a shell and the
#                       usual tools for classic-mode functions): function
#                       images start FROM it or COPY the watchdog out of it
#   faasbus/gateway, faasbus/queue-worker, faasbus/connector,
#   faasbus/devkafka    one daemon each
#   faasbus/nats        Debian's nats-server (static), for the compose file
# Usage: scripts/images.sh [TAG]   (default latest; DOCKER_HOST picks the
# engine; BUILD the build tree). Each image is tagged with the release
# too (faasbus/<name>:VERSION, FAASBUS_VERSION of lib/cli.h), the tag the
# Kubernetes manifests name.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TAG=${1:-latest}
DOCKER=${DOCKER:-docker}
VERSION=$(sed -n 's/^#define FAASBUS_VERSION "\(.*\)"$/\1/p' lib/cli.h)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# copy_libs ROOT FILE: every library FILE links (ldd's absolute paths).
copy_libs() {
    ldd "$2" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
        while read -r lib; do
            mkdir -p "$1$(dirname "$lib")"
            cp -L "$lib" "$1$lib"
        done
}

# copy_bin ROOT SRC DEST [SONAME...]: the binary, every library it links,
# and each SONAME it dlopen()s (invisible to ldd) with that one's libraries.
copy_bin() {
    root=$1 src=$2 dest=$3
    shift 3
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$src" "$root$dest"
    copy_libs "$root" "$src"
    for soname in "$@"; do
        lib=$(ldconfig -p | awk -v n="$soname" '$1 == n { print $NF; exit }')
        [ -n "$lib" ] || { echo "images: $soname not found (ldconfig -p)" >&2; exit 1; }
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
        copy_libs "$root" "$lib"
    done
}

base_root() {
    root=$1
    mkdir -p "$root/etc" "$root/tmp" "$root/var/openfaas/secrets" "$root/var/lib/faasbus"
    chmod 1777 "$root/tmp"
    printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' \
        > "$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        mkdir -p "$root/etc/ssl/certs"
        cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
    fi
}

# build NAME ENTRYPOINT-JSON EXPOSE
build() {
    name=$1 entry=$2 port=$3
    {
        echo "FROM scratch"
        echo "COPY rootfs/ /"
        echo "EXPOSE $port"
        echo "ENTRYPOINT $entry"
    } > "$work/$name/Dockerfile"
    DOCKER_BUILDKIT=0 $DOCKER build -q -t "faasbus/$name:$TAG" -t "faasbus/$name:$VERSION" \
        "$work/$name" >/dev/null
    echo "images: faasbus/$name:$TAG faasbus/$name:$VERSION"
}

root="$work/watchdog/rootfs"
base_root "$root"
copy_bin "$root" "$BUILD/bin/faasbus-watchdog" /usr/bin/fwatchdog
copy_bin "$root" /bin/busybox /bin/busybox
for a in $(/bin/busybox --list); do
    [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
build watchdog '["/usr/bin/fwatchdog"]' 8080

for d in gateway:8080 queue-worker:8082 connector:8081 devkafka:9092; do
    name=${d%%:*} port=${d#*:}
    root="$work/$name/rootfs"
    base_root "$root"
    # The gateway and the connector load libcurl on its first call
    # (lib/curl_ondemand.c).
    dlopens=
    case $name in gateway | connector) dlopens=libcurl.so.4 ;; esac
    # shellcheck disable=SC2086 # dlopens: zero or more sonames
    copy_bin "$root" "$BUILD/bin/faasbus-$name" "/usr/bin/faasbus-$name" $dlopens
    build "$name" "[\"/usr/bin/faasbus-$name\"]" "$port"
done

if command -v nats-server >/dev/null; then
    root="$work/nats/rootfs"
    base_root "$root"
    copy_bin "$root" "$(command -v nats-server)" /usr/bin/nats-server
    build nats '["/usr/bin/nats-server"]' 4222
fi
