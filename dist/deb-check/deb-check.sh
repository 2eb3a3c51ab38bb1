#!/bin/bash
# make deb-check, inside a Debian 12 container booted with systemd (systemd-nspawn) where the .deb was installed:
# the unit's start (READY), reload, watchdog restart, the systemd-sleep hook, journal priorities, stop, man page, completion, and the
# condition that skips it without Xen. One PASS/FAIL line per check in /root/deb-check.txt.
exec > /root/deb-check.txt 2>&1
host=sim:/var/lib/dispo/host.json
now() { cut -d' ' -f1 /proc/uptime; }
prop() { systemctl show -p "$1" --value dispo; }
check() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1 ($3)"; fi; }
domains() { dispo sim ls --host "$host" 2>/dev/null | grep -c disp; }
echo "systemd: $(systemctl --version | head -1)"

t0=$(now); systemctl start dispo; rc=$?; t=$(awk "BEGIN{print $(now)-$t0}")
status=$(prop StatusText)
check "start-returns-once-ready (${t}s)" '[ $rc = 0 ] && [ "$(prop ActiveState)" = active ] && [[ $status == queues* ]]' \
  "rc=$rc state=$(prop ActiveState) status=$status"
sleep 8
check "status-line-shows-the-queue" '[[ $(prop StatusText) == "queues default-dvm 2/2; no errors" ]]' "$(prop StatusText)"

before=$(journalctl -u dispo -o cat | grep -c "rescan requested")
systemctl reload dispo; rc=$?; sleep 2
after=$(journalctl -u dispo -o cat | grep -c "rescan requested")
check "reload-rescans" '[ $rc = 0 ] && [ "$after" -gt "$before" ] && [ "$(prop ActiveState)" = active ]' \
  "rc=$rc rescans $before -> $after"

pid=$(prop MainPID); count=$(domains); kill -STOP "$pid"; t0=$(now)
for i in $(seq 1 60); do
  sleep 1; np=$(prop MainPID)
  [ "$np" != "$pid" ] && [ "$np" != 0 ] && [ "$(prop ActiveState)" = active ] && break
done
t=$(awk "BEGIN{print $(now)-$t0}")
check "watchdog-restarts-a-stopped-controller (${t}s)" \
  '[ "$np" != "$pid" ] && [ "$(prop NRestarts)" = 1 ] && journalctl -u dispo -o cat | grep -q "Watchdog timeout"' \
  "pid $pid -> $np restarts=$(prop NRestarts)"
sleep 6
check "the-restarted-controller-adopts-its-preloads" '[ "$(domains)" = "$count" ] && [[ $(prop StatusText) == *" 2/2;"* ]]' \
  "domains $count -> $(domains), $(prop StatusText)"

hook=/lib/systemd/system-sleep/dispo
check "sleep-hook-installed" '[ -x $hook ]' "$(ls -l $hook 2>&1)"
$hook pre suspend 2> /root/hook-pre.log; rc=$?
check "sleep-hook-pre-removes-the-preloads" '[ $rc = 0 ] && [ "$(domains)" = 0 ] && grep -q "removed 2 preloads" /root/hook-pre.log' \
  "rc=$rc domains=$(domains) $(tail -2 /root/hook-pre.log | tr '\n' ' ')"
check "status-shows-the-hold" '[[ $(prop StatusText) == *"held for a host suspend"* ]]' "$(prop StatusText)"
$hook post suspend 2> /root/hook-post.log; rc=$?; sleep 8
check "sleep-hook-post-refills" '[ $rc = 0 ] && [[ $(prop StatusText) == *" 2/2;"* ]]' "rc=$rc $(prop StatusText)"

priorities=$(journalctl -u dispo -o json SYSLOG_IDENTIFIER=dispo | grep -o '"PRIORITY":"[0-9]"' | sort -u | tr -d '"' | tr '\n' ' ')
check "journal-priorities ($priorities)" '[[ $priorities == *PRIORITY:6* ]] && [[ $priorities == *PRIORITY:5* ]]' "$priorities"

systemctl stop dispo; rc=$?
check "stop-drains-and-exits-0" '[ $rc = 0 ] && [ "$(prop Result)" = success ] && [ "$(prop ExecMainStatus)" = 0 ]' \
  "rc=$rc result=$(prop Result) status=$(prop ExecMainStatus)"

check "man-dispo-renders" 'MANWIDTH=80 man dispo 2>/dev/null | grep -q "Keep the disposable VMs"' "man dispo"
check "man-dispo.watch-renders" 'MANWIDTH=80 man dispo.watch 2>/dev/null | grep -q "dispo watch"' "man dispo.watch"
check "bash-completion-loads" 'bash -c "source /usr/share/bash-completion/completions/dispo && complete -p dispo" >/dev/null' ""
check "not-enabled-by-the-package" '[ "$(systemctl is-enabled dispo)" = disabled ]' "$(systemctl is-enabled dispo)"

rm -r /etc/systemd/system/dispo.service.d; systemctl daemon-reload; systemctl start dispo
check "skipped-without-xen" '[ "$(prop ConditionResult)" = no ] && [ "$(prop ActiveState)" = inactive ]' \
  "condition=$(prop ConditionResult) state=$(prop ActiveState)"
echo "== journal"; journalctl -u dispo -o short-monotonic --no-pager | tail -40
echo "DONE"
