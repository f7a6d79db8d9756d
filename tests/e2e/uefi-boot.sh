#!/bin/sh
# UEFI guests of 1 and 4 TiB reach the OVMF shell through `bigvm run`,
# with the default CPU model and with one that lacks 1 GiB pages (bigvm
# adds them); and the same guest without them hangs in OVMF, which is the
# rule bigvm acts on (edk2 OvmfPkg PlatformInitLib MemDetect.c).
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

[ -e /usr/share/qemu/firmware/60-edk2-x86_64.json ] || skip "ovmf is not installed"

# shell_within SECONDS CMD...: starts CMD, waits for the UEFI shell prompt on
# its console, stops it; fails when the prompt does not come in time.
shell_within () {
  limit=$1; shift
  "$@" < /dev/null > "$scratch/console" 2>&1 &
  pid=$!
  start=$(date +%s)
  while ! grep -q "Shell>" "$scratch/console"; do
    if ! kill -0 $pid 2>/dev/null; then
      cat "$scratch/console" >&2; return 1
    fi
    if [ $(($(date +%s) - start)) -ge "$limit" ]; then
      kill $pid; wait $pid 2>/dev/null; return 1
    fi
    sleep 0.5
  done
  kill $pid; wait $pid 2>/dev/null
  elapsed=$(($(date +%s) - start))
}

for case in "1T|42|" "1T|41|Westmere" "4T|43|" "4T|43|qemu64"; do
  ram=${case%%|*} rest=${case#*|} bits=${rest%%|*} model=${rest#*|}
  f=$(flavor "uefi-$ram-${model:-default}" "name = uefi-$ram-${model:-default}" "ram = $ram" \
    "vcpus = 2" "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = $bits" \
    "hw_firmware_type = uefi" ${model:+"bigvm:cpu_model = $model"})
  "$BIGVM" show -q --accel=tcg --sparse-ram "$f" > "$scratch/show" || fail "$f: show"
  if [ -n "$model" ]; then
    grep -q -- "-cpu $model,phys-bits=$bits,+pdpe1gb,enforce " "$scratch/show" ||
      fail "$model: bigvm did not add 1 GiB pages: $(cat "$scratch/show")"
  fi
  shell_within 150 "$BIGVM" run -q --accel=tcg --sparse-ram "$f" ||
    fail "$ram ${model:-default}: no UEFI shell within 150 s"
  note "$ram ${model:-default CPU}, $bits bits: UEFI shell after ${elapsed} s"
done

# The rule itself: 1 TiB on Westmere without 1 GiB pages never gets as far as
# its boot manager (with them, BdsDxe speaks after about 7 s and the shell
# follows 5 s later).
f=$(flavor uefi-nopages "name = nopages" "ram = 1T" "vcpus = 2" "bigvm:cpu_model = Westmere" \
  "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 41" "hw_firmware_type = uefi")
line=$("$BIGVM" show -q --accel=tcg --sparse-ram "$f" | sed 's/,+pdpe1gb//')
mkdir -p "$XDG_STATE_HOME/bigvm"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$XDG_STATE_HOME/bigvm/nopages_VARS.fd"
if eval "shell_within 45 $line"; then
  fail "OVMF booted 1 TiB without 1 GiB pages: bigvm's rule is wrong"
fi
! grep -q BdsDxe "$scratch/console" ||
  fail "OVMF got to its boot manager without 1 GiB pages: $(head -c 200 "$scratch/console")"
note "without 1 GiB pages: nothing on the console in 45 s"
