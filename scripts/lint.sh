#!/bin/sh
# Static analysis: clang-tidy (checks in .clang-tidy) and cppcheck over
# every C source. Exits non-zero on any finding.
set -u
cd "$(dirname "$0")/.."
CFLAGS="-std=c11 -D_GNU_SOURCE -Ilib -Iwatchdog $(pkg-config --cflags libmicrohttpd libcurl jansson libconfig cmocka)"
SOURCES=$(find lib watchdog tests/fixtures bench -name '*.c' | sort)
status=0
echo "clang-tidy..."
# shellcheck disable=SC2086
clang-tidy --quiet $SOURCES -- $CFLAGS || status=1
echo "cppcheck..."
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
    --std=c11 --inline-suppr -Ilib -Iwatchdog -D_GNU_SOURCE $SOURCES || status=1
[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
