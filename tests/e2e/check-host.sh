#!/bin/sh
# bigvm check lists every check with its outcome and exits as run would;
# --preflight starts the real QEMU stopped; bigvm host describes this host
# and the shared CPUID dumps.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

f=$(flavor db1 "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42" "hw_firmware_type = uefi" "hw:cpu_policy = dedicated")
"$BIGVM" check --accel=tcg --sparse-ram "$f" > "$scratch/check" || fail "check exited $?"
for line in "ok       flavor: $f, 7 keys" "ok       accelerator tcg (--accel=tcg)" \
  "ok       machine type q35 is pc-q35-7.2" "ok       CPU model max: AuthenticAMD, 64-bit, 1 GiB pages" \
  "warning  $f:7: hw:cpu_policy: ignored: a Nova setting bigvm does not act on" \
  "ok       UEFI variables: $XDG_STATE_HOME/bigvm/db1_VARS.fd, to be made from"; do
  grep -qF -- "$line" "$scratch/check" || { cat "$scratch/check" >&2; fail "check lacks: $line"; }
done
[ ! -e "$XDG_STATE_HOME/bigvm" ] || fail "check wrote the NVRAM file"

bad=$(flavor bad "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 41")
"$BIGVM" check --accel=tcg "$bad" > "$scratch/check"
[ $? = 65 ] || fail "check of a refused flavor did not exit 65"
grep -q "^refused  .*bad.flavor:5: hw:maxphysaddr_bits: 41 bits are too few" "$scratch/check" ||
  { cat "$scratch/check" >&2; fail "check did not list the refusal"; }

# --preflight under TCG: QEMU really starts, stopped, and reports the bits.
"$BIGVM" check --preflight --accel=tcg --sparse-ram "$f" > "$scratch/check" ||
  { cat "$scratch/check" >&2; fail "preflight failed"; }
grep -q "^ok       preflight: QEMU started; the guest CPU got 42 physical address bits, vendor AuthenticAMD, 1 GiB pages" \
  "$scratch/check" || { cat "$scratch/check" >&2; fail "preflight said something else"; }
[ ! -e "$XDG_STATE_HOME/bigvm" ] || fail "preflight wrote the NVRAM file"
# Without --sparse-ram, 1 TiB of small pages is more than this host has:
# check refuses before any QEMU starts.
"$BIGVM" check --preflight --accel=tcg "$f" > "$scratch/check"
[ $? = 69 ] || { cat "$scratch/check" >&2; fail "1 TiB without --sparse-ram not refused"; }
grep -q "^refused  .*db1.flavor:2: ram: 1 TiB is more than the .* this host has available" \
  "$scratch/check" || { cat "$scratch/check" >&2; fail "capacity refusal unclear"; }

# Under KVM, where this host has it: a nested KVM may abort on -cpu host
# ("failed to set MSR 0x10a"); preflight explains, and -arch-capabilities helps.
if "$BIGVM" host --format=json | grep -q '"state":"usable"'; then
  k=$(flavor kvm "name = k" "ram = 8G" "vcpus = 2")
  if ! "$BIGVM" check --preflight --accel=kvm "$k" > "$scratch/check"; then
    grep -q "failed to set MSR 0x10a.*add bigvm:cpu_flags = -arch-capabilities" "$scratch/check" ||
      { cat "$scratch/check" >&2; fail "KVM preflight failure unclear"; }
    note "KVM: -cpu host aborts here; preflight said so"
  fi
  k=$(flavor kvm "name = k" "ram = 8G" "vcpus = 2" "bigvm:cpu_flags = -arch-capabilities")
  "$BIGVM" check --preflight --accel=kvm "$k" > "$scratch/check" ||
    { cat "$scratch/check" >&2; fail "KVM preflight with -arch-capabilities failed"; }
  note "KVM: $(grep preflight "$scratch/check")"
else
  note "no usable KVM here: the KVM preflight is skipped"
fi

# bigvm host, for this host and for dumps.
"$BIGVM" host --format=json > "$scratch/host" || fail "host exited $?"
for key in cpu_vendor model phys_bits mem_encrypt_bits_lost effective_phys_bits kvm qemu \
  hugepages numa_nodes ram nova_traits largest_emulate_bits; do
  grep -q "\"$key\":" "$scratch/host" || fail "host --format=json lacks $key"
done
grep -q '"COMPUTE_ADDRESS_SPACE_EMULATED"' "$scratch/host" || fail "no EMULATED trait"
"$BIGVM" host > "$scratch/host" || fail "host (text) exited $?"
grep -q "^nova traits " "$scratch/host" || fail "host text lacks the traits"

shared=$E2E_DIR/../../../shared/cpuid
if [ -d "$shared" ]; then
  # file, vendor, bits, bits lost
  while read -r file vendor bits lost; do
    "$BIGVM" host --format=json --cpuid-dump="$shared/$file" > "$scratch/host" ||
      fail "host --cpuid-dump=$file exited $?"
    grep -q "\"cpu_vendor\":\"$vendor\",.*\"phys_bits\":$bits,\"mem_encrypt_bits_lost\":$lost," \
      "$scratch/host" || fail "$file: $(cat "$scratch/host")"
    grep -q '"ram":null' "$scratch/host" || fail "$file: a dump has no RAM to tell"
  done <<DUMPS
amd-ryzen-7-7700x-8-core-processor.test AuthenticAMD 48 2
amd-ryzen-5-4500u-with-radeon-graphics.test AuthenticAMD 48 4
intel-core-i5-6600k-cpu.test GenuineIntel 39 0
intel-12th-gen-intel-core-i9-12900k.test GenuineIntel 46 0
DUMPS
  expect 66 "amd-c-50-processor.test: no CPUID data" "$BIGVM" host --cpuid-dump="$shared/amd-c-50-processor.test"
  # 32-bit only: no passthrough trait even with SVM claimed by nothing.
  "$BIGVM" host --format=json --cpuid-dump="$shared/amd-athlon-xp.test" > "$scratch/host" || fail "athlon"
  grep -q '"long_mode":false' "$scratch/host" || fail "athlon has long mode?"
else
  note "skip: $shared is absent (the shared CPUID dumps live beside the checkout)"
fi
