#!/bin/sh
# QEMU's capabilities and the guest CPU it builds: a warm bigvm starts no
# QEMU at all, a rebuilt QEMU is probed again, a broken cache is probed
# again, and QEMUs that do not answer as QEMU does are refused in bounded
# time.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

f=$(flavor db1 "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42")

# A QEMU that logs every start, then is the real one.
cat > "$scratch/logging-qemu" <<SCRIPT
#!/bin/sh
echo "\$*" >> "$scratch/starts"
exec "$real_qemu" "\$@"
SCRIPT
chmod +x "$scratch/logging-qemu"
starts () { [ -f "$scratch/starts" ] && wc -l < "$scratch/starts" || echo 0; }

show () { "$BIGVM" show --qemu="$scratch/logging-qemu" --accel=tcg "$@"; }
show "$f" > "$scratch/cold" || fail "cold show"
[ "$(starts)" = 3 ] ||
  fail "a cold show started QEMU $(starts) times, want 3 (--version, QMP, the guest CPU)"
grep -q -- "-machine pc-q35-7.2 -accel tcg -cpu max,phys-bits=42,check=off -smp 2 -m 64M" \
  "$scratch/starts" || fail "the guest CPU was not asked of the guest's machine: $(cat "$scratch/starts")"
show "$f" > "$scratch/warm" || fail "warm show"
[ "$(starts)" = 3 ] || fail "a warm show started QEMU: $(tail -1 "$scratch/starts")"
cmp -s "$scratch/cold" "$scratch/warm" || fail "cold and warm show differ"
# Another CPU model: one QMP probe for its expansion, one for the CPU.
g=$(flavor westmere "name = w" "ram = 64G" "vcpus = 2" "bigvm:cpu_model = Westmere")
show "$g" > /dev/null || fail "show Westmere"
[ "$(starts)" = 5 ] || fail "a new CPU model took $(starts) starts in all, want 5"
# Another topology is another CPU question.
h=$(flavor topology "name = t" "ram = 64G" "vcpus = 4" "hw:cpu_sockets = 2")
show "$h" > /dev/null || fail "show 2 sockets"
[ "$(starts)" = 6 ] || fail "a new topology took $(starts) starts in all, want 6"
# A rebuilt QEMU at the same path is probed again: capabilities and CPU.
echo "# rebuilt" >> "$scratch/logging-qemu"
show "$f" > /dev/null || fail "show after rebuild"
[ "$(starts)" = 9 ] || fail "a rebuilt QEMU was not probed again ($(starts) starts)"
# A corrupt cache is probed again and rewritten: each kind on its own.
for c in "$XDG_CACHE_HOME"/bigvm/*.caps; do head -c 100 "$c" > "$c.cut"; mv "$c.cut" "$c"; done
show "$f" > /dev/null || fail "show with a corrupt cache"
[ "$(starts)" = 11 ] || fail "a corrupt capability cache was not probed again ($(starts) starts)"
for c in "$XDG_CACHE_HOME"/bigvm/cpu-*.state; do head -c 100 "$c" > "$c.cut"; mv "$c.cut" "$c"; done
show "$f" > /dev/null || fail "show with a corrupt CPU cache"
[ "$(starts)" = 12 ] || fail "a corrupt CPU cache was not probed again ($(starts) starts)"
show "$f" > /dev/null || fail "show once more"
[ "$(starts)" = 12 ] || fail "the rewritten caches were not used"
# A cache directory bigvm cannot create: a warning, and the guest still planned.
rm -rf "$XDG_CACHE_HOME"; echo "in the way" > "$XDG_CACHE_HOME"
expect 0 "warning: cannot keep QEMU's capabilities" show "$f"
grep -q "warning: cannot keep the guest CPU QEMU built" "$scratch/err" ||
  fail "no warning for the CPU cache: $(cat "$scratch/err")"
rm -f "$XDG_CACHE_HOME"

# QEMUs that answer --version but not QMP: each refused with 69, quickly.
broken () {
  cat > "$scratch/broken" <<SCRIPT
#!/bin/sh
[ "\$1" = --version ] && { echo "QEMU emulator version 7.2.0"; exit 0; }
$1
SCRIPT
  chmod +x "$scratch/broken"
  start=$(date +%s)
  BIGVM_PROBE_TIMEOUT=2 expect 69 "$2" "$BIGVM" show --qemu="$scratch/broken" --accel=tcg "$f"
  [ $(($(date +%s) - start)) -le 6 ] || fail "'$1' took $(($(date +%s) - start)) s"
  note "probe fault '$1': exit 69 in $(($(date +%s) - start)) s"
}
broken "exit 0" "exited with status 0"
broken "echo 'qemu: could not load PC BIOS' >&2; exit 1" "exited with status 1: qemu: could not load PC BIOS"
broken "kill -SEGV \$\$" "was killed by signal 11"
broken "echo 'Welcome!'; sleep 60" "did not greet with QMP"
broken "echo '{\"QMP\": {}}'; read l; echo '{\"return\": {}}'; read l; echo '<html>'; sleep 60" \
  "answered with something other than QMP"
broken "echo '{\"QMP\": {}}'; read l; echo '{\"return\": {}}'; read l; echo '{\"return\": 1}'; sleep 60" \
  "query-machines: the machine list is not a list"
broken "sleep 60" "did not answer in time; killed it"
expect 69 "not found in PATH" env PATH=/nonexistent "$BIGVM" show --accel=tcg "$f"
expect 64 "BIGVM_PROBE_TIMEOUT=soon" env BIGVM_PROBE_TIMEOUT=soon "$BIGVM" show --accel=tcg "$f"
