#!/bin/sh
# e2e/scenario.sh — the end-to-end scenario, run inside dom0 by /init (installed as /e2e/scenario.sh).
#
# Each check prints `PASS NAME` or `FAIL NAME REASON` on the console, judged from what Xen says (`xl list`,
# xenstore) and not only from dispo's own words. Measurements are printed as `MEASURE|key|seconds|note`.
# At the end everything is printed again between E2E-RESULTS-BEGIN and E2E-RESULTS-END (the host harness
# reads that block, so a kernel message cutting into a line on the console cannot spoil the count).
# Exit status: 0 when every check passed.
#
# What the checks expect from dispo's xen backend (see e2e/README.md):
#   - metadata under $E2E_XS_DOMAINS (default /dispo/domains), one directory per domain, keyed by the
#     domain's name, uuid or domid, with the keys owner, role, stage (DESIGN.md), dom0-only permissions;
#   - the controller's socket at /run/dispo/dispo.sock (the default as root).

[ -f /e2e/env ] && . /e2e/env
export PATH=/usr/local/bin:/usr/lib/xen-4.17/bin:/bin:/sbin:/usr/bin:/usr/sbin
# a crash of dispo prints a backtrace (the Swift runtime's backtracer, copied into the initramfs)
BT=/usr/libexec/swift/linux/swift-backtrace-static
[ -x $BT ] && export SWIFT_BACKTRACE="enable=yes,interactive=no,color=no,swift-backtrace=$BT"
CFG=/etc/dispo
CFGFILE=$CFG/e2e.yaml
XSD=${E2E_XS_DOMAINS:-/dispo/domains}
XSR=${XSD%/*}
DVM=e2e-dvm
COLD=e2e-cold
NAMED=e2e-named
BYHAND=byhand
SOCK=/run/dispo/dispo.sock
POLL=${E2E_POLL:-1}
W=/run/e2e
mkdir -p $W /var/log
RES=$W/results
MEAS=$W/measure
SNAP=$W/snap
WATCH_LOG=/var/log/dispo-watch.log
: > $RES
: > $MEAS
NOBACKEND=""
WATCH_PID=""

# ---------------------------------------------------------------------------------------------- helpers
upsec() { cut -d. -f1 /proc/uptime; }
DEADLINE=$(($(upsec) + ${E2E_T_SCENARIO:-1500}))
now() { e2e-now; }
elapsed() { awk -v a="$1" -v b="$(e2e-now)" 'BEGIN { printf "%.3f", b - a }'; }
oneline() { tr '\n\t' '  ' | sed 's/  */ /g; s/ $//'; }
info() { echo "  info: $*"; }
pass() {
    echo "PASS $1"
    echo "PASS $1" >> $RES
}
fail() {
    name=$1
    shift
    reason=$(echo "$*" | oneline)
    echo "FAIL $name $reason"
    echo "FAIL $name $reason" >> $RES
    diag
}
diag() {
    [ -n "$E2E_QUIET_DIAG" ] && return
    echo "  | --- xl list"
    xl list 2>&1 | sed 's/^/  | /'
    snapshot
    echo "  | --- NAME DOMID STATE METADATA-KEY ROLE STAGE OWNER"
    sed 's/^/  | /' $SNAP
    echo "  | --- xenstore-ls $XSR"
    xenstore-ls "$XSR" 2>&1 | head -n 40 | sed 's/^/  | /'
    echo "  | --- guest consoles (last line each; last 8 lines of those that never got ready)"
    for f in /var/log/xen/console/guest-*.log; do
        [ -f "$f" ] || continue
        if grep -q E2E-GUEST-READY "$f"; then
            echo "  | ${f##*/guest-}: $(tail -n 1 "$f" | cut -c1-150)"
        else
            echo "  | ${f##*/guest-}: (never ready)"
            tail -n 8 "$f" | cut -c1-150 | sed 's/^/  |     /'
        fi
    done
    if [ -s $WATCH_LOG ]; then
        echo "  | --- tail $WATCH_LOG"
        tail -n 12 $WATCH_LOG | sed 's/^/  | /'
    fi
}
measure() { # KEY SECONDS NOTE
    m_v=$(awk -v x="$2" 'BEGIN { if (x ~ /^[0-9.]+$/) printf (x < 0.1 ? "%.4f" : "%.3f"), x; else print x }')
    echo "MEASURE|$1|$m_v|$3" >> $MEAS
    echo "  measure: $1 = $m_v s ($3)"
}
# wait_until SECONDS COMMAND...: run COMMAND every $POLL s until it succeeds (0) or the time is up (1);
# never beyond the scenario's deadline
wait_until() {
    wu_end=$(($(upsec) + $1))
    shift
    [ $wu_end -gt $DEADLINE ] && wu_end=$DEADLINE
    while :; do
        "$@" && return 0
        [ "$(upsec)" -ge $wu_end ] && return 1
        sleep $POLL
    done
}
needs_backend() { # NAME: fail NAME at once when dispo could not drive Xen at all
    [ -z "$NOBACKEND" ] && return 0
    not_run "$1"
    return 1
}
not_run() { # NAME: a check that could not run (no diagnostics: they would repeat the first failure's)
    echo "FAIL $1 not run: $NOBACKEND"
    echo "FAIL $1 not run: $NOBACKEND" >> $RES
}

# dx SECONDS OUT ERR ARGS...: run `dispo ARGS` with a timeout, stdout to OUT, stderr to ERR; returns its status.
# dispo exits 0, 1, 2 or 64: a status from 128 up is a signal. Except the timeout's SIGTERM (143), that is a
# crash: recorded for check 13, and its stderr (the Swift runtime's backtrace) is printed.
CRASHES=""
dx() {
    dx_t=$1 dx_out=$2 dx_err=$3
    shift 3
    timeout $dx_t dispo "$@" > $dx_out 2> $dx_err
    dx_rc=$?
    if [ $dx_rc -ge 128 ] && [ $dx_rc != 143 ]; then
        CRASHES="$CRASHES dispo $1 exited with status $dx_rc;"
        echo "  info: CRASH: dispo $* exited with status $dx_rc; its stderr:"
        head -n 80 $dx_err | cut -c1-200 | sed 's/^/  | /'
    fi
    return $dx_rc
}

# snapshot: $SNAP gets one line per domain in `xl list` (Domain-0 included):
#   NAME DOMID STATE MKEY ROLE STAGE OWNER
# MKEY is the key of the domain's metadata directory under $XSD (its name, uuid or domid), "-" when none;
# metadata directories with no domain come as lines with NAME "?".
snapshot() {
    xl list -v > $W/xl 2> $W/xl.err || : > $W/xl
    xenstore-ls "$XSD" > $W/xs 2> /dev/null || : > $W/xs
    awk -v xsfile="$W/xs" '
        function v(x) { return x == "" ? "-" : x }
        BEGIN {
            while ((getline line < xsfile) > 0) {
                match(line, /^ */); d = RLENGTH; body = substr(line, d + 1)
                k = body; sub(/ = .*/, "", k)
                val = body; sub(/^[^=]*= "/, "", val); sub(/"$/, "", val)
                if (d == 0) { cur = k; keys[cur] = 1 } else if (!((cur, k) in m)) m[cur, k] = val
            }
        }
        FNR == 1 { next }
        {
            name = $1; id = $2; st = $5; uuid = $7; mk = "-"
            if (name in keys) mk = name; else if (uuid in keys) mk = uuid; else if (id in keys) mk = id
            if (mk != "-") seen[mk] = 1
            print name, id, st, mk, v(m[mk, "role"]), v(m[mk, "stage"]), v(m[mk, "owner"])
        }
        END { for (k in keys) if (!(k in seen)) print "?", "-", "-", k, v(m[k, "role"]), v(m[k, "stage"]), v(m[k, "owner"]) }
    ' $W/xl > $SNAP
}
field() { awk -v n="$1" -v f="$2" '$1 == n { print $f; exit }' $SNAP; } # NAME FIELD#
in_xl() { awk -v n="$1" '$1 == n { f = 1 } END { exit !f }' $SNAP; }
state_of() { field "$1" 3; }
is_paused() { case "$(state_of "$1")" in ??p*) return 0 ;; esac; return 1; }
is_running() { # in xl list, not paused, not shut down, crashed or dying
    s=$(state_of "$1")
    [ -n "$s" ] && [ "$(echo "$s" | cut -c3-6)" = "----" ]
}
paused_preloads() { awk '$5 == "preload" && $3 ~ /^..p/ { print $1 }' $SNAP; }
owned() { awk '$7 == "dispo" && $1 != "?" { print $1 }' $SNAP; }
count() { grep -c . || true; }
queue() { # the ready preloads of e2e-dvm, oldest first, per `dispo status --json`
    dx 30 $W/status.json $W/status.err status --host xen -c $CFG --json || { Q=""; return 1; }
    Q=$(jq -r --arg t "$DVM" '.templates[] | select(.name == $t) | .preload.queue[]' $W/status.json 2>> $W/status.err)
}
queue_ok() { # the queue has 2 preloads, each paused in xl list, and xl list has exactly 2 paused preloads
    queue || return 1
    [ "$(echo "$Q" | count)" = 2 ] || return 1
    snapshot
    for q in $Q; do is_paused "$q" && [ "$(field "$q" 5)" = preload ] || return 1; done
    [ "$(paused_preloads | count)" = 2 ]
}
in_list() { # WORD LIST
    for w in $2; do [ "$w" = "$1" ] && return 0; done
    return 1
}
gone() { # NAME MKEY DOMID: the domain has left xl list and its metadata directory is gone
    snapshot
    ! in_xl "$1" && ! awk -v k="$2" -v d="$3" '$4 == k || $2 == d { f = 1 } END { exit !f }' $SNAP \
        && ! xenstore-read "$XSD/$2/owner" > /dev/null 2>&1
}
json() { # JSON FILTER
    echo "$1" | jq -r "$2" 2> $W/jq.err
    j_rc=$?
    [ $j_rc = 0 ] || echo "  info: jq $2 failed with status $j_rc on '$(echo "$1" | oneline | cut -c1-200)': $(oneline < $W/jq.err)" >&2
    return $j_rc
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
request() { # TARGET...: dispo request --json, timed; sets REQ (JSON), REQ_RC, REQ_WALL, REQ_NAME
    rq_t0=$(now)
    dx 150 $W/request.json $W/request.err request "$@" --host xen -c $CFG --json
    REQ_RC=$?
    REQ=$(cat $W/request.json)
    REQ_WALL=$(elapsed $rq_t0)
    REQ_NAME=$(json "$REQ" .name)
    [ "$REQ_NAME" = null ] && REQ_NAME=""
    info "dispo request $* -> rc=$REQ_RC in ${REQ_WALL}s: $(echo "$REQ" | oneline) $(oneline < $W/request.err | cut -c1-300)"
}
# start_watch: the controller in the background; WATCH_PID is dispo's own pid, $W/watch.rc gets its exit status
start_watch() {
    rm -f $W/watch.rc $W/watch.pid
    (
        dispo watch --host xen -c $CFG >> $WATCH_LOG 2>&1 &
        echo $! > $W/watch.pid
        wait $!
        echo $? > $W/watch.rc
    ) &
    i=0
    while [ ! -s $W/watch.pid ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    WATCH_PID=$(cat $W/watch.pid)
}
watch_exited() { [ -s $W/watch.rc ]; }
watch_up() { ! watch_exited && [ -S $SOCK ]; }
WATCH_DEATHS=""
# watch_check STEP: when the controller died on its own, record it (with its log's tail) and start it again,
# so one crash does not fail every later step
watch_check() {
    [ -n "$WATCH_PID" ] && watch_exited || return 0
    st=$(cat $W/watch.rc)
    WATCH_DEATHS="$WATCH_DEATHS died with exit status $st before step $1;"
    echo "  info: dispo watch (pid $WATCH_PID) died with exit status $st before step $1; the end of its log:"
    tail -n 60 $WATCH_LOG | sed 's/^/  | /'
    echo "----- restarted by the scenario after it died (status $st) -----" >> $WATCH_LOG
    start_watch
    wait_until 30 watch_up
}
api() { curl -sS --max-time 20 --unix-socket $SOCK "http://localhost$1"; } # PATH: GET on the daemon's socket
watch_answers() { api /v1/status > $W/api-status 2> $W/api.err && jq -e '.templates | length > 0' $W/api-status > /dev/null 2>&1; }

# --------------------------------------------------------------------------------- 0: the harness itself
step0() {
    if xl info > $W/xl-info 2>&1 && xl list > /dev/null 2>&1; then
        info "Xen $(awk -F': ' '/^xen_version/ { print $2 }' $W/xl-info), free memory $(awk -F': ' '/^free_memory/ { print $2 }' $W/xl-info) MiB"
        pass 0a-dom0-up
    else
        fail 0a-dom0-up "xl info: $(oneline < $W/xl-info | cut -c1-200)"
    fi

    if dx 60 $W/validate.out $W/validate.out validate -c $CFG; then
        out=$(cat $W/validate.out)
        info "$(dispo --version 2>&1 | head -n 1); $out"
        pass 0b-dispo-runs-in-dom0
    else
        fail 0b-dispo-runs-in-dom0 "dispo validate: $(oneline < $W/validate.out | cut -c1-300)"
    fi

    # the guest made by hand: what a user without dispo pays (xl create + boot until data/ready)
    t0=$(now)
    timeout 120 xl create /etc/xen/byhand.cfg > $W/xl-create.log 2>&1
    rc=$?
    t_create=$(elapsed $t0)
    BYHAND_DOMID=$(xl domid $BYHAND 2> /dev/null)
    ready=""
    if [ $rc = 0 ] && [ -n "$BYHAND_DOMID" ]; then
        end=$(($(upsec) + 90))
        while [ "$(upsec)" -lt $end ]; do
            [ "$(xenstore-read /local/domain/$BYHAND_DOMID/data/ready 2> /dev/null)" = 1 ] && { ready=1; break; }
            sleep 0.05
        done
    fi
    t_ready=$(elapsed $t0)
    if [ -n "$ready" ]; then
        measure byhand_xl_create "$t_create" "xl create of the guest, until the command returned"
        measure byhand_create_to_ready "$t_ready" "xl create + guest boot until dom0 reads data/ready=1"
        info "guest byhand (domid $BYHAND_DOMID): uptime at ready $(xenstore-read /local/domain/$BYHAND_DOMID/data/uptime 2> /dev/null) s, forgery probe: $(xenstore-read /local/domain/$BYHAND_DOMID/data/forge 2> /dev/null)"
        pass 0c-guest-ready-by-hand
    else
        fail 0c-guest-ready-by-hand "xl create rc=$rc domid=${BYHAND_DOMID:-none}; data/ready not 1 after ${t_ready}s; $(oneline < $W/xl-create.log | cut -c1-200); console: $(tail -n 5 /var/log/xen/console/guest-$BYHAND.log 2> /dev/null | oneline)"
    fi
}

# ------------------------------------------------------------- 0d: the Host contract, on Xen itself
# dispo-conformance runs HostConformance, the checks `swift test` runs against the simulated host, on this dom0's
# XenHost before any dispo controller runs: each check makes its own cf-* domains from e2e-dvm's spec (the guest of
# the templates, its readiness key; without the volatile disk, which later steps cover: its block hotplug costs
# seconds per domain under TCG) and removes them; byhand is the domain dispo did not make. One PASS/FAIL line per
# check, then 0d-host-conformance: every check reported, the program exited 0, nothing cf-* left in xl list or
# $XSD.
step0d() {
    t0=$(now)
    foreign=""
    [ -n "$BYHAND_DOMID" ] && xl domid $BYHAND > /dev/null 2>&1 && foreign="--foreign $BYHAND"
    [ -n "$foreign" ] || info "no $BYHAND domain: the conformance checks that need a foreign domain skip"
    : > $W/conformance.seen
    {
        timeout ${E2E_T_CONFORMANCE:-240} dispo-conformance -c $CFG --template $DVM --without-disks $foreign \
            2> $W/conformance.err
        echo $? > $W/conformance.rc
    } | while IFS= read -r line; do
        case "$line" in
            "PASS "*) pass "0d-host-${line#PASS }" ;;
            "FAIL "*)
                rest=${line#FAIL }
                fail "0d-host-${rest%% *}" "${rest#* }"
                ;;
            "SKIP "*) info "skipped 0d-host-${line#SKIP }" ;;
            *) echo "$line" ;;
        esac
        case "$line" in PASS\ * | FAIL\ * | SKIP\ *) echo "$line" | cut -d' ' -f2 >> $W/conformance.seen ;; esac
    done
    t=$(elapsed $t0)
    rc=$(cat $W/conformance.rc 2> /dev/null)
    why=""
    case "$rc" in
        0) ;;
        1) why="$why some checks failed;" ;;
        124 | 143) why="$why stopped after ${E2E_T_CONFORMANCE:-240} s (E2E_T_CONFORMANCE);" ;;
        *)
            why="$why dispo-conformance exited with status ${rc:-none};"
            [ "${rc:-0}" -ge 128 ] && CRASHES="$CRASHES dispo-conformance exited with status $rc;"
            head -n 60 $W/conformance.err | cut -c1-200 | sed 's/^/  | /'
            ;;
    esac
    missing=$(dispo-conformance --list 2> /dev/null | grep -vxF -f $W/conformance.seen | oneline)
    [ -z "$missing" ] || why="$why no result for: $missing;"
    snapshot
    left=$(awk '$1 ~ /^cf-/ || $4 ~ /^cf-/ { print $1 "/" $4 }' $SNAP | oneline)
    [ -z "$left" ] || why="$why left behind (domain/record): $left;"
    measure conformance_total "$t" "dispo-conformance: the Host contract checks against XenHost"
    if [ -z "$why" ]; then
        pass 0d-host-conformance
    else
        E2E_QUIET_DIAG=1 fail 0d-host-conformance "$why"
    fi
    # the rest of the scenario keeps its own time budget
    DEADLINE=$((DEADLINE + ${t%.*}))
}

# ------------------------------------------------------------------- 1: apply brings preloads and named up
step1() {
    t0=$(now)
    dx ${E2E_T_APPLY:-300} $W/apply.log $W/apply.err apply --host xen -c $CFG
    rc=$?
    cat $W/apply.err >> $W/apply.log
    t=$(elapsed $t0)
    sed 's/^/  apply: /' $W/apply.log | tail -n 20
    snapshot
    if [ -z "$(owned)" ] && grep -q "error:" $W/apply.log; then
        NOBACKEND="dispo apply --host xen made no domain: $(grep -m1 'error:' $W/apply.log | cut -c1-200)"
    fi
    np=$(paused_preloads | count)
    queue
    nq=$(echo "$Q" | count)
    if [ $rc = 0 ] && [ "$np" = 2 ] && [ "$nq" = 2 ] && is_running $NAMED; then
        measure apply_converge "$t" "dispo apply from nothing: 2 preloads ready and paused + the named disposable running"
        info "queue: $(echo $Q); $NAMED: $(state_of $NAMED)"
        pass 1-apply-preloads-paused-named-running
    else
        fail 1-apply-preloads-paused-named-running "apply rc=$rc after ${t}s; paused preloads in xl list: $np/2; queue: $nq/2; $NAMED state: $(state_of $NAMED)${NOBACKEND:+; $NOBACKEND}"
    fi
}

# ------------------------------------------------------------------------------------------- 2: watch
step2() {
    needs_backend 2-watch-serves-socket || return
    start_watch
    if wait_until 30 watch_up && wait_until 30 watch_answers; then
        mode=$(stat -c %a $SOCK 2> /dev/null)
        api /metrics > $W/metrics 2>> $W/api.err
        ready=$(awk '/^dispo_preload_ready[{].*e2e-dvm/ { print $NF + 0; exit }' $W/metrics)
        if [ "$mode" = 660 ] && [ "$ready" = 2 ]; then
            info "dispo watch pid $WATCH_PID; curl --unix-socket $SOCK: /v1/status has the templates, /metrics says dispo_preload_ready{e2e-dvm} $ready; socket mode $mode"
            pass 2-watch-serves-socket
        else
            fail 2-watch-serves-socket "socket $SOCK mode $mode (want 660); /metrics dispo_preload_ready for e2e-dvm: '$ready' (want 2): $(grep -m3 dispo_preload $W/metrics | oneline)"
        fi
    else
        fail 2-watch-serves-socket "dispo watch: $(watch_exited && echo "exited with status $(cat $W/watch.rc)" || echo running); socket $SOCK $([ -S $SOCK ] && echo exists || echo missing); GET /v1/status: $(oneline < $W/api.err | cut -c1-200) $(head -c 200 $W/api-status 2> /dev/null | oneline)"
    fi
}

# ----------------------------------------------------------------------- 2c: one controller per host
# A second controller on the same host (another socket) and an apply of another config beside the running one
# are refused before they touch anything; the first keeps its socket, its lease and its domains.
step2c() {
    needs_backend 2c-one-controller-per-host || return
    watch_up || { fail 2c-one-controller-per-host "no controller running"; return; }
    wait_until 90 queue_ok
    snapshot
    before=$(owned | sort | oneline)
    mkdir -p $W/other-config
    printf 'apiVersion: dispo/v1\nkind: System\n' > $W/other-config/x.yaml
    chmod -R go-w $W/other-config
    t0=$(now)
    dx 30 $W/second.out $W/second.err watch --host xen -c $CFG --socket $W/second.sock
    second_rc=$dx_rc
    measure lock_refuse_second_watch "$(elapsed $t0)" "a second dispo watch on the same host refused (command wall, from start to exit)"
    t0=$(now)
    dx 30 $W/apply2.out $W/apply2.err apply --host xen -c $W/other-config --allow-empty
    apply_rc=$dx_rc
    measure lock_refuse_apply "$(elapsed $t0)" "dispo apply beside the controller refused (command wall)"
    snapshot
    after=$(owned | sort | oneline)
    lease=$(xenstore-read $XSR/host/controller 2> /dev/null)
    if [ "$second_rc" = 1 ] && grep -q "pid $WATCH_PID" $W/second.err && [ ! -e $W/second.sock ] \
        && [ "$apply_rc" = 1 ] && grep -q "would fight it" $W/apply2.err \
        && [ "$before" = "$after" ] && [ "$lease" = "$WATCH_PID" ] && [ -S $SOCK ] && watch_answers; then
        info "second watch: $(oneline < $W/second.err | cut -c1-200)"
        info "apply: $(oneline < $W/apply2.err | cut -c1-200)"
        pass 2c-one-controller-per-host
    else
        fail 2c-one-controller-per-host "second watch rc=$second_rc: $(oneline < $W/second.err | cut -c1-160); apply rc=$apply_rc: $(oneline < $W/apply2.err | cut -c1-160); owned before '$before' after '$after'; lease '$lease' (want $WATCH_PID); socket $([ -S $SOCK ] && echo present || echo missing)"
    fi
}

# --------------------------------------------------------------------- 3: request hands out the oldest
step3() {
    needs_backend 3-request-hands-out-oldest-preload || { not_run 3-queue-refills; return; }
    wait_until 90 queue_ok
    Q0=$Q
    oldest=$(echo "$Q0" | head -n 1)
    request
    H1=$REQ_NAME
    REQ_SAMPLES="$REQ_WALL"
    BROKER_SAMPLES="$(json "$REQ" .seconds)"
    snapshot
    st=$(state_of "$H1")
    queue
    why=""
    [ $REQ_RC = 0 ] || why="$why request rc=$REQ_RC;"
    [ -n "$H1" ] && [ "$H1" = "$oldest" ] || why="$why handed out '$H1', the oldest preload was '$oldest' (queue: $(echo $Q0));"
    [ "$(json "$REQ" .preloaded)" = true ] || why="$why not preloaded;"
    is_running "$H1" || why="$why xl state of $H1 is '$st', not running;"
    in_list "$H1" "$Q" && why="$why $H1 still in the queue;"
    if [ -z "$why" ]; then
        measure request_preload_wall "$REQ_WALL" "dispo request (ready preload, via the daemon), command wall time"
        measure request_preload_broker "$(json "$REQ" .seconds)" "the same, as the broker reports it (seconds in the JSON)"
        info "$H1: xl state $st, role $(field "$H1" 5), stage $(field "$H1" 6)"
        pass 3-request-hands-out-oldest-preload
    else
        fail 3-request-hands-out-oldest-preload "$why"
    fi
    t0=$(now)
    if wait_until 90 queue_ok && ! in_list "$H1" "$Q"; then
        info "queue refilled in $(elapsed $t0)s: $(echo $Q)"
        pass 3-queue-refills
    else
        snapshot
        fail 3-queue-refills "after $(elapsed $t0)s: queue $(echo $Q); paused preloads: $(paused_preloads | oneline)"
    fi
}

# ----------------------------------------------------------- 4: unpause behind dispo's back = used, replaced
victim_used() {
    snapshot
    queue || return 1
    ! in_list "$VICTIM" "$Q" && [ "$(field "$VICTIM" 6)" = used ]
}
step4() {
    needs_backend 4-unpaused-preload-marked-used || { not_run 4-unpaused-preload-replaced; return; }
    wait_until 90 queue_ok
    VICTIM=$(echo "$Q" | head -n 1)
    [ -n "$VICTIM" ] || { fail 4-unpaused-preload-marked-used "no preload in the queue to unpause"; fail 4-unpaused-preload-replaced "not run"; return; }
    vkey=$(field "$VICTIM" 4)
    xl unpause "$VICTIM"
    t0=$(now)
    # how soon the record says used: one xenstore-read every 0.1 s (the full check below is slower)
    i=0
    while [ "$(xenstore-read "$XSD/$vkey/stage" 2> /dev/null)" != used ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    t_used=$(elapsed $t0)
    if wait_until 60 victim_used; then
        info "$VICTIM after xl unpause: role $(field "$VICTIM" 5), stage $(field "$VICTIM" 6), xl state $(state_of "$VICTIM") (record said used after ${t_used}s)"
        measure unpause_noticed "$t_used" "xl unpause of a preload behind dispo's back until its record says stage used (xenstore-read every 0.1 s)"
        pass 4-unpaused-preload-marked-used
    else
        fail 4-unpaused-preload-marked-used "$VICTIM: role $(field "$VICTIM" 5), stage $(field "$VICTIM" 6) (want used), in queue: $(in_list "$VICTIM" "$Q" && echo yes || echo no)"
    fi
    if wait_until 90 queue_ok && ! in_list "$VICTIM" "$Q"; then
        info "replaced: queue $(echo $Q) (after $(elapsed $t0)s)"
        pass 4-unpaused-preload-replaced
    else
        snapshot
        fail 4-unpaused-preload-replaced "queue $(echo $Q); paused preloads: $(paused_preloads | oneline)"
    fi
}

# -------------------------------------------------------------------------- 5: release destroys + files
step5() {
    needs_backend 5-release-destroys-domain-and-files || return
    [ -n "$H1" ] || { fail 5-release-destroys-domain-and-files "no disposable from step 3 to release"; return; }
    snapshot
    mkey=$(field "$H1" 4)
    domid=$(field "$H1" 2)
    uuid=$(xenstore-read /local/domain/$domid/vm 2> /dev/null)
    uuid=${uuid##*/}
    # the disposable's own files: anything named after it (name or uuid) where dispo and libxl keep state
    files=$(find /var/lib/dispo /run/dispo /var/lib/xen /run/xen /var/run/xen /tmp \
        \( -name "*$H1*" -o -name "*${uuid:-no-uuid}*" \) 2> /dev/null | grep -v '\.sock$')
    info "files of $H1 before release: $(echo $files)"
    t_rel=$(now)
    dx 60 $W/release.out $W/release.out release "$H1" --host xen
    rc=$?
    info "dispo release $H1: rc=$rc in $(elapsed $t_rel)s"
    out=$(cat $W/release.out)
    t0=$(now)
    wait_until 30 gone "$H1" "$mkey" "$domid"
    left=""
    for f in $files; do [ -e "$f" ] && left="$left $f"; done
    loops=$(losetup -a 2> /dev/null | grep -F "/$H1/" | oneline)
    [ -n "$loops" ] && left="$left loop devices: $loops"
    snapshot
    if [ $rc = 0 ] && ! in_xl "$H1" && gone "$H1" "$mkey" "$domid" && [ -z "$left" ]; then
        info "$H1 gone from xl list and $XSD after $(elapsed $t0)s; files removed: $(echo $files | wc -w)"
        pass 5-release-destroys-domain-and-files
    else
        fail 5-release-destroys-domain-and-files "release rc=$rc ($(echo "$out" | oneline | cut -c1-150)); in xl list: $(in_xl "$H1" && state_of "$H1" || echo no); metadata $XSD/$mkey: $(xenstore-read "$XSD/$mkey/stage" 2> /dev/null || echo gone); files left:${left:- none}"
    fi
}

# ----------------------------------------------------------------- 6: a guest that powers off is cleaned up
step6() {
    needs_backend 6-powered-off-guest-cleaned-up || return
    wait_until 90 queue_ok
    request
    H2=$REQ_NAME
    REQ_SAMPLES="$REQ_SAMPLES $REQ_WALL"
    BROKER_SAMPLES="$BROKER_SAMPLES $(json "$REQ" .seconds)"
    [ -n "$H2" ] || { fail 6-powered-off-guest-cleaned-up "dispo request failed (rc=$REQ_RC)"; return; }
    snapshot
    mkey=$(field "$H2" 4)
    domid=$(field "$H2" 2)
    xl shutdown "$H2" > $W/shutdown.log 2>&1
    t0=$(now)
    if wait_until 60 gone "$H2" "$mkey" "$domid"; then
        info "$H2 (domid $domid) powered off on xl shutdown; gone from xl list and $XSD after $(elapsed $t0)s"
        pass 6-powered-off-guest-cleaned-up
    else
        fail 6-powered-off-guest-cleaned-up "$H2 after xl shutdown ($(oneline < $W/shutdown.log)): xl state '$(state_of "$H2")', metadata stage $(xenstore-read "$XSD/$mkey/stage" 2> /dev/null || echo gone); console: $(tail -n 3 /var/log/xen/console/guest-$H2.log 2> /dev/null | oneline)"
    fi
}

# -------------------------------------------------------------------- 7: revision bump replaces preloads
refreshed() {
    queue_ok || return 1
    for o in $OLDQ; do in_list "$o" "$Q" && return 1; in_xl "$o" && return 1; done
    for d in $OLDIDS; do awk -v d="$d" '$2 == d { f = 1 } END { exit !f }' $SNAP && return 1; done
    return 0
}
step7() {
    needs_backend 7-revision-bump-replaces-preloads || return
    wait_until 90 queue_ok
    snapshot
    OLDQ=$Q
    OLDIDS=""
    for o in $OLDQ; do OLDIDS="$OLDIDS $(field "$o" 2)"; done
    named_id=$(field $NAMED 2)
    # an editor's save: write a hidden temp file, rename it over the config file
    sed 's/revision: "e2e-1"/revision: "e2e-2"/' $CFGFILE > $CFG/.e2e.yaml.new && mv $CFG/.e2e.yaml.new $CFGFILE
    t0=$(now)
    if wait_until 120 refreshed; then
        new=""
        for q in $Q; do new="$new $q(domid $(field "$q" 2))"; done
        info "old preloads$(for o in $OLDQ; do printf ' %s' "$o"; done) (domids$OLDIDS) replaced by$new after $(elapsed $t0)s; $NAMED: domid $named_id -> $(field $NAMED 2), $(state_of $NAMED)"
        pass 7-revision-bump-replaces-preloads
    else
        snapshot
        fail 7-revision-bump-replaces-preloads "after $(elapsed $t0)s: old queue $(echo $OLDQ) (domids$OLDIDS), queue now $(echo $Q), paused preloads: $(paused_preloads | oneline)"
    fi
}

# --------------------------------------------------------- 8: kill -9 while a preload starts, then restart
interrupted_stage() { # a metadata directory in stage creating or starting: KILLKEY KILLSTAGE
    set -- $(xenstore-ls "$XSD" 2> /dev/null | awk '
        /^[^ ]/ { k = $1 } /^ stage = "(creating|starting)"/ { s = $3; gsub(/"/, "", s); print k, s; exit }')
    [ -n "$1" ] && KILLKEY=$1 && KILLSTAGE=$2
}
settled() {
    queue_ok || return 1
    awk '$6 == "creating" || $6 == "starting" || $1 == "?" { f = 1 } END { exit f }' $SNAP
}
step8() {
    needs_backend 8-kill9-restart-no-orphan-no-duplicate || return
    [ -n "$WATCH_PID" ] && ! watch_exited || { fail 8-kill9-restart-no-orphan-no-duplicate "no controller running"; return; }
    wait_until 90 queue_ok
    request # a hand-out opens a vacancy: the refill starts a preload after the 1 s delay
    H3=$REQ_NAME
    REQ_SAMPLES="$REQ_SAMPLES $REQ_WALL"
    BROKER_SAMPLES="$BROKER_SAMPLES $(json "$REQ" .seconds)"
    KILLKEY=""
    POLL_SAVED=$POLL
    POLL=0.2
    wait_until 60 interrupted_stage
    POLL=$POLL_SAVED
    if [ -z "$KILLKEY" ]; then
        fail 8-kill9-restart-no-orphan-no-duplicate "no preload seen in stage creating/starting within 60 s after a hand-out"
        return
    fi
    kill -9 $WATCH_PID
    t_kill=$(now)
    # a thread inside a libxl call (building the domain) holds the process until the call returns: under TCG that
    # can take many seconds, and until then its socket still accepts connections (a new controller refuses it)
    i=0
    while ! watch_exited && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    watch_exited || info "dispo watch (pid $WATCH_PID) still there $(elapsed $t_kill)s after kill -9"
    snapshot
    kill_domid=$(awk -v k="$KILLKEY" '$4 == k { print $2 }' $SNAP)
    info "killed dispo watch (pid $WATCH_PID) with a preload in stage $KILLSTAGE ($XSD/$KILLKEY, domid ${kill_domid:-none yet}); it had exited after $(elapsed $t_kill)s"
    sleep 1
    echo "----- restart after kill -9 -----" >> $WATCH_LOG
    t_take=$(now)
    start_watch
    t0=$(now)
    # the stale lock of the killed controller is taken over: the new one answers and holds the lease
    wait_until 60 watch_answers && measure lock_takeover_after_kill9 "$(elapsed $t_take)" "a new dispo watch after kill -9 of the old one, until its API answers (the kernel had dropped the dead one's lock)"
    lease=$(xenstore-read $XSR/host/controller 2> /dev/null)
    [ "$lease" = "$WATCH_PID" ] || info "after the restart the lease says '$lease', the new controller is $WATCH_PID"
    wait_until 120 settled
    sleep 3 # anything still being made would show now
    settled
    ok=$?
    npre=$(awk '$5 == "preload"' $SNAP | count)
    strays=$(awk -v b=$BYHAND '$1 != "Domain-0" && $1 != b && $1 != "?" && $7 != "dispo" { print $1 }' $SNAP | oneline)
    orphan_meta=$(awk '$1 == "?" { print $4 }' $SNAP | oneline)
    dup=$(awk '$4 != "-" { print $4 }' $SNAP | sort | uniq -d | oneline)
    killed_left=$(awk -v k="$KILLKEY" -v d="${kill_domid:-none}" '$4 == k || $2 == d { print $1 "(" $6 ")" }' $SNAP | oneline)
    settle=$(elapsed $t0)
    if [ "${settle%.*}" -gt 30 ]; then
        info "slow to settle after the restart; the controller's log since then:"
        sed -n '/^----- restart after kill -9/,$p' $WATCH_LOG | tail -n 25 | cut -c1-220 | sed 's/^/  | /'
    fi
    info "after restart (${settle}s): dispo-owned domains: $(owned | oneline); metadata entries: $(xenstore-list "$XSD" 2> /dev/null | oneline)"
    if [ $ok = 0 ] && [ "$npre" = 2 ] && [ -z "$strays" ] && [ -z "$orphan_meta" ] && [ -z "$dup" ] && [ -z "$killed_left" ]; then
        pass 8-kill9-restart-no-orphan-no-duplicate
    else
        fail 8-kill9-restart-no-orphan-no-duplicate "settled: $([ $ok = 0 ] && echo yes || echo no); preloads: $npre (want 2); domains without metadata: ${strays:-none}; metadata without domain: ${orphan_meta:-none}; duplicate metadata: ${dup:-none}; interrupted preload still there: ${killed_left:-no}"
    fi
}

# -------------------------------------------------------------------------------- measurements
measurements() {
    if [ -n "$NOBACKEND" ]; then
        not_run 12-cold-request-when-queue-empty
    else
        # cold: a disposable template with no preloads (its queue is always empty)
        request $COLD
        cd_id=$(json "$REQ" .domid)
        cd_ready=$(xenstore-read /local/domain/$cd_id/data/ready 2> /dev/null)
        snapshot
        if [ $REQ_RC = 0 ] && [ -n "$REQ_NAME" ] && [ "$(json "$REQ" .preloaded)" = false ] && [ "$cd_ready" = 1 ] \
            && is_running "$REQ_NAME"; then
            info "cold $REQ_NAME (domid $cd_id): data/ready=1 when the request returned, guest uptime at ready $(xenstore-read /local/domain/$cd_id/data/uptime 2> /dev/null) s"
            measure request_cold_wall "$REQ_WALL" "dispo request $COLD (empty queue: create + boot + ready), command wall time"
            measure request_cold_broker "$(json "$REQ" .seconds)" "the same, as the broker reports it"
            pass 12-cold-request-when-queue-empty
            t0=$(now)
            dx 60 $W/release.out $W/release.out release "$REQ_NAME" --host xen
            info "dispo release $REQ_NAME: rc=$? in $(elapsed $t0)s"
        else
            fail 12-cold-request-when-queue-empty "dispo request $COLD: rc=$REQ_RC in ${REQ_WALL}s, name '$REQ_NAME', preloaded $(json "$REQ" .preloaded), data/ready '${cd_ready}' when it returned, xl state '$(state_of "$REQ_NAME")': $(oneline < $W/request.err | cut -c1-300)"
        fi
        [ -n "$REQ_SAMPLES" ] && measure request_preload_wall_median "$(echo "$REQ_SAMPLES" | median)" "median of $(echo $REQ_SAMPLES | wc -w) preload hand-outs:$(for s in $REQ_SAMPLES; do printf ' %s' $s; done)"
        [ -n "$BROKER_SAMPLES" ] && measure request_preload_broker_median "$(echo "$BROKER_SAMPLES" | median)" "broker-reported, same hand-outs:$(for s in $BROKER_SAMPLES; do printf ' %s' $s; done)"
    fi
    # where a client's wall time goes: starting the dispo binary, and a hand-out through the socket with curl
    vs=""
    for i in 1 2 3; do
        t0=$(now)
        dispo --version > /dev/null 2>&1
        vs="$vs $(elapsed $t0)"
    done
    measure dispo_process_start "$(echo "$vs" | median)" "dispo --version, command wall time (starting the binary), median of:$vs"
    if [ -z "$NOBACKEND" ] && watch_up && wait_until 90 queue_ok; then
        t0=$(now)
        curl -sS --max-time 30 --unix-socket $SOCK -X POST -H 'Content-Type: application/json' \
            -d "{\"target\":\"$DVM\"}" http://localhost/v1/disposables > $W/curl.json 2> $W/curl.err
        cw=$(elapsed $t0)
        CURL=$(cat $W/curl.json)
        if [ "$(json "$CURL" .preloaded)" = true ]; then
            measure request_preload_curl_wall "$cw" "POST /v1/disposables with curl (ready preload, no dispo client process), wall; the broker said $(json "$CURL" .seconds)"
            dx 60 $W/release.out $W/release.out release "$(json "$CURL" .name)" --host xen
        else
            info "curl hand-out: $(echo "$CURL" | oneline) $(oneline < $W/curl.err)"
        fi
    fi
    # the bare cost of waking a paused, booted guest: one libxl_domain_unpause (C, in-process), and xl unpause
    if [ -n "$BYHAND_DOMID" ] && xl domid $BYHAND > /dev/null 2>&1; then
        [ -z "$NOBACKEND" ] && watch_up && wait_until 90 queue_ok # as quiet as for the hand-outs
        lu=""
        xu=""
        xr=""
        for i in 1 2 3; do
            xl pause $BYHAND
            sleep ${E2E_PAUSED_FOR:-5} # like a preload, paused for a while (a guest paused longer has more to catch up on)
            out=$(e2e-unpause $BYHAND)
            lu="$lu $(echo "$out" | sed -n 's/^unpause_seconds=\([0-9.]*\).*/\1/p')"
            xr="$xr $(echo "$out" | sed -n 's/.*xenstore_read_seconds=\([0-9.]*\).*/\1/p')"
            xl pause $BYHAND
            t0=$(now)
            xl unpause $BYHAND
            xu="$xu $(elapsed $t0)"
        done
        measure libxl_unpause "$(echo "$lu" | median)" "one libxl_domain_unpause of the guest byhand paused for ${E2E_PAUSED_FOR:-5}s (e2e-unpause, in-process), median of:$lu"
        measure xl_unpause_wall "$(echo "$xu" | median)" "xl unpause byhand, command wall time, median of:$xu"
        measure xenstore_round_trip "$(echo "$xr" | median)" "one xs_read of a dom0 key (C, in-process, median of 20 per run), median of runs:$xr"
    fi
    # hand-outs with everything quiet (the queue full, nothing else running), just before the bare unpause of
    # the same kind of preloads below: the fairest comparison
    if [ -z "$NOBACKEND" ] && watch_up; then
        QUIET=""
        for i in 1 2 3; do
            wait_until 90 queue_ok || break
            request
            [ "$(json "$REQ" .preloaded)" = true ] && QUIET="$QUIET $(json "$REQ" .seconds)"
            [ -n "$REQ_NAME" ] && dx 60 $W/release.out $W/release.out release "$REQ_NAME" --host xen
        done
        [ -n "$(echo $QUIET)" ] && measure request_preload_broker_quiet "$(echo "$QUIET" | median)" "broker-reported hand-outs with the controller idle and the queue full, median of:$QUIET"
    fi
    # the same bare unpause of real preloads dispo made (paused since they became ready): the floor for a
    # hand-out of exactly these guests. Done behind dispo's back, so dispo counts them used and refills.
    if [ -z "$NOBACKEND" ] && watch_up && wait_until 90 queue_ok; then
        pu=""
        for p in $Q; do
            pu="$pu $(e2e-unpause "$p" | sed -n 's/^unpause_seconds=\([0-9.]*\).*/\1/p')"
        done
        [ -n "$(echo $pu)" ] && measure libxl_unpause_preload "$(echo "$pu" | median)" "one libxl_domain_unpause of a ready preload of $DVM (e2e-unpause, in-process), median of:$pu"
    fi
}

# =============================================== phase 2: the guests people declare (e2e/guests.yaml)
# A driver-domain netvm (e2e-net), disposables booting from a real root disk with snapshot and volatile disks, a
# vif in that netvm, 2 vCPUs and memory below maxmem (e2e-disk, e2e-disk-cold), and a PVH preload (e2e-pvh-dvm).
GCFG=$CFG/guests.yaml
NETVM=e2e-net
DISK=e2e-disk
DISKCOLD=e2e-disk-cold
PVH=e2e-pvh-dvm
ROOTIMG=/guest/root.img
tqueue() { # TEMPLATE: TQ gets its ready preloads (dispo status --json), oldest first
    dx 30 $W/status.json $W/status.err status --host xen -c $CFG --json || { TQ=""; return 1; }
    TQ=$(jq -r --arg t "$1" '.templates[] | select(.name == $t) | .preload.queue[]' $W/status.json 2>> $W/status.err)
}
tqueue_full() { # TEMPLATE N: N ready preloads, each paused in xl list
    tqueue "$1" || return 1
    [ "$(echo "$TQ" | count)" = "$2" ] || return 1
    snapshot
    for q in $TQ; do is_paused "$q" || return 1; done
}
of_template() { # TEMPLATE: the domains whose dispo record names this disposable template
    for k in $(xenstore-list "$XSD" 2> /dev/null); do
        [ "$(xenstore-read "$XSD/$k/template" 2> /dev/null)" = "$1" ] && echo "$k"
    done
}
gkey() { xenstore-read "/local/domain/$(xl domid "$1" 2> /dev/null)/$2" 2> /dev/null; } # NAME KEY
mem_of() { xl list "$1" 2> /dev/null | awk 'NR == 2 { print $3 }'; } # NAME: MiB Xen gives it now
put_config() { # SRC DEST: as an editor saves (temp file + rename)
    cp "$1" "$2.tmp.$$" && chmod 644 "$2.tmp.$$" && mv "$2.tmp.$$" "$2"
}
disk_dir_gone() { [ ! -e "/var/lib/dispo/disks/$1" ] && ! losetup -a 2> /dev/null | grep -qF "/$1/"; }

# ------------------------------------------ 15: the netvm first, then its clients, PVH and real disks preloaded
step15() {
    needs_backend 15-netvm-starts-first || return
    ROOT_SUM0=$(sha256sum $ROOTIMG | cut -d' ' -f1)
    t0=$(now)
    put_config /e2e/guests.yaml $GCFG
    wait_until 400 tqueue_full $DISK 2
    t_disk=$(elapsed $t0)
    wait_until 300 tqueue_full $PVH 1
    t_pvh=$(elapsed $t0)
    snapshot
    DISK_Q=$(tqueue $DISK && echo "$TQ")
    net_id=$(xl domid $NETVM 2> /dev/null)
    why=""
    is_running $NETVM || why="$why $NETVM is not running ($(state_of $NETVM));"
    [ "$(gkey $NETVM data/ready)" = 1 ] || why="$why $NETVM never wrote data/ready;"
    [ "$(echo "$DISK_Q" | count)" = 2 ] || why="$why $DISK queue '$(echo $DISK_Q)' after ${t_disk}s;"
    for q in $DISK_Q; do
        id=$(xl domid $q)
        [ -n "$net_id" ] && [ "$id" -gt "$net_id" ] || why="$why $q (domid $id) was made before the netvm (domid $net_id);"
        be=$(xenstore-read /local/domain/$id/device/vif/0/backend-id 2> /dev/null)
        [ "$be" = "$net_id" ] || why="$why $q's vif backend is domain '$be', not $NETVM ($net_id);"
    done
    if [ -z "$why" ]; then
        measure guests_apply "$t_disk" "guests.yaml added beside the running controller: $NETVM ready, then 2 $DISK preloads (root disk, snapshot, volatile, vif) ready and paused"
        info "$NETVM domid $net_id ($(state_of $NETVM)); $DISK queue: $(echo $DISK_Q) (domids $(for q in $DISK_Q; do printf '%s ' $(xl domid $q); done)); devd: $(gkey $NETVM data/netvm)"
        pass 15-netvm-starts-first
    else
        fail 15-netvm-starts-first "$why"
    fi
}

# -------------------------------------------------------------------------------------- 16: PVH, 2 vCPUs
step16() {
    needs_backend 16-pvh-preloaded-and-handed-out || { not_run 16b-two-vcpus; return; }
    tqueue $PVH
    p=$(echo "$TQ" | head -n 1)
    type=$(xl list -l "$p" 2> /dev/null | jq -r '.[0].config.c_info.type' 2> /dev/null)
    paused=$(is_paused "$p" && echo yes || echo no)
    [ -n "$p" ] && request $PVH
    snapshot
    if [ -n "$p" ] && [ "$type" = pvh ] && [ "$paused" = yes ] && [ "$REQ_NAME" = "$p" ] && [ "$(json "$REQ" .preloaded)" = true ] \
        && is_running "$p" && [ "$(gkey "$p" data/ready)" = 1 ]; then
        info "$p: type $type in libxl's config, paused in the queue, handed out in $(json "$REQ" .seconds)s (broker), now $(state_of "$p"); guest uptime at ready $(gkey "$p" data/uptime) s"
        pass 16-pvh-preloaded-and-handed-out
    else
        fail 16-pvh-preloaded-and-handed-out "preload '$p' type '$type' paused $paused; request rc=$REQ_RC name '$REQ_NAME' preloaded $(json "$REQ" .preloaded); state '$(state_of "$p")'; console: $(tail -n 4 /var/log/xen/console/guest-$p.log 2> /dev/null | oneline | cut -c1-300)"
    fi
    # vCPUs: the PVH one and the PV disk guests ask for 2; the guest counts its online CPUs (nproc)
    why=""
    for n in $p $DISK_Q; do
        xv=$(xl list "$n" 2> /dev/null | awk 'NR == 2 { print $4 }')
        gv=$(gkey "$n" data/vcpus)
        [ "$xv" = 2 ] && [ "$gv" = 2 ] || why="$why $n: xl list vcpus '$xv', the guest sees '$gv';"
    done
    if [ -z "$why" ]; then
        info "$p and $(echo $DISK_Q): 2 vCPUs in xl list, 2 online in the guest"
        pass 16b-two-vcpus
    else
        fail 16b-two-vcpus "$why"
    fi
    [ -n "$REQ_NAME" ] && dx 60 $W/release.out $W/release.out release "$REQ_NAME" --host xen
}

# ------------------------------------------------------------------ 17: packets through the driver domain
step17() {
    needs_backend 17-client-pings-netvm || return
    net_id=$(xl domid $NETVM 2> /dev/null)
    why=""
    for q in $DISK_Q; do
        id=$(xl domid $q)
        ping=$(gkey $q data/ping)
        hs=$(xenstore-read /local/domain/$net_id/backend/vif/$id/0/hotplug-status 2> /dev/null)
        case "$ping" in ok*) ;; *) why="$why $q data/ping '$ping';" ;; esac
        [ "$hs" = connected ] || why="$why $q: hotplug-status of its vif in $NETVM '$hs';"
    done
    # a hand-out: the unpaused guest keeps pinging the netvm (its counter grows only while it runs)
    H_DISK=$(echo "$DISK_Q" | head -n 1)
    c0=$(gkey "$H_DISK" data/ping-count)
    request $DISK
    DISK_REQ_BROKER=$(json "$REQ" .seconds)
    DISK_REQ_WALL=$REQ_WALL
    grows() { c=$(gkey "$H_DISK" data/ping-count); [ -n "$c" ] && [ "$c" != "${c0}" ]; }
    [ "$REQ_NAME" = "$H_DISK" ] || why="$why request gave '$REQ_NAME', not the head of the queue $H_DISK;"
    wait_until 30 grows || why="$why the handed-out $H_DISK's ping count stayed '$c0' for 30 s;"
    if [ -z "$why" ]; then
        measure request_disk_preload_broker "$DISK_REQ_BROKER" "dispo request $DISK (root disk, snapshot, volatile, vif): preloaded hand-out, broker-reported"
        measure request_disk_preload_wall "$DISK_REQ_WALL" "the same, command wall time"
        info "every $DISK preload pinged 10.200.0.1 through $NETVM before ready ($(for q in $DISK_Q; do printf '%s: %s; ' $q "$(gkey $q data/ping)"; done)); $H_DISK after hand-out: ping count ${c0:-0} -> $(gkey "$H_DISK" data/ping-count)"
        pass 17-client-pings-netvm
    else
        fail 17-client-pings-netvm "$why $(tail -n 6 /var/log/xen/console/guest-$NETVM.log 2> /dev/null | oneline | cut -c1-300)"
    fi
}

# ------------------------------------------------------------- 18: real disks: shared ro root, private disks
step18() {
    needs_backend 18-disks-private-root-shared || return
    why=""
    roots=""
    for q in $DISK_Q; do
        id=$(xl domid $q)
        d=$(gkey $q data/disk)
        [ "$d" = "root=ro snap=fresh vol=fresh" ] || why="$why $q reports '$d';"
        # the backends: xvda (51712) is the template's image itself, read-only; xvdc a file of the domain's own
        roots="$roots $(xenstore-read /local/domain/0/backend/vbd/$id/51712/params 2> /dev/null):$(xenstore-read /local/domain/0/backend/vbd/$id/51712/mode 2> /dev/null)"
        snapf=$(xenstore-read /local/domain/0/backend/vbd/$id/51744/params 2> /dev/null)
        case "$snapf" in /var/lib/dispo/disks/$q/*) ;; *) why="$why $q's snapshot disk is '$snapf';" ;; esac
    done
    [ "$(echo $roots | tr ' ' '\n' | sort -u)" = "$ROOTIMG:r" ] || why="$why root backends '$roots' (want $ROOTIMG:r for all);"
    # the handed-out one (step 17) wrote into its snapshot and volatile disks at boot; release it, and the
    # preload made after it must find neither
    dx 60 $W/release.out $W/release.out release "$H_DISK" --host xen
    wait_until 60 disk_dir_gone "$H_DISK" || why="$why /var/lib/dispo/disks/$H_DISK or its loop device left after release;"
    wait_until 300 tqueue_full $DISK 2
    NEW_Q=$(tqueue $DISK && echo "$TQ")
    new=""
    for q in $NEW_Q; do in_list "$q" "$DISK_Q" || new=$q; done
    if [ -z "$new" ]; then
        why="$why no new $DISK preload after the release (queue '$(echo $NEW_Q)');"
    else
        d=$(gkey $new data/disk)
        [ "$d" = "root=ro snap=fresh vol=fresh" ] || why="$why the next one, $new, reports '$d';"
    fi
    DISK_Q=$NEW_Q
    if [ -z "$why" ]; then
        info "$(echo $DISK_Q) and the released $H_DISK: xvda = $ROOTIMG read-only for all; each its own snapshot copy and volatile disk; $new (made after $H_DISK wrote to its disks): $(gkey $new data/disk); $H_DISK's directory and loop devices gone"
        pass 18-disks-private-root-shared
    else
        fail 18-disks-private-root-shared "$why"
    fi
}

# ----------------------------------------------------------------------- 19: cold request with a real disk
step19() {
    needs_backend 19-cold-request-real-disk || return
    request $DISKCOLD
    id=$(json "$REQ" .domid)
    if [ $REQ_RC = 0 ] && [ "$(json "$REQ" .preloaded)" = false ] && [ "$(xenstore-read /local/domain/$id/data/ready 2> /dev/null)" = 1 ] \
        && [ "$(xenstore-read /local/domain/$id/data/disk 2> /dev/null)" = "root=ro snap=fresh vol=fresh" ]; then
        measure request_disk_cold_broker "$(json "$REQ" .seconds)" "dispo request $DISKCOLD (the same guest, no preloads): cold start, broker-reported"
        measure request_disk_cold_wall "$REQ_WALL" "the same, command wall time"
        info "cold $REQ_NAME: $(xenstore-read /local/domain/$id/data/disk) $(xenstore-read /local/domain/$id/data/ping 2> /dev/null); cold/preloaded (broker) = $(awk -v c="$(json "$REQ" .seconds)" -v p="$DISK_REQ_BROKER" 'BEGIN { if (p > 0) printf "%.0f", c / p }')x"
        pass 19-cold-request-real-disk
    else
        fail 19-cold-request-real-disk "rc=$REQ_RC preloaded $(json "$REQ" .preloaded) ready '$(xenstore-read /local/domain/$id/data/ready 2> /dev/null)' disk '$(xenstore-read /local/domain/$id/data/disk 2> /dev/null)': $(oneline < $W/request.err | cut -c1-300)"
    fi
    [ -n "$REQ_NAME" ] && dx 60 $W/release.out $W/release.out release "$REQ_NAME" --host xen
}

# ------------------------------------------------------------- 20: preloads shrunk before the pause (balloon)
step20() {
    needs_backend 20-preload-shrunk-before-pause || return
    why=""
    info_mem=""
    tqueue $DISK
    for q in $DISK_Q; do
        m=$(mem_of $q)
        rep=$(gkey $q memory/meminfo)
        sh=$(jq -c --arg t $DISK --arg n "$q" '.templates[] | select(.name == $t) | .preload.preloads[]? | select(.name == $n) | .shrink' $W/status.json 2> /dev/null)
        res=$(echo "$sh" | jq -r '.result // empty' 2> /dev/null)
        b=$(echo "$sh" | jq -r '.before_kib // empty' 2> /dev/null)
        a=$(echo "$sh" | jq -r '.after_kib // empty' 2> /dev/null)
        secs=$(echo "$sh" | jq -r '.seconds // empty' 2> /dev/null)
        info_mem="$info_mem $q: $m MiB in xl list, the guest reported ${rep:-nothing} KiB used, dispo: ${sh:-no record};"
        [ -n "$m" ] && [ "$m" -lt 320 ] || why="$why $q has '$m' MiB in xl list (booted with 320: not shrunk);"
        # reached, or given up by Qubes' rule (< 100 MiB/s after 3 s; the balloon goes on towards the target)
        case "$res" in reached | gave-up) ;; *) why="$why $q shrink result '$res';" ;; esac
        [ -n "$a" ] && [ -n "$m" ] && [ $m -le $((a / 1024 + 2)) ] && [ $((a / 1024)) -lt 320 ] \
            || why="$why $q: dispo says $a KiB after, Xen says $m MiB;"
        SHRINK_B=$b SHRINK_A=$a SHRINK_S=$secs
    done
    if [ -z "$why" ]; then
        measure shrink_seconds "$SHRINK_S" "a $DISK preload's shrink before its pause (balloon driver, Qubes' rule): $((SHRINK_B / 1024)) -> $((SHRINK_A / 1024)) MiB, $(((SHRINK_B - SHRINK_A) / 1024)) MiB released"
        info "$info_mem"
        pass 20-preload-shrunk-before-pause
    else
        fail 20-preload-shrunk-before-pause "$why $info_mem"
    fi
}

# ------------------------------------------------- 21: a threshold on Xen's real free memory holds preloads back
# threshold = free - 160 MiB: a 320 MiB preload would cross it (none made, diff says why); then free - 480 MiB:
# exactly one fits
threshold_config() { # MIB or "": System.preload.threshold in e2e.yaml
    sed '/^  threshold: /d; /^preload: # e2e-threshold/d' $CFGFILE > $W/e2e.yaml.new
    [ -n "$1" ] && printf 'preload: # e2e-threshold\n  threshold: %sMiB\n' "$1" >> $W/e2e.yaml.new
    put_config $W/e2e.yaml.new $CFGFILE
}
disk_count() { of_template $DISK | count; }
step21() {
    needs_backend 21-threshold-holds-preloads-back || return
    tqueue_full $DISK 2 || wait_until 120 tqueue_full $DISK 2
    # the threshold first (a hand-out does not change Xen's free memory), then the vacancy
    free=$(xl info | awk -F': ' '/^free_memory/ { print $2 + 0 }')
    threshold_config $((free - 160))
    sleep 8 # the controller re-reads the config (debounced)
    request $DISK
    H_T=$REQ_NAME
    sleep 8 # a refill would start within the 1 s delay
    n_hold=$(of_template $DISK | while read -r k; do [ "$(xenstore-read $XSD/$k/role)" = preload ] && echo $k; done | count)
    # the running controller's own plan (GET /v1/plan: what `dispo diff --json` prints)
    api /v1/plan > $W/plan.json 2>> $W/api.err
    held=$(jq -r --arg t $DISK '.waiting[]? | select(.subject == $t and .reason == "memory") | .detail' $W/plan.json 2> /dev/null | head -n 1)
    free2=$(xl info | awk -F': ' '/^free_memory/ { print $2 + 0 }')
    threshold_config $((free2 - 480))
    wait_until 200 tqueue_full $DISK 2
    n_one=$(tqueue $DISK && echo "$TQ" | count)
    threshold_config ""
    if [ "$n_hold" = 1 ] && [ -n "$held" ] && [ "$n_one" = 2 ]; then
        info "free $free MiB, threshold $((free - 160)) MiB: $DISK stayed at 1 preload; the controller's plan: $held"
        info "threshold $((free2 - 480)) MiB (free $free2): refilled to 2"
        pass 21-threshold-holds-preloads-back
    else
        fail 21-threshold-holds-preloads-back "with threshold free-160 MiB: $n_hold $DISK preloads (want 1), plan's memory wait: '$held' $(head -c 400 $W/plan.json | oneline); with free-480 MiB: queue $n_one (want 2)"
    fi
    [ -n "$H_T" ] && dx 60 $W/release.out $W/release.out release "$H_T" --host xen
}

# ---------------------------------------------- 22: host suspend: preloads dropped before, refilled after
HOOK=/usr/lib/systemd/system-sleep/dispo
preload_domains() { snapshot; awk '$5 == "preload" { print $1 }' $SNAP; }
no_preloads() { [ -z "$(preload_domains)" ]; }
all_full() { tqueue_full $DVM 2 && tqueue_full $DISK 2 && tqueue_full $PVH 1; }
step22() {
    needs_backend 22-suspend-drops-preloads-resume-refills || return
    wait_until 200 all_full
    request $DVM
    H_S=$REQ_NAME
    snapshot
    keep=""
    for n in $H_S $NAMED $NETVM; do keep="$keep $n:$(field $n 2)"; done
    before=$(preload_domains | count)
    t0=$(now)
    $HOOK pre suspend > $W/hook-pre.log 2>&1
    pre_rc=$?
    t_pre=$(elapsed $t0)
    left=$(preload_domains | oneline)
    dx 30 $W/status.json $W/status.err status --host xen -c $CFG --json
    held=$(jq -r '.suspend.since // empty' $W/status.json 2> /dev/null)
    sleep 10 # held: no refill
    left_later=$(preload_domains | oneline)
    changed=""
    snapshot
    for kv in $keep; do
        n=${kv%%:*}
        [ "$(field $n 2)" = "${kv#*:}" ] && is_running $n || changed="$changed $n (was domid ${kv#*:}, now '$(field $n 2)' $(state_of $n));"
    done
    t0=$(now)
    $HOOK post suspend > $W/hook-post.log 2>&1
    post_rc=$?
    wait_until 300 all_full
    full=$?
    t_full=$(elapsed $t0)
    if [ $pre_rc = 0 ] && [ -z "$left" ] && [ -n "$held" ] && [ -z "$left_later" ] && [ -z "$changed" ] \
        && [ $post_rc = 0 ] && [ $full = 0 ]; then
        measure suspend_drop_preloads "$t_pre" "systemd-sleep hook 'pre suspend': $before preloads removed, refill held"
        measure resume_to_full_queues "$t_full" "hook 'post suspend' until every queue is full again ($DVM 2, $DISK 2, $PVH 1)"
        info "pre: $(grep -v '^dispo-sleep' $W/hook-pre.log | oneline | cut -c1-200); in use and untouched:$keep"
        pass 22-suspend-drops-preloads-resume-refills
    else
        fail 22-suspend-drops-preloads-resume-refills "pre rc=$pre_rc in ${t_pre}s ($(oneline < $W/hook-pre.log | cut -c1-250)); preloads left: '$left', 10 s later: '$left_later'; status .suspend '$held'; changed:${changed:- none}; post rc=$post_rc ($(oneline < $W/hook-post.log | cut -c1-150)); queues full: $([ $full = 0 ] && echo yes || echo no) after ${t_full}s"
    fi
    [ -n "$H_S" ] && dx 60 $W/release.out $W/release.out release "$H_S" --host xen
}

# ------------------------------------------------ 24: guests.yaml removed: clients go first, the netvm last
step24() {
    needs_backend 24-prune-netvm-last || { not_run 24b-template-image-unchanged; return; }
    snapshot
    clients=$( (of_template $DISK; of_template $DISKCOLD; of_template $PVH) | sort -u | oneline)
    all="$clients $NETVM"
    rm -f $GCFG
    : > $W/vanished
    end=$(($(upsec) + 120))
    while [ "$(upsec)" -lt $end ]; do
        xl list > $W/xl.now 2> /dev/null
        left=""
        for n in $all; do
            grep -q "^$n " $W/vanished && continue
            if awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' $W/xl.now; then left="$left $n"; else echo "$n $(now)" >> $W/vanished; fi
        done
        [ -z "$left" ] && break
        sleep 0.3
    done
    net_t=$(awk -v n=$NETVM '$1 == n { print $2 }' $W/vanished)
    last_client=$(awk -v n=$NETVM '$1 != n { print $2 }' $W/vanished | sort -n | tail -n 1)
    dirs=""
    for n in $clients $NETVM; do disk_dir_gone "$n" || dirs="$dirs $n"; done
    if [ -z "$left" ] && [ -n "$net_t" ] && awk -v a="$net_t" -v b="${last_client:-0}" 'BEGIN { exit !(a >= b) }' && [ -z "$dirs" ]; then
        info "removed in this order: $(sort -k2 -n $W/vanished | awk '{ printf "%s ", $1 }'); disk directories gone"
        pass 24-prune-netvm-last
    else
        fail 24-prune-netvm-last "still in xl list:${left:- none}; order: $(sort -k2 -n $W/vanished | oneline); directories left:${dirs:- none}"
    fi
    sum=$(sha256sum $ROOTIMG | cut -d' ' -f1)
    if [ -n "$ROOT_SUM0" ] && [ "$sum" = "$ROOT_SUM0" ]; then
        info "$ROOTIMG sha256 $sum, as before phase 2"
        pass 24b-template-image-unchanged
    else
        fail 24b-template-image-unchanged "$ROOTIMG sha256 $sum, was '$ROOT_SUM0'"
    fi
}

# ------------------------------------------------------------------------ 9: a domain made by hand
step9() {
    needs_backend 9-foreign-domain-untouched || return
    snapshot
    id=$(field $BYHAND 2)
    if [ -n "$BYHAND_DOMID" ] && [ "$id" = "$BYHAND_DOMID" ] && is_running $BYHAND && [ "$(field $BYHAND 4)" = - ]; then
        info "$BYHAND: domid $id (as created), state $(state_of $BYHAND), no dispo metadata"
        pass 9-foreign-domain-untouched
    else
        fail 9-foreign-domain-untouched "$BYHAND: domid '${id}' (created as '$BYHAND_DOMID'), state '$(state_of $BYHAND)', metadata key '$(field $BYHAND 4)'"
    fi
}

# --------------------------------------------------------------- 10: guests cannot forge dispo's metadata
step10() {
    needs_backend 10-guest-cannot-forge-metadata || return
    snapshot
    why=""
    # (a) permissions: /dispo and everything below it owned by dom0 with no access for anyone else (n0)
    root_perm=$(xenstore-ls -p / 2> /dev/null | awk -v r="${XSR#/} = " 'index($0, r) == 1 { print $NF; exit }')
    bad_perm=$(xenstore-ls -p "$XSR" 2> /dev/null | awk '$NF != "(n0)" { print $1 $NF }' | head -n 5 | oneline)
    [ "$root_perm" = "(n0)" ] || why="$why $XSR has permissions '$root_perm', want (n0);"
    [ -z "$bad_perm" ] || why="$why nodes under $XSR not (n0): $bad_perm;"
    # (b) dispo-made guests tried at boot to write their own metadata and to list /dispo (guest-init)
    probed=0
    for n in $(owned); do
        d=$(field "$n" 2)
        r=$(xenstore-read /local/domain/$d/data/forge 2> /dev/null) || continue
        probed=$((probed + 1))
        case "$r" in
            "refused "*" read-denied") ;;
            *) why="$why guest $n reports: $r;" ;;
        esac
        [ "$(field "$n" 7)" = dispo ] && [ "$(field "$n" 5)" != forged ] || why="$why $n metadata altered (owner $(field "$n" 7), role $(field "$n" 5));"
    done
    [ $probed -gt 0 ] || why="$why no dispo-made guest reported a forgery probe;"
    xenstore-read "$XSR/forged" > /dev/null 2>&1 && why="$why $XSR/forged exists;"
    if [ -z "$why" ]; then
        info "$XSR is (n0) down the tree; $probed dispo-made guests each had 6 writes into $XSD refused and could not list $XSR"
        pass 10-guest-cannot-forge-metadata
    else
        fail 10-guest-cannot-forge-metadata "$why"
    fi
}

# ---------------------------------------------------------------------------- the controller stops clean
step_stop() {
    needs_backend 11-watch-stops-on-sigterm || return
    watch_check 11
    [ -n "$WATCH_PID" ] && ! watch_exited || { fail 11-watch-stops-on-sigterm "dispo watch is not running"; return; }
    kill -TERM $WATCH_PID
    t0=$(now)
    i=0
    while ! watch_exited && [ $i -lt 40 ]; do sleep 1; i=$((i + 1)); done
    if ! watch_exited; then
        fail 11-watch-stops-on-sigterm "still running 40 s after SIGTERM"
        kill -9 $WATCH_PID
        return
    fi
    rc=$(cat $W/watch.rc)
    info "dispo watch exited with status $rc $(elapsed $t0)s after SIGTERM"
    if [ $rc = 0 ] && [ ! -e $SOCK ]; then
        pass 11-watch-stops-on-sigterm
    else
        fail 11-watch-stops-on-sigterm "exit status $rc; socket $([ -e $SOCK ] && echo left behind || echo removed)"
    fi
}

# -------------------------------------------------------------------------------------------- main
# E2E_STEPS (baked in by e2e/build.sh): run only these steps, e.g. "0 1 2 15 16" while working on them
want() { [ -z "$E2E_STEPS" ] || in_list "$1" "$E2E_STEPS"; }
T_START=$(now)
echo "E2E-SCENARIO-START"
# a heartbeat on the console every E2E_HEARTBEAT seconds (60): the domains and the controller's last log line,
# so that a step that hangs shows where
(
    while sleep ${E2E_HEARTBEAT:-60}; do
        echo "  heartbeat $(upsec)s: $(xl list 2> /dev/null | awk 'NR > 1 { printf "%s:%s:%s ", $1, $3, $5 }')| watch: $(tail -n 1 $WATCH_LOG 2> /dev/null | cut -c1-200)"
    done
) &
HEARTBEAT_PID=$!
want 0 && step0
want 0d && step0d
want 1 && step1
want 2 && step2
watch_check 2c
want 2c && step2c
watch_check 3
want 3 && step3
watch_check 4
want 4 && step4
watch_check 5
want 5 && step5
watch_check 6
want 6 && step6
watch_check 7
want 7 && step7
watch_check 8
want 8 && step8
watch_check measurements
want measurements && measurements
# phase 2 is opt-in (E2E_PHASE2=1, or E2E_STEPS naming its steps): one run in three had dom0 stop (no heartbeat)
# during step 15 while the PVH guest booted; until that is understood it does not gate CI
for st in 15 16 17 18 19 20 21 22 24; do
    [ "${E2E_PHASE2:-0}" = 1 ] || [ -n "$E2E_STEPS" ] || break
    want $st || continue
    watch_check $st
    step$st
done
want 9 && step9
want 10 && step10
if [ -n "$NOBACKEND" ]; then
    not_run 2b-watch-never-dies
elif [ -z "$WATCH_DEATHS" ]; then
    watch_check 11
fi
if [ -n "$WATCH_DEATHS" ]; then
    fail 2b-watch-never-dies "dispo watch$WATCH_DEATHS (backtrace in the console log above)"
elif [ -z "$NOBACKEND" ]; then
    pass 2b-watch-never-dies
fi
want _stop && step_stop
if [ -n "$NOBACKEND" ]; then
    not_run 13-no-dispo-command-crashed
elif [ -z "$CRASHES" ]; then
    pass 13-no-dispo-command-crashed
else
    E2E_QUIET_DIAG=1 fail 13-no-dispo-command-crashed "$CRASHES"
fi
# any process that faulted in dom0 (the kernel logs it): jq or busybox faulting means the emulated platform
# misbehaves, and then a dispo crash may not be dispo's fault either
dmesg | grep -E 'segfault at|traps:|general protection' > $W/faults
if [ ! -s $W/faults ]; then
    pass 14-no-process-faulted-in-dom0
else
    sed 's/^/  | /' $W/faults | cut -c1-220 | head -n 20
    E2E_QUIET_DIAG=1 fail 14-no-process-faulted-in-dom0 "$(wc -l < $W/faults) faults: $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /\[[0-9]+\]:$/) print $i }' $W/faults | sed 's/\[.*//' | sort | uniq -c | oneline) (kernel log above)"
fi
measure scenario_total "$(elapsed $T_START)" "the whole scenario in dom0"
if [ -n "$E2E_DEBUG" ]; then
    echo "----- dispo watch log"
    cat $WATCH_LOG
fi
kill $HEARTBEAT_PID 2> /dev/null
npass=$(grep -c '^PASS ' $RES)
nfail=$(grep -c '^FAIL ' $RES)
echo "E2E-RESULTS-BEGIN"
cat $RES
sed 's/^/E2E-/' $MEAS
echo "E2E-RESULTS-END"
echo "scenario: $npass passed, $nfail failed"
[ "$nfail" = 0 ]
