#!/bin/sh
# Static analysis: clang-tidy (checks in .clang-tidy) and cppcheck over
# every C source. Exits non-zero on any finding.
set -u
cd "$(dirname "$0")/.."
CFLAGS="-std=c11 -D_GNU_SOURCE -Ilib -Iwatchdog $(pkg-config --cflags libcurl jansson libconfig cmocka)"
SOURCES=$(find lib watchdog gateway devkafka connector cli tests/fixtures bench -name '*.c' 2>/dev/null | sort)
# cppcheck does not read system headers: jansson's iteration macros are
# spelled out for it as the loops they are.
JANSSON_MACROS="-Djson_object_foreach(o,k,v)=for(k=0,v=0;k;) -Djson_array_foreach(a,i,v)=for(i=0,v=0;v;)"

status=0
echo "clang-tidy..."
# shellcheck disable=SC2086
clang-tidy --quiet $SOURCES -- $CFLAGS || status=1
echo "cppcheck..."
# shellcheck disable=SC2086
cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
    --std=c11 --inline-suppr -Ilib -Iwatchdog -D_GNU_SOURCE $JANSSON_MACROS $SOURCES \
    || status=1
[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
