#!/bin/sh
# show --format=libvirt against the real libvirt 9.0: its schema accepts
# the XML of every flavor bigvm plans here, and its libvirtd boots the
# test guest with the address bits bigvm gives it, and a UEFI guest to
# OVMF's shell.  The daemons are started here when they are not running
# and stopped after; what they change is put back.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

for tool in virsh virt-xml-validate libvirtd virtlogd; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (libvirt-daemon-system, libvirt-clients)"
done
[ "$(id -u)" = 0 ] || skip "qemu:///system needs root"

# The daemons, and what they may change: /dev/kvm's mode, the images
# directory the test writes to, qemu.conf in a chroot (below).
started=
kvm_mode=$(stat -c %a /dev/kvm 2> /dev/null || true)
images=/var/lib/libvirt/images
qemu_conf=/etc/libvirt/qemu.conf
dir=
cleanup () {
  [ -n "$dir" ] && virsh -c qemu:///system destroy bigvm-lv > /dev/null 2>&1
  [ -n "$dir" ] && virsh -c qemu:///system destroy bigvm-lv-uefi > /dev/null 2>&1
  [ -n "$dir" ] && rm -rf "$dir"
  for pid in $started; do
    kill "$pid" 2> /dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
  done
  [ -f "$scratch/qemu.conf" ] && cp -p "$scratch/qemu.conf" "$qemu_conf"
  [ -n "$kvm_mode" ] && chmod "$kvm_mode" /dev/kvm
  rm -rf "$scratch"
}
trap cleanup EXIT
if ! virsh -c qemu:///system version > /dev/null 2>&1; then
  # libvirt starts each QEMU in a mount namespace of its own, first making
  # / a slave mount (src/util/virprocess.c virProcessSetupPrivateMountNS);
  # in a chroot / is no mount point and that fails ("Failed disable mount
  # propagation out of the root filesystem").  The daemon started here is
  # then told to use none, and qemu.conf is put back after.
  if ! mountpoint -q /; then
    cp -p "$qemu_conf" "$scratch/qemu.conf"
    echo 'namespaces = []' >> "$qemu_conf"
    note "/ is not a mount point (a chroot?): libvirt's QEMU mount namespace is off for this test"
  fi
  pgrep -x virtlogd > /dev/null || { virtlogd -d && started="$started $(pgrep -nx virtlogd)"; }
  libvirtd -d || skip "libvirtd does not start here"
  started="$started $(pgrep -nx libvirtd)"
  for _ in $(seq 50); do virsh -c qemu:///system version > /dev/null 2>&1 && break; sleep 0.2; done
fi
virsh -c qemu:///system version > /dev/null 2>&1 || skip "libvirtd does not answer"
virsh="virsh -q -c qemu:///system"

# 1. The schema: every example and golden flavor that plans here.
valid=0
for f in "$E2E_DIR"/../../examples/*.flavor "$E2E_DIR"/../golden/*.flavor; do
  "$BIGVM" show -q --format=libvirt --accel=tcg --sparse-ram "$f" > "$scratch/domain.xml" \
    2> /dev/null || continue
  virt-xml-validate "$scratch/domain.xml" domain > "$scratch/validate.out" 2>&1 ||
    fail "$f: libvirt's schema refuses bigvm's XML: $(cat "$scratch/validate.out")"
  valid=$((valid + 1))
done
[ "$valid" -ge 25 ] || fail "only $valid flavors planned here to validate"
note "virt-xml-validate: $valid flavors' domains valid"

# What libvirt cannot say is said on stderr, and left out.
f=$(flavor sparse "name = s" "ram = 1T" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42")
"$BIGVM" show --format=libvirt --accel=tcg --sparse-ram "$f" > /dev/null 2> "$scratch/err"
grep -q "not in the libvirt XML: --sparse-ram: libvirt 9.0 cannot map guest RAM without reserving" \
  "$scratch/err" || fail "sparse RAM not said: $(cat "$scratch/err")"

# 2. libvirtd boots the test guest: the same address bits as bigvm run.
dir=$(mktemp -d "$images/bigvm-test.XXXXXX")
chmod 755 "$dir"
cp "$TESTGUEST" "$dir/guest.elf"
f=$(flavor lv "name = bigvm-lv" "ram = 2G" "vcpus = 2" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42")
"$BIGVM" run -q --accel=tcg "$f" -- -kernel "$TESTGUEST" -append "exit=3" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 > "$scratch/bigvm.out" 2>&1 < /dev/null
grep -q "^phys_bits=42$" "$scratch/bigvm.out" || fail "bigvm run: $(cat "$scratch/bigvm.out")"
"$BIGVM" show -q --format=libvirt --accel=tcg "$f" |
  sed -e "s|<boot dev='hd'/>|<kernel>$dir/guest.elf</kernel><cmdline>exit=0</cmdline>|" \
      -e "s|<serial type='pty'/>|<serial type='file'><source path='$dir/serial.log'/></serial>|" \
      -e "s|<console type='pty'/>||" > "$dir/domain.xml"
$virsh create "$dir/domain.xml" > "$scratch/create.out" 2>&1 || fail "virsh create: $(cat "$scratch/create.out")"
for _ in $(seq 100); do grep -q "bigvm-testguest: done" "$dir/serial.log" 2> /dev/null && break; sleep 0.2; done
grep -q "^phys_bits=42$" "$dir/serial.log" || fail "under libvirt: $(cat "$dir/serial.log" 2>&1)"
for key in vendor phys_bits pdpe1gb lm ram_end ram_bytes reserved_above_4g; do
  [ "$(grep "^$key=" "$dir/serial.log")" = "$(grep "^$key=" "$scratch/bigvm.out")" ] ||
    fail "$key under libvirt: $(grep "^$key=" "$dir/serial.log"), under bigvm: $(grep "^$key=" "$scratch/bigvm.out")"
done
$virsh destroy bigvm-lv > /dev/null
note "libvirt boots the test guest as bigvm does: $(grep -E '^(vendor|phys_bits|ram_end)=' "$dir/serial.log" | tr '\n' ' ')"

# 3. A UEFI guest reaches OVMF's shell under libvirt, from the same
#    firmware descriptor.
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "ovmf is not installed"
f=$(flavor lv-uefi "name = bigvm-lv-uefi" "ram = 2G" "vcpus = 1" "hw_firmware_type = uefi" \
  "bigvm:nvram = $dir/vars.fd")
"$BIGVM" show -q --format=libvirt --accel=tcg "$f" |
  sed -e "s|<serial type='pty'/>|<serial type='file'><source path='$dir/uefi.log'/></serial>|" \
      -e "s|<console type='pty'/>||" > "$dir/uefi.xml"
grep -q "<loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>" \
  "$dir/uefi.xml" || fail "no OVMF loader: $(cat "$dir/uefi.xml")"
$virsh create "$dir/uefi.xml" > "$scratch/create.out" 2>&1 || fail "virsh create UEFI: $(cat "$scratch/create.out")"
for _ in $(seq 300); do grep -q "Shell>" "$dir/uefi.log" 2> /dev/null && break; sleep 0.2; done
grep -q "Shell>" "$dir/uefi.log" || fail "OVMF did not reach its shell under libvirt: $(tail -c 300 "$dir/uefi.log")"
$virsh destroy bigvm-lv-uefi > /dev/null
note "UEFI under libvirt: OVMF's shell"
