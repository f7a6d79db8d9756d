#!/bin/sh
# Progress while QEMU preallocates huge pages: lines on a log, a bar on a
# terminal, nothing with -q; QEMU stays the process bigvm was (PID, exit
# status), and the watcher neither outlives the allocation nor becomes
# QEMU's child or holds its streams open.  With 2 MiB pages reserved here.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

hugepages=/proc/sys/vm/nr_hugepages
old=$(cat $hugepages 2>/dev/null) || skip "no $hugepages here"
echo $((old + 600)) > $hugepages 2>/dev/null || skip "cannot reserve huge pages here (not root?)"
trap 'echo $old > $hugepages; rm -rf "$scratch"' EXIT
free=$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo)
[ "$free" -ge 512 ] || skip "reserved 600 huge pages, only $free are free"

f=$(flavor huge "name = huge" "ram = 1G" "vcpus = 1" "hw:mem_page_size = 2MB")
guest () {
  echo -no-reboot -kernel "$TESTGUEST" -append exit=$1 -device isa-debug-exit,iobase=0xf4,iosize=0x04
}
# No process left that is bigvm's (or its watcher's) for flavor F.
none_left () {
  i=0
  while pgrep -f -- "run .*$1" > /dev/null; do
    i=$((i + 1)); [ $i -lt 50 ] || { pgrep -af -- "run .*$1" >&2; fail "$2"; }
    sleep 0.1
  done
}

# A log: the estimate, a line at the start, one at the end; the guest's
# exit status is QEMU's, and QEMU's PID is bigvm's.
# shellcheck disable=SC2046
"$BIGVM" run --accel=tcg "$f" -- $(guest 5) -pidfile "$scratch/qemu.pid" \
  < /dev/null > "$scratch/console" 2> "$scratch/err" &
pid=$!
wait $pid
status=$?
[ $status = 11 ] || { cat "$scratch/err" >&2; fail "exit $status, want 11 (the guest's exit=5)"; }
[ "$(cat "$scratch/qemu.pid" 2>/dev/null)" = $pid ] || [ ! -e "$scratch/qemu.pid" ] ||
  fail "QEMU's PID $(cat "$scratch/qemu.pid") is not bigvm's $pid"
grep -qx "bigvm: QEMU preallocates 1 GiB in 512 pages of 2 MiB with [0-9]* threads before the guest starts: up to about 1 s" \
  "$scratch/err" || { cat "$scratch/err" >&2; fail "no estimate"; }
grep -qx "bigvm: preallocating 1 GiB in 512 pages of 2 MiB: 0% (0 pages) after 0 s" "$scratch/err" ||
  { cat "$scratch/err" >&2; fail "no first progress line"; }
grep -qx "bigvm: preallocated 1 GiB in 512 pages of 2 MiB in [0-9.]* s" "$scratch/err" ||
  { cat "$scratch/err" >&2; fail "no last progress line"; }
grep -qx "bigvm-testguest: done" "$scratch/console" || fail "the guest did not run"
none_left "$f" "a watcher outlived QEMU"
note "log: $(tail -1 "$scratch/err")"

# The same PID all along, and no child of QEMU's: stopped with -S, QEMU
# keeps its pages; once the watcher says they are taken it is gone, and
# QEMU (bigvm's PID) has no children, zombie or not.
# shellcheck disable=SC2046
"$BIGVM" run --accel=tcg "$f" -- -S $(guest 0) -pidfile "$scratch/qemu.pid" \
  < /dev/null > /dev/null 2> "$scratch/err" &
pid=$!
i=0
until grep -q "^bigvm: preallocated" "$scratch/err"; do
  i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; cat "$scratch/err" >&2; fail "no end of preallocation"; }
  sleep 0.1
done
# QEMU writes its PID file once its backends are made, a moment after
# the pages are taken.
for _ in $(seq 50); do [ -s "$scratch/qemu.pid" ] && break; sleep 0.1; done
[ "$(cat "$scratch/qemu.pid")" = $pid ] || { kill $pid; fail "QEMU is not bigvm's PID $pid"; }
[ "$(cat /proc/$pid/comm)" = qemu-system-x86 ] || { kill $pid; fail "PID $pid is $(cat /proc/$pid/comm)"; }
children=$(ps -o pid=,stat=,comm= --ppid $pid)
[ -z "$children" ] || { kill $pid; fail "QEMU has children: $children"; }
kill $pid
wait $pid
none_left "$f" "a watcher outlived QEMU (-S)"

# QEMU's streams are QEMU's: a reader of its stderr sees the end as soon
# as QEMU ends, here at once, on an option it does not know, long before
# the pages the watcher waits for.
timeout 20 sh -c "'$BIGVM' run --accel=tcg '$f' -- -no-such-option < /dev/null 2>&1 | cat > '$scratch/piped'"
[ $? != 124 ] || fail "the pipe from QEMU's stderr stayed open"
grep -q "qemu-system-x86_64: -no-such-option: invalid option" "$scratch/piped" ||
  { cat "$scratch/piped" >&2; fail "QEMU did not say why it failed"; }
grep -q "^bigvm: preallocated" "$scratch/piped" && fail "progress claimed pages QEMU never got"
none_left "$f" "a watcher outlived a QEMU that failed"

# A terminal: a bar redrawn in place, ended by the last line.  script(1)
# needs a pseudo-terminal, which a chroot without /dev/pts cannot give.
if ! command -v script > /dev/null; then
  note "skip: no script(1) for a terminal"
elif ! script -qec true /dev/null < /dev/null > "$scratch/tty" 2>&1; then
  note "skip: no pseudo-terminal here (is /dev/pts mounted?): $(cat "$scratch/tty")"
else
  # shellcheck disable=SC2046
  script -qec "'$BIGVM' run --accel=tcg '$f' -- $(guest 0) -serial null" /dev/null < /dev/null \
    > "$scratch/tty" 2>&1
  grep -q "$(printf '\r')bigvm: preallocating 1 GiB \[\.*\]   0% 0/512 pages of 2 MiB" "$scratch/tty" ||
    { od -c "$scratch/tty" | head -20 >&2; fail "no bar on a terminal"; }
  grep -q "bigvm: preallocated 1 GiB in 512 pages of 2 MiB in" "$scratch/tty" || fail "the bar did not end"
fi

# -q: nothing.
# shellcheck disable=SC2046
"$BIGVM" run -q --accel=tcg "$f" -- $(guest 0) < /dev/null > /dev/null 2> "$scratch/err"
[ ! -s "$scratch/err" ] || { cat "$scratch/err" >&2; fail "-q printed something"; }
