#!/bin/bash
# e2e/run.sh — `make e2e`: build the artefacts (e2e/build.sh), boot the real Debian Xen 4.17 with a Linux
# dom0 under QEMU (TCG), let dom0 run e2e/scenario.sh against dispo's xen backend, and read the
# PASS/FAIL lines back from the serial console. Ends with `N passed, M failed`; exit status 1 on any
# failure, a timeout or a crash. Knobs: see e2e/README.md.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${E2E_CACHE:-$ROOT/.e2e-cache}
export E2E_CACHE=$CACHE
O=$CACHE/out
LOG=${E2E_LOG:-$CACHE/run.log}
T0=$EPOCHREALTIME
now() { local d=$((${EPOCHREALTIME/./} - ${T0/./})); printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000)); }
mkdir -p "$CACHE"

finish() { # PASSED FAILED: the closing lines
    echo "e2e: total wall time $(now) s (build ${T_BUILD:-0} s, waiting for other runs ${WAITED:-0} s, boot + scenario ${T_BOOT:-0} s); serial log: $LOG"
    echo "$1 passed, $2 failed"
    [ "$2" = 0 ] && [ "$1" -gt 0 ]
    exit $?
}

# ---- build
if [ -z "${E2E_SKIP_BUILD:-}" ]; then
    if ! "$ROOT/e2e/build.sh"; then
        T_BUILD=$(now)
        echo "FAIL e2e-build e2e/build.sh failed (see above)"
        finish 0 1
    fi
fi
T_BUILD=$(now)
for f in xen vmlinux dom0.cpio; do
    [ -s "$O/$f" ] || { echo "FAIL e2e-build missing $O/$f (run without E2E_SKIP_BUILD)"; finish 0 1; }
done

# ---- boot Xen + dom0 under QEMU, timestamp every serial line
# SMAP hidden: QEMU 7.2's TCG otherwise faults dom0's iretq (see the reference notes). XSAVE hidden too: with it,
# dom0 processes saw corrupted memory copies and floating-point state while guests ran (a check program counted
# hundreds of errors per run; dispo and plain tools crashed at random); without it, none in 17 runs.
CPU=${E2E_CPU:-max,-smap,-xsave}
SMP=${E2E_SMP:-1} # 1: see README (faults in dom0 with 2 vCPUs while guests are built)
MEM=${E2E_MEM:-4096}
DOM0MEM=${E2E_DOM0_MEM:-1280M} # the initramfs (~260 MB with dispo and dispo-conformance) is unpacked in dom0's RAM
TMO=${E2E_TIMEOUT:-2100}
# cpuid=no-rdtscp: QEMU's TCG reports a guest's RDTSCP to Xen as an RDTSC intercept, Xen's SVM code then fails
# to emulate the instruction and a PVH guest never boots; without RDTSCP the guest kernel uses RDTSC
XENARGS="console=com1 com1=115200,8n1 dom0_mem=$DOM0MEM,max:$DOM0MEM dom0_max_vcpus=$SMP noreboot cpuid=no-rdtscp ${E2E_XEN_ARGS:-}"
DOM0ARGS="console=hvc0 earlyprintk=xen loglevel=${E2E_DOM0_LOGLEVEL:-4} ${E2E_DOM0_ARGS:-}"
TCG_THREAD=${E2E_TCG_THREAD:-multi} # multi: one host thread per vCPU (MTTCG); single: one thread for all
QEMU=(qemu-system-x86_64 -accel "tcg,thread=$TCG_THREAD" -cpu "$CPU" -smp "$SMP" -m "$MEM"
    -display none -monitor none -serial stdio -no-reboot
    -kernel "$O/xen" -append "$XENARGS" -initrd "$O/vmlinux $DOM0ARGS,$O/dom0.cpio")
# one e2e boot at a time on this machine: two TCG guests on 2 cores slow each other down 3-4 times, past the
# guests' readiness timeouts (the lock is global, whatever the cache directory)
T_WAIT0=$SECONDS
exec 9> "${E2E_LOCK:-/tmp/dispo-e2e.lock}"
if ! flock -n 9; then
    echo "e2e: another e2e run holds ${E2E_LOCK:-/tmp/dispo-e2e.lock}; waiting for it (at most ${E2E_LOCK_WAIT:-900} s)"
    flock -w "${E2E_LOCK_WAIT:-900}" 9 || { echo "FAIL e2e-harness another e2e run kept the lock"; finish 0 1; }
fi
# ...and wait for TCG QEMUs started otherwise (an older copy of this harness, a hand-run QEMU) too
others() { pgrep -f '^qemu-system-x86_64 .*-accel tcg' | grep -c . || true; }
if [ "$(others)" -gt 0 ] && [ "${E2E_WAIT_FOR_OTHERS:-1}" = 1 ]; then
    echo "e2e: $(others) other TCG QEMU process(es) running on this host; waiting for them (at most ${E2E_LOCK_WAIT:-900} s)"
    end=$((SECONDS + ${E2E_LOCK_WAIT:-900}))
    while [ "$(others)" -gt 0 ] && [ $SECONDS -lt $end ]; do sleep 5; done
fi
[ "$(others)" -gt 0 ] && echo "e2e: warning: $(others) other TCG QEMU process(es) running on this host: expect slow guests and inflated timings"
WAITED=$((SECONDS - T_WAIT0))
echo "e2e: host load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$LOG"
echo "+ ${QEMU[*]}" >> "$LOG"
echo "e2e: booting Xen + dom0 under QEMU (TCG thread=$TCG_THREAD, $SMP vCPUs, $MEM MiB); timeout ${TMO} s; serial log $LOG"
show() { # the lines worth showing on the terminal (everything with E2E_VERBOSE=1)
    [ -n "${E2E_VERBOSE:-}" ] && return 0
    case "$1" in
        PASS\ * | FAIL\ * | "  info: "* | "  measure: "* | "  apply: "* | "  | "* | E2E-MARK* | E2E-DOM0-FAIL* | scenario:*) return 0 ;;
        *"Panic on CPU"* | *"Kernel panic"* | *"Dom0 crashed"* | *"domain_crash"* | *"BUG:"* | *Oops*) return 0 ;;
    esac
    return 1
}
T_QEMU=$EPOCHREALTIME
coproc Q { exec "${QEMU[@]}" < /dev/null 2>&1; }
QPID=$Q_PID
exec 3<&"${Q[0]}"
trap 'kill $QPID 2>/dev/null; echo "e2e: interrupted"; exit 130' INT TERM
stop_at=""
why_stop=""
in_block=""
while :; do
    if IFS= read -r -t 2 line <&3; then
        line=${line//$'\r'/}
        printf '[%7s] %s\n' "$(now)" "$line" >> "$LOG"
        case "$line" in E2E-RESULTS-BEGIN*) in_block=1 ;; E2E-RESULTS-END*) in_block="" ;; esac
        [ -z "$in_block" ] && show "$line" && printf '[%7s] %s\n' "$(now)" "$line"
        case "$line" in
            *E2E-DONE*) [ -z "$stop_at" ] && stop_at=$((${EPOCHREALTIME%.*} + 10)) && why_stop=done ;;
            *"Dom0 crashed"* | *"Panic on CPU"* | *"Kernel panic - not syncing"*)
                [ -z "$stop_at" ] && stop_at=$((${EPOCHREALTIME%.*} + 5)) && why_stop="crash: $line" ;;
        esac
    else
        rc=$?
        [ $rc -le 128 ] && break # EOF: QEMU exited
    fi
    t=${EPOCHREALTIME%.*}
    if [ -n "$stop_at" ] && [ "$t" -ge "$stop_at" ]; then
        echo "[$(now)] e2e: stopping QEMU ($why_stop)" >> "$LOG"
        kill $QPID 2> /dev/null
        stop_at=$((t + 1000))
    fi
    if [ $((t - ${T_QEMU%.*})) -ge "$TMO" ] && [ "$why_stop" != timeout ]; then
        echo "[$(now)] e2e: TIMEOUT after $TMO s" | tee -a "$LOG"
        why_stop=timeout
        kill $QPID 2> /dev/null
    fi
done
wait $QPID 2> /dev/null
trap - INT TERM
T_BOOT=$(awk -v a="$T_QEMU" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

# ---- results: the block dom0 printed at the end, else whatever PASS/FAIL lines came through
strip_ts() { sed -E 's/^\[ *[0-9.]+\] //'; }
RESULTS=$(strip_ts < "$LOG" | awk '/^E2E-RESULTS-BEGIN/ { on = 1; next } /^E2E-RESULTS-END/ { on = 0 } on')
if [ -z "$RESULTS" ]; then
    RESULTS=$(strip_ts < "$LOG" | grep -E '^(PASS|FAIL) [A-Za-z0-9]' || true)
fi
CHECKS=$(grep -E '^(PASS|FAIL) ' <<< "$RESULTS" || true)
if ! grep -q 'E2E-DONE' "$LOG"; then
    case "$why_stop" in
        timeout) CHECKS+=$'\n'"FAIL e2e-harness timeout after $TMO s (E2E_TIMEOUT) before dom0 finished" ;;
        crash*) CHECKS+=$'\n'"FAIL e2e-harness ${why_stop:0:200}" ;;
        *) CHECKS+=$'\n'"FAIL e2e-harness QEMU exited before dom0 finished (see $LOG)" ;;
    esac
fi
CHECKS=$(grep . <<< "$CHECKS" || true)

echo
echo "==== results"
echo "$CHECKS"
MEAS=$(grep '^E2E-MEASURE|' <<< "$RESULTS" | cut -d'|' -f2- || true)
if [ -n "$MEAS" ]; then
    echo
    echo "==== measurements (dom0 clock, seconds; TCG-emulated machine, $SMP vCPU(s), dom0 and guests share them)"
    m() { awk -F'|' -v k="$1" '$1 == k { print $2; exit }' <<< "$MEAS"; }
    row() { printf '| %-62s | %10s |\n' "$1" "${2:-n/a}"; }
    printf '| %-62s | %10s |\n' "what" "seconds"
    printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..64})" "$(printf -- '-%.0s' {1..12})"
    row "dispo request, ready preload: command wall (median)" "$(m request_preload_wall_median)"
    row "dispo request, ready preload: broker-reported (median)" "$(m request_preload_broker_median)"
    row "  the same, controller idle, queue full (median of 3)" "$(m request_preload_broker_quiet)"
    row "POST /v1/disposables with curl, ready preload (wall)" "$(m request_preload_curl_wall)"
    row "starting the dispo binary (dispo --version, wall)" "$(m dispo_process_start)"
    row "bare libxl_domain_unpause of a paused guest (C, in-process)" "$(m libxl_unpause)"
    row "bare libxl_domain_unpause of a ready preload (C, in-process)" "$(m libxl_unpause_preload)"
    row "one xenstore round trip (xs_read, C, in-process)" "$(m xenstore_round_trip)"
    row "xl unpause of a paused guest (command wall)" "$(m xl_unpause_wall)"
    row "xl unpause behind dispo's back until marked used" "$(m unpause_noticed)"
    row "dispo request, empty queue (cold): command wall" "$(m request_cold_wall)"
    row "dispo request, empty queue (cold): broker-reported" "$(m request_cold_broker)"
    row "by hand: xl create + boot until data/ready (no dispo)" "$(m byhand_create_to_ready)"
    row "by hand: xl create alone (until the command returns)" "$(m byhand_xl_create)"
    row "dispo apply from nothing (2 preloads + 1 named)" "$(m apply_converge)"
    row "whole scenario in dom0" "$(m scenario_total)"
    ratio() { awk -v a="$2" -v b="$3" -v op="$4" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else if (op == "-") printf "%s %.1f ms\n", "'"$1"'", (a - b) * 1000; else printf "%s %.0fx\n", "'"$1"'", a / b }'; }
    echo
    echo "hand-out vs the floors (same run):"
    ratio "  preloaded hand-out (broker) minus bare unpause (byhand guest):" "$(m request_preload_broker_median)" "$(m libxl_unpause)" -
    ratio "  preloaded hand-out (broker) minus bare unpause of a preload:" "$(m request_preload_broker_median)" "$(m libxl_unpause_preload)" -
    ratio "  quiet hand-out (broker) minus bare unpause of a preload:" "$(m request_preload_broker_quiet)" "$(m libxl_unpause_preload)" -
    ratio "  cold / preloaded, broker-reported:" "$(m request_cold_broker)" "$(m request_preload_broker_median)" /
    ratio "  cold / preloaded, command wall:" "$(m request_cold_wall)" "$(m request_preload_wall_median)" /
    ratio "  by-hand xl create + ready / preloaded (broker):" "$(m byhand_create_to_ready)" "$(m request_preload_broker_median)" /
    echo
    echo "all measurements (key | seconds | what):"
    sed 's/^/  /' <<< "$MEAS"
fi
echo
NP=$(grep -c '^PASS ' <<< "$CHECKS" || true)
NF=$(grep -c '^FAIL ' <<< "$CHECKS" || true)
finish "$NP" "$NF"
