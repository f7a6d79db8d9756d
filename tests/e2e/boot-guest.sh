#!/bin/sh
# Boots the test guest through `bigvm run` under TCG with 1 TiB and more of
# sparse RAM, and checks what the guest CPU and RAM look like from inside,
# and that bigvm's exit status is the guest's.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

# boot FLAVOR EXIT: runs the guest, leaves its report in $scratch/report.
boot () {
  "$BIGVM" run -q --accel=tcg --sparse-ram "$1" -- -no-reboot -kernel "$TESTGUEST" \
    -append "exit=$2" -debugcon "file:$scratch/report" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null > "$scratch/console" 2>&1
  status=$?
  # isa-debug-exit: QEMU exits with (value << 1) | 1.
  [ "$status" = $(($2 * 2 + 1)) ] || { cat "$scratch/console" >&2; fail "$1: exit $status"; }
  grep -qx "bigvm-testguest: done" "$scratch/report" || fail "$1: guest did not finish"
  cmp -s "$scratch/report" "$scratch/console" || fail "$1: serial console differs from debugcon"
}

report () { sed -n "s/^$1=//p" "$scratch/report"; }

# A 1 TiB emulate flavor: the default TCG CPU (max) is AMD, so QEMU 7.2 moves
# RAM above 4 GiB to 1 TiB; the guest sees 42 bits and RAM up to 2 TiB - 2 GiB.
f=$(flavor emulate "name = t1" "ram = 1T" "vcpus = 1" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42")
boot "$f" 5
[ "$(report phys_bits)" = 42 ] || fail "phys_bits $(report phys_bits), want 42"
[ "$(report vendor)" = AuthenticAMD ] || fail "vendor $(report vendor)"
[ "$(report ram_end)" = 0x1ff80000000 ] || fail "ram_end $(report ram_end), want 0x1ff80000000"
[ "$(report high_touch)" = ok ] || fail "RAM above 1 TiB not usable"
note "1 TiB emulate: $(tr '\n' ' ' < "$scratch/report")"

# An Intel model on pc: no relocation; 41 bits are enough.
f=$(flavor intel "name = t2" "ram = 1T" "vcpus = 2" "hw_machine_type = pc" \
  "bigvm:cpu_model = Westmere" "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 41")
boot "$f" 0
[ "$(report phys_bits)" = 41 ] || fail "phys_bits $(report phys_bits), want 41"
[ "$(report vendor)" = GenuineIntel ] || fail "vendor $(report vendor)"
[ "$(report ram_end)" = 0x10040000000 ] || fail "ram_end $(report ram_end), want 0x10040000000"
[ "$(report high_touch)" = ok ] || fail "top of RAM not usable"

# 4 TiB with 44 bits.
f=$(flavor big "name = t3" "ram = 4T" "vcpus = 1" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 44")
boot "$f" 42
[ "$(report phys_bits)" = 44 ] || fail "phys_bits $(report phys_bits), want 44"
[ "$(report ram_end)" = 0x4ff80000000 ] || fail "ram_end $(report ram_end), want 0x4ff80000000"
[ "$(report high_touch)" = ok ] || fail "RAM above 4 TiB not usable"
