#!/bin/sh
# e2e/platform-check.sh — is the emulated platform itself sound? A stand-in for scenario.sh:
#   e2e/build.sh with E2E_SCENARIO=e2e/platform-check.sh, then E2E_SKIP_BUILD=1 e2e/run.sh
# Boots guests by hand (hypervisor activity: domain switches, event channels) and meanwhile runs
# short-lived programs that have nothing to do with dispo (jq, busybox awk/sort, xenstore-read) in a loop
# for E2E_T_STRESS seconds (default 90), counting the ones killed by a signal and the faults the kernel
# logs. Any fault means results of the real scenario can be spoiled by the platform, not by dispo.
[ -f /e2e/env ] && . /e2e/env
export PATH=/usr/local/bin:/usr/lib/xen-4.17/bin:/bin:/sbin:/usr/bin:/usr/sbin
T=${E2E_T_STRESS:-90}
RES=/run/platform-results
: > $RES
up() { cut -d. -f1 /proc/uptime; }
echo "E2E-SCENARIO-START platform check, $T s"
grep -m1 'model name' /proc/cpuinfo | sed 's/^/  info: /'
echo "  info: cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -cE '.') flags; avx: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|avx2|avx512f|xsave|xsaves|xsaveopt)$' | tr '\n' ' ')"
for g in 2 1; do
    sed "s/^name = .*/name = \"stress$g\"/" /etc/xen/byhand.cfg > /tmp/stress$g.cfg
done
xl create /tmp/stress2.cfg > /dev/null 2>&1 || echo "  info: xl create stress2 failed"
# guests built and destroyed all along, as dispo's refills do (dom0 maps each new guest's memory to build it)
(
    while [ "$(up)" -lt $(($(up) + 1)) ] && [ ! -e /tmp/stress.stop ]; do
        xl create /tmp/stress1.cfg > /dev/null 2>&1
        sleep 1
        xl destroy stress1 > /dev/null 2>&1
        echo x >> /tmp/stress.builds
    done
) &
json='{"templates": [{"name": "e2e-dvm", "preload": {"queue": ["disp1", "disp2"]}}], "n": 0.8183903694152832}'
end=$(($(up) + T))
n=0
killed=0
what=""
while [ "$(up)" -lt $end ]; do
    for prog in jq awk sort xs; do
        case $prog in
            jq) out=$(echo "$json" | jq -r '.templates[] | .preload.queue[]') ;;
            awk) out=$(echo "1 2 3" | tr ' ' '\n' | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') ;;
            sort) out=$(printf '0.8\n1.06\n0.42\n' | sort -n | head -n 1) ;;
            xs) out=$(xenstore-read /local/domain/0/name) ;;
        esac
        rc=$?
        n=$((n + 1))
        if [ $rc -ge 128 ]; then
            killed=$((killed + 1))
            what="$what $prog:$rc"
        fi
    done
done
touch /tmp/stress.stop
wait
xl destroy stress2 > /dev/null 2>&1
dmesg | grep -E 'segfault at|traps:|general protection' > /tmp/faults
echo "  info: $(wc -l < /tmp/stress.builds) guests built and destroyed meanwhile"
echo "  info: $n program runs in $T s; killed by a signal: $killed${what:+ ($what)}; kernel-logged faults: $(wc -l < /tmp/faults)"
sed 's/^/  | /' /tmp/faults | cut -c1-200 | head -n 20
if [ $killed = 0 ] && [ ! -s /tmp/faults ]; then
    echo "PASS platform-no-faults" | tee -a $RES
else
    echo "FAIL platform-no-faults $killed of $n runs killed by a signal, $(wc -l < /tmp/faults) faults logged" | tee -a $RES
fi
echo "E2E-RESULTS-BEGIN"
cat $RES
echo "E2E-RESULTS-END"
grep -q '^FAIL' $RES && exit 1
exit 0
