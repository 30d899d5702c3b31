# shellcheck shell=bash
# lib.sh -- helpers shared by the benchmarks (bench/*/run and the scripts
# beside them). Bash; source it from the repository root: . bench/lib.sh
#
# Callers set BENCH_TMP (a private directory) before starting anything and
# call bench_cleanup from an EXIT trap: every process started through
# bench_start (and the children the daemons spawned, recorded with
# bench_adopt_children) is stopped there, and BENCH_TMP is removed.
#
# Load runs (bench_wrk) keep their results in the associative arrays
# RPS, P50, P99 (best run of each case), RUNS (req/s of every run) and
# ERRS (error notes), and the names of failed cases in BROKEN.

BENCH_PIDS=()
BENCH_PORTS=" "

bench_die() {
    echo "bench: $*" >&2
    exit 1
}

# Prints a TCP port that no socket uses (listening or connected) and that
# this run has not handed out yet (remembered in $BENCH_TMP/ports, since
# callers run it in a subshell: PORT=$(bench_free_port)). It is taken below
# the kernel's ephemeral range when there is room (20000 up to its start),
# so that the outgoing connections of a busy machine (thousands after a
# load run, other test suites) cannot take it between this check and the
# daemon's bind.
bench_free_port() {
    local p used tries=0 lo=20000 span=40000 eph_lo
    if read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null &&
        [ "$eph_lo" -gt $((lo + 1000)) ]; then
        span=$((eph_lo - lo))
    fi
    used=$(ss -Htan 2>/dev/null | awk '{ n = split($4, a, ":"); print a[n] }' | sort -u | tr '\n' ' ')
    [ -n "${BENCH_TMP:-}" ] && [ -f "$BENCH_TMP/ports" ] && used="$used $(tr '\n' ' ' <"$BENCH_TMP/ports")"
    while :; do
        p=$((lo + (RANDOM * 32768 + RANDOM) % span))
        case " $used $BENCH_PORTS" in
        *" $p "*) ;;
        *)
            BENCH_PORTS="$BENCH_PORTS$p "
            [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] && echo "$p" >>"$BENCH_TMP/ports"
            echo "$p"
            return 0
            ;;
        esac
        tries=$((tries + 1))
        [ "$tries" -lt 1000 ] || bench_die "no free port found"
    done
}

# bench_start NAME CMD...: starts CMD in the background with its output in
# $BENCH_TMP/NAME.log; its pid is in BENCH_LAST_PID.
bench_start() {
    local name=$1
    shift
    "$@" >"$BENCH_TMP/$name.log" 2>&1 &
    BENCH_LAST_PID=$!
    BENCH_PIDS+=("$BENCH_LAST_PID")
}

# Records the direct children of PID (a watchdog's upstream, a gateway's
# replicas) so that cleanup stops them even if PID itself does not.
bench_adopt_children() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do
        BENCH_PIDS+=("$c")
    done
}

# bench_wait_http URL PID [SECONDS]: waits until URL answers 200; fails if
# PID exits first or the time (default 10 s) runs out.
bench_wait_http() {
    local url=$1 pid=$2 secs=${3:-10} i code
    for ((i = 0; i < secs * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null)
        [ "$code" = 200 ] && return 0
        sleep 0.05
    done
    return 1
}

# Stops PID: SIGTERM, then SIGKILL after 3 s. Reaps it if it is our child.
bench_stop() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        # A zombie child of ours counts as stopped; wait reaps it below.
        [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

bench_cleanup() {
    local i
    # Oldest first: a watchdog stops its own upstream (so it does not
    # restart one we killed); recorded children left over go after it.
    for ((i = 0; i < ${#BENCH_PIDS[@]}; i++)); do
        bench_stop "${BENCH_PIDS[i]}"
    done
    BENCH_PIDS=()
    [ -n "${BENCH_TMP:-}" ] && [ -d "$BENCH_TMP" ] && rm -rf "$BENCH_TMP"
    return 0
}

# --- settings --------------------------------------------------------------

# bench_settings: checks BENCH_SECONDS and BENCH_ROUNDS and sets SECS
# (default 5) and ROUNDS (default 2) from them.
bench_settings() {
    SECS=${BENCH_SECONDS:-5}
    case "$SECS" in
    '' | *[!0-9]*) bench_die "BENCH_SECONDS must be a whole number of seconds (got '$SECS')" ;;
    esac
    [ "$SECS" -ge 1 ] || bench_die "BENCH_SECONDS must be at least 1"
    ROUNDS=${BENCH_ROUNDS:-2}
    case "$ROUNDS" in
    '' | *[!0-9]*) bench_die "BENCH_ROUNDS must be a whole number (got '$ROUNDS')" ;;
    esac
    [ "$ROUNDS" -ge 1 ] || bench_die "BENCH_ROUNDS must be at least 1"
}

# bench_need_tools TOOL...: dies naming the first one not on PATH.
bench_need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null ||
            bench_die "$t is missing (apt-get install wrk curl iproute2 procps)"
    done
}

# --- load runs with wrk ----------------------------------------------------

# shellcheck disable=SC2034 # results: read by the callers
declare -A RPS P50 P99 RUNS ERRS
BROKEN=""
BENCH_CONNS=16 # wrk -c
BENCH_NRUN=0

# bench_post_lua: writes the wrk script (POST "hello", text/plain) to
# $BENCH_TMP/post.lua and sets BENCH_LUA to it.
bench_post_lua() {
    BENCH_LUA=$BENCH_TMP/post.lua
    cat >"$BENCH_LUA" <<'LUA'
wrk.method = "POST"
wrk.body = "hello"
wrk.headers["Content-Type"] = "text/plain"
LUA
}

# Keeps the best run (by req/s) of CASE: bench_record CASE RPS P50 P99
# shellcheck disable=SC2034 # P50 and P99 are read by the callers
bench_record() {
    RUNS[$1]="${RUNS[$1]:-}${RUNS[$1]:+, }$2"
    if [ -z "${RPS[$1]:-}" ] || awk -v a="$2" -v b="${RPS[$1]}" 'BEGIN { exit !(a > b) }'; then
        RPS[$1]=$2
        P50[$1]=$3
        P99[$1]=$4
    fi
}

# Adds a note about errors seen in a run of CASE: bench_note_error CASE TEXT
bench_note_error() {
    ERRS[$1]="${ERRS[$1]:-}${ERRS[$1]:+; }$2"
}

# bench_broken NAME: marks NAME (a case, or what died) as broken, once.
bench_broken() {
    case " $BROKEN " in *" $1 "*) ;; *) BROKEN="$BROKEN $1" ;; esac
}

# bench_cpus: the CPUs this script may run on, as a list ("0-1").
bench_cpus() {
    taskset -cp $$ 2>/dev/null | sed 's/.*: //'
}

# bench_split_cpus LIST: the first two CPUs of a cpu list ("0-3",
# "0,2,5-7"), space-separated; one or none if the list is shorter.
bench_split_cpus() {
    tr ',' '\n' <<<"$1" | awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' |
        head -n 2 | tr '\n' ' '
}

# bench_pin CPUS PID...: every thread of each process onto CPUS (taskset
# -a). Returns 1 if one could not be moved.
bench_pin() {
    local cpus=$1 p
    shift
    for p in "$@"; do
        taskset -a -cp "$cpus" "$p" >/dev/null || return 1
    done
}

# bench_wrk CASE URL SECONDS [measure]: one wrk run of $BENCH_CONNS
# connections, 2 threads, with $BENCH_LUA. With `measure` the run is
# recorded; without, it is a warm-up. Non-2xx answers and socket errors
# are noted in ERRS; more than 1% of them marks CASE broken (the figure
# would not measure the daemon). Dies if wrk fails or completes nothing.
bench_wrk() {
    local f parsed rps p50 p99 reqs non2xx sock
    BENCH_NRUN=$((BENCH_NRUN + 1))
    f=$BENCH_TMP/wrk.$BENCH_NRUN.$1.txt
    # BENCH_WRK_CPU: the CPUs wrk runs on (taskset -c); empty: any.
    ${BENCH_WRK_CPU:+taskset -c "$BENCH_WRK_CPU"} \
        wrk -t2 -c"$BENCH_CONNS" -d"$3"s --latency -s "$BENCH_LUA" "$2" >"$f" 2>&1 ||
        { cat "$f" >&2; bench_die "wrk failed against $2"; }
    parsed=$(awk '
        function ms(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s") return n * 1000
            if (u == "m") return n * 60000
            if (u == "h") return n * 3600000
            return -1
        }
        /Requests\/sec:/ { rps = $2 }
        /^[ \t]+50%/ { p50 = ms($2) }
        /^[ \t]+99%/ { p99 = ms($2) }
        / requests in / { reqs = $1 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { line = $0; gsub(/[^0-9 ]/, " ", line); n = split(line, a, " ")
                            for (i = 1; i <= n; i++) sock += a[i] }
        END { if (rps == "" || p50 == "" || p99 == "") exit 1
              printf "%s %.2f %.2f %d %d %d\n", rps, p50, p99, reqs, non2xx, sock }' "$f") ||
        { cat "$f" >&2; bench_die "cannot parse wrk output against $2"; }
    read -r rps p50 p99 reqs non2xx sock <<<"$parsed"
    [ "$reqs" -gt 0 ] || { cat "$f" >&2; bench_die "no request completed against $2"; }
    local phase=run
    [ "${4:-}" = measure ] || phase=warm-up
    if [ "$non2xx" -gt 0 ] || [ "$sock" -gt 0 ]; then
        local msg="$phase: $non2xx non-2xx responses of $reqs requests"
        [ "$sock" -gt 0 ] && msg="$msg, $(grep 'Socket errors' "$f" | sed 's/^ *//')"
        bench_note_error "$1" "$msg"
        if [ $(((non2xx + sock) * 100)) -gt "$reqs" ]; then
            bench_broken "$1"
        fi
    fi
    [ "$phase" = run ] && bench_record "$1" "$rps" "$p50" "$p99"
    return 0
}

# --- report ----------------------------------------------------------------

# bench_ratio A B: A / B with two decimals (0 if B is 0).
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# bench_verdict VALUE OP LIMIT (OP is >= or <=): PASS or MISS.
bench_verdict() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "PASS" : "MISS" }'
}

# bench_judged CASE CEILING VERDICT: VERDICT, or INVALID if either case is
# in BROKEN.
bench_judged() {
    case " $BROKEN " in
    *" $1 "* | *" $2 "*) echo INVALID ;;
    *) echo "$3" ;;
    esac
}

# bench_mb KB: kilobytes as megabytes with one decimal.
bench_mb() { awk -v k="${1:-0}" 'BEGIN { printf "%.1f", k / 1024 }'; }

# bench_proc_mem PID: prints "rss_kb=<VmRSS> anon_kb=<RssAnon> file_kb=<RssFile>
# threads=<Threads>" from /proc/PID/status; fails if PID is gone.
bench_proc_mem() {
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^Threads:/ { t = $2 }
         END { if (r == "") exit 1; printf "rss_kb=%d anon_kb=%d file_kb=%d threads=%d\n", r, a, f, t }' \
        "/proc/$1/status" 2>/dev/null
}

# bench_ticks PID...: CPU time (utime + stime, in clock ticks) the
# processes have used, summed; a process gone counts 0.
bench_ticks() {
    local p t=0 v
    for p in "$@"; do
        v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }')
        t=$((t + ${v:-0}))
    done
    echo "$t"
}

# bench_us_per TICKS N: TICKS of CPU time as microseconds per item.
bench_us_per() {
    awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.0f", (n > 0 ? 1e6 * t / hz / n : 0) }'
}

# bench_field LINE KEY: the value of KEY=<value> in LINE.
bench_field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# bench_descendants PID: every process below PID (children, grandchildren...).
bench_descendants() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null); do
        echo "$c"
        bench_descendants "$c"
    done
}

# Records every descendant of PID (children first) so that cleanup stops
# them after PID even if PID itself does not.
bench_adopt_descendants() {
    local c
    for c in $(bench_descendants "$1"); do
        BENCH_PIDS+=("$c")
    done
}
