#!/bin/sh
# The planner against QEMU itself: for machine types x CPU vendors x RAM
# sizes x memory hotplug, bigvm's highest guest address must be the one
# QEMU prints when it refuses too few bits ("Address space limit 0x... <
# 0x... phys-bits too low"), QEMU must start with bigvm's minimum, and
# refuse one bit fewer.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

points=0
for machine in q35 pc pc-q35-7.0 pc-i440fx-7.0; do
  # max is AMD under TCG, Westmere Intel.
  for model in max Westmere; do
    for ram in 64G 979G 1000500M 1002497M 1008G 1010G 1T 4T 6T; do
      for hotplug in "" "bigvm:maxmem = 7T|bigvm:mem_slots = 4"; do
        f=$(flavor grid "name = grid" "ram = $ram" "vcpus = 1" "hw_machine_type = $machine" \
          "bigvm:cpu_model = $model" "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 52")
        [ -n "$hotplug" ] && printf '%s\n' "$hotplug" | tr '|' '\n' >> "$f"
        what="$machine $model $ram${hotplug:+ hotplug}"

        json=$("$BIGVM" explain --format=json --accel=tcg --sparse-ram "$f") || fail "$what: explain"
        max=$(echo "$json" | sed -n 's/.*"max_gpa":"\(0x[0-9a-f]*\)".*/\1/p')
        bits=$(echo "$json" | sed -n 's/.*"min_phys_bits":\([0-9]*\).*/\1/p')
        [ -n "$max" ] && [ -n "$bits" ] || fail "$what: no max_gpa or min_phys_bits in $json"

        sed -i "s/^hw:maxphysaddr_bits = 52/hw:maxphysaddr_bits = $bits/" "$f"
        line=$("$BIGVM" show -q --accel=tcg --sparse-ram "$f" -- -S) || fail "$what: show at $bits bits"
        # Ctrl-A x on the muxed console quits QEMU once it is up.
        printf '\001x' | eval "$line" > "$scratch/out" 2>&1 ||
          { cat "$scratch/out" >&2; fail "$what: QEMU did not start with $bits bits"; }

        fewer=$((bits - 1))
        line=$(echo "$line" | sed "s/phys-bits=$bits/phys-bits=$fewer/")
        if printf '\001x' | eval "$line" > "$scratch/out" 2>&1; then
          fail "$what: QEMU started with $fewer bits"
        fi
        grep -q "< $max phys-bits too low ($fewer)" "$scratch/out" ||
          { cat "$scratch/out" >&2; fail "$what: bigvm says $max, QEMU differs"; }
        points=$((points + 1))
      done
    done
  done
done
note "$points points: bigvm's highest address equals QEMU's, its minimum bits start QEMU, one fewer does not"
