#!/bin/sh
# What `bigvm show` prints is byte for byte what `bigvm run` execs, and run
# becomes QEMU in the same process: read the real QEMU's own command line
# from /proc while it waits, stopped (-S), under the PID bigvm started with.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

f=$(flavor odd "name = it's a \"test\", with commas" "ram = 1T" "vcpus = 2" \
  "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 42" "hw_firmware_type = uefi" \
  "bigvm:nvram = vars dir/odd name,1.fd")
extra='-S'

"$BIGVM" show --accel=tcg --sparse-ram "$f" -- $extra -name 'x y' > "$scratch/show" ||
  fail "show failed"
eval "set -- $(cat "$scratch/show")"
printf '%s\0' "$@" > "$scratch/show.argv"

"$BIGVM" run -q --accel=tcg --sparse-ram "$f" -- $extra -name 'x y' < /dev/null > /dev/null 2>&1 &
pid=$!
i=0
while [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" != "$(readlink -f "$real_qemu")" ]; do
  i=$((i + 1))
  [ $i -lt 200 ] || { kill $pid 2>/dev/null; fail "PID $pid never became QEMU"; }
  sleep 0.05
done
cat "/proc/$pid/cmdline" > "$scratch/run.argv"
kill $pid
wait $pid 2>/dev/null

cmp "$scratch/show.argv" "$scratch/run.argv" ||
  fail "show and run differ: $(tr '\0' ' ' < "$scratch/show.argv") / $(tr '\0' ' ' < "$scratch/run.argv")"
[ -f "$scratch/vars dir/odd name,1.fd" ] || fail "run did not create the NVRAM file"
note "show == run: $(tr '\0' ' ' < "$scratch/run.argv")"
