#!/bin/sh
# Every refusal: its exit status, a message naming what is wrong, and QEMU
# never launched (a stand-in QEMU counts launches) nor any file written.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

qemu=$(stand_in)
ok=$(flavor ok "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42")
uefi=$(flavor uefi "name = db1" "ram = 1G" "vcpus = 2" "hw_firmware_type = uefi")

# A 39-bit Intel host with VMX, as a libcpuid raw dump.
cat > "$scratch/intel39.test" <<'DUMP'
basic_cpuid[0]=00000001 756e6547 6c65746e 49656e69
basic_cpuid[1]=000506e3 00100800 00000020 bfebfbff
ext_cpuid[0]=80000008 00000000 00000000 00000000
ext_cpuid[1]=00000000 00000000 00000121 2c100000
ext_cpuid[8]=00003027 00000000 00000000 00000000
DUMP
echo "CPUID 00000000: 00000006-68747541-444D4163-69746E65" > "$scratch/foreign.test"

for command in run show; do
  # 64: usage
  expect 64 "no FLAVOR given" "$BIGVM" $command --qemu="$qemu"
  expect 64 "more than one FLAVOR" "$BIGVM" $command --qemu="$qemu" "$ok" "$ok"
  expect 64 "accel must be auto, kvm or tcg" "$BIGVM" $command --qemu="$qemu" --accel=xen "$ok"
  expect 64 "Unknown option --frobnicate" "$BIGVM" $command --qemu="$qemu" --frobnicate "$ok"
  expect 64 "exclude each other" "$BIGVM" $command --qemu="$qemu" -v -q "$ok"
  expect 64 "unknown command \"-\"" "$BIGVM" - "$ok"
  # 65: the flavor
  bad=$(flavor bad "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_bit = 42")
  expect 65 "bad.flavor:4: hw:maxphysaddr_bit: unknown key; did you mean hw:maxphysaddr_bits?" \
    "$BIGVM" $command --qemu="$qemu" "$bad"
  bad=$(flavor bad "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_bits = 42")
  expect 65 "bad.flavor:4: hw:maxphysaddr_bits: needs hw:maxphysaddr_mode = emulate" \
    "$BIGVM" $command --qemu="$qemu" "$bad"
  bad=$(flavor bad "name = a/b" "ram = 64G" "vcpus = 2" "hw_firmware_type = uefi")
  expect 65 "bad.flavor:1: name: contains '/'" "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  bad=$(flavor bad "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
    "hw:maxphysaddr_bits = 41")
  expect 65 "bad.flavor:5: hw:maxphysaddr_bits: 41 bits are too few: RAM above 4 GiB (moved to 1 TiB for an AMD CPU) and the 64-bit PCI hole after it end at 0x2077fffffff: needs 42 bits" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  bad=$(flavor bad "name = db1" "ram = 1T" "vcpus = 2")
  expect 65 "bad.flavor:2: ram: 1 TiB needs 42 physical address bits, .* add hw:maxphysaddr_mode = emulate and hw:maxphysaddr_bits = 42" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  bad=$(flavor bad "name = db1" "ram = 64G" "vcpus = 2" "bigvm:cpu_model = qemu32" \
    "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 40")
  expect 65 "bigvm:cpu_model: qemu32 is a 32-bit CPU model" "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  printf 'name = caf\351\nram = 1T\nvcpus = 1\n' > "$scratch/latin1.flavor"
  expect 65 "latin1.flavor:1: not valid UTF-8" "$BIGVM" $command --qemu="$qemu" "$scratch/latin1.flavor"
  # 66: cannot read
  expect 66 "missing.flavor: No such file or directory" "$BIGVM" $command --qemu="$qemu" "$scratch/missing.flavor"
  expect 66 "not a regular file" "$BIGVM" $command --qemu="$qemu" "$scratch"
  expect 66 "foreign.test: no CPUID data libcpuid can read" \
    "$BIGVM" show --qemu="$qemu" --cpuid-dump="$scratch/foreign.test" "$ok"
  # 69: this host or QEMU cannot run it
  pt=$(flavor pt "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = passthrough")
  expect 69 "pt.flavor:4: hw:maxphysaddr_mode: passthrough needs KVM" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$pt"
  expect 69 "42 bits exceed the 39 the host CPU supports" \
    "$BIGVM" show --qemu="$qemu" --cpuid-dump="$scratch/intel39.test" --accel=kvm "$ok"
  expect 69 "/nonexistent/qemu: not an executable file" "$BIGVM" $command --qemu=/nonexistent/qemu "$ok"
  BIGVM_QEMU=bigvm-no-such-qemu expect 69 "bigvm-no-such-qemu: not found in PATH" "$BIGVM" $command "$ok"
  pt=$(flavor pt "name = db1" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = passthrough")
  expect 69 "pt.flavor:4: hw:maxphysaddr_mode: passthrough gives the guest the host's 39 bits" \
    "$BIGVM" show --qemu="$qemu" --cpuid-dump="$scratch/intel39.test" --accel=kvm "$pt"
  bad=$(flavor bad "name = db1" "ram = 64G" "vcpus = 2" "hw_machine_type = pc-q53-7.2")
  expect 69 "bad.flavor:4: hw_machine_type: .* has no machine type pc-q53-7.2; close: pc-q35-7.2" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  bad=$(flavor bad "name = db1" "ram = 64G" "vcpus = 2" "bigvm:cpu_model = Westmer")
  expect 69 "bad.flavor:4: bigvm:cpu_model: .* has no CPU model Westmer; close: Westmere" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$bad"
  old=$(stand_in 2.6.0)
  expect 69 "is QEMU 2.6.0; bigvm needs 5.0.0 or newer" "$BIGVM" $command --qemu="$old" "$ok"
  old=$(stand_in 4.2.0)
  expect 69 "is QEMU 4.2.0; bigvm needs 5.0.0 or newer" "$BIGVM" $command --qemu="$old" "$ok"
  qemu=$(stand_in)
  # No UEFI descriptor: the user's empty files hide the system's (firmware.json).
  mkdir -p "$XDG_CONFIG_HOME/qemu/firmware"
  for d in /usr/share/qemu/firmware/*.json /etc/qemu/firmware/*.json; do
    [ -e "$d" ] && : > "$XDG_CONFIG_HOME/qemu/firmware/${d##*/}"
  done
  expect 69 "uefi.flavor:4: hw_firmware_type: no QEMU firmware descriptor offers UEFI" \
    "$BIGVM" $command --qemu="$qemu" --accel=tcg "$uefi"
  rm -rf "$XDG_CONFIG_HOME"
done

# 1 TiB of small pages, not mapped sparse, on a host with less: refused by
# run (show only warns).
expect 69 "ok.flavor:2: ram: 1 TiB is more than the .* this host has available" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg "$ok"
expect 0 "warning: .*ok.flavor:2: ram: 1 TiB is more than" "$BIGVM" show --qemu="$qemu" --accel=tcg "$ok"

# The flavor's warnings come before a refusal, even one for an unreadable dump.
warned=$(flavor warned "name = db1" "ram = 1G" "vcpus = 2" "hw:cpu_policy = dedicated")
expect 66 "foreign.test: no CPUID data" \
  "$BIGVM" show --qemu="$qemu" --cpuid-dump="$scratch/foreign.test" "$warned"
[ "$(sed -n 1p "$scratch/err")" = "bigvm: warning: $scratch/warned.flavor:4: hw:cpu_policy: ignored: a Nova setting bigvm does not act on" ] ||
  { cat "$scratch/err" >&2; fail "the flavor's warning does not come first"; }

# --cpuid-dump plans for another host: run, which starts a guest here, has no such option.
expect 64 "Unknown option --cpuid-dump" "$BIGVM" run --qemu="$qemu" \
  --cpuid-dump="$scratch/intel39.test" "$ok"

# A symbolic link as NVRAM is not followed; what it points at stays as it was.
echo precious > "$scratch/target.fd"
ln -s "$scratch/target.fd" "$scratch/link.fd"
linked=$(flavor linked "name = db1" "ram = 1G" "vcpus = 2" "hw_firmware_type = uefi" \
  "bigvm:nvram = link.fd")
expect 69 "link.fd is a symbolic link" "$BIGVM" run --qemu="$qemu" --accel=tcg "$linked"
[ "$(cat "$scratch/target.fd")" = precious ] || fail "NVRAM symlink target changed"

[ "$(launches)" = 0 ] || { cat "$scratch/launches" >&2; fail "QEMU was launched on a refusal"; }
[ ! -e "$XDG_STATE_HOME" ] || fail "a refusal wrote under XDG_STATE_HOME"
