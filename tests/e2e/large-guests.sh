#!/bin/sh
# Guests as production runs them: NUMA nodes, huge pages preallocated,
# disks and a network card, a QMP socket and a pidfile; huge pages the
# host lacks refused before any launch; an existing NVRAM file left as it is.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

# boot FLAVOR EXIT [QEMU_ARG...]: the test guest through bigvm run.
boot () {
  f=$1 code=$2; shift 2
  "$BIGVM" run -q --accel=tcg "$f" -- -no-reboot -kernel "$TESTGUEST" -append "exit=$code" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" < /dev/null > "$scratch/console" 2>&1
  status=$?
  [ "$status" = $((code * 2 + 1)) ] || { cat "$scratch/console" >&2; fail "$f: exit $status"; }
  grep -qx "bigvm-testguest: done" "$scratch/console" || fail "$f: the guest did not finish"
}
report () { sed -n "s/^$1=//p" "$scratch/console"; }

# Two NUMA nodes, Nova's even split, sparse RAM.
f=$(flavor numa "name = numa" "ram = 8G" "vcpus = 4" "hw:numa_nodes = 2" "hw:cpu_sockets = 2")
"$BIGVM" show --accel=tcg "$f" | grep -q -- "-numa node,nodeid=1,cpus=2-3,memdev=ram1" ||
  fail "no second NUMA node on the command line"
boot "$f" 4
[ "$(report ram_bytes)" = 0x1fff7fc00 ] || fail "2-node guest sees $(report ram_bytes) of RAM"
note "2 NUMA nodes: guest booted, $(report ram_bytes) bytes of RAM"

# A disk made by qemu-img, a raw one, user networking, a QMP socket, a pidfile.
qemu-img create -q -f qcow2 "$scratch/root,1.qcow2" 64M || fail "qemu-img"
truncate -s 16M "$scratch/data.img"
f=$(flavor devices "name = devices" "ram = 1G" "vcpus = 1" "bigvm:disk.0 = root,1.qcow2" \
  "bigvm:disk.1 = data.img" "bigvm:net = user" "bigvm:qmp = $scratch/devices.qmp" \
  "bigvm:pidfile = devices.pid")
boot "$f" 2
case ",$(report pci)," in
  *,1af4:1001,1af4:1001,1af4:1000,*) ;;
  *) fail "the guest's PCI bus lacks two virtio disks and a virtio NIC: $(report pci)" ;;
esac
note "disks and network: the guest sees $(report pci)"
# The pidfile (which QEMU removes when it exits) and the QMP socket are
# QEMU's, under bigvm's own PID.
"$BIGVM" run -q --accel=tcg "$f" -- -S < /dev/null > /dev/null 2>&1 &
pid=$!
i=0
while [ ! -S "$scratch/devices.qmp" ] || [ "$(cat "$scratch/devices.pid" 2>/dev/null)" != "$pid" ]; do
  i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; fail "no QMP socket or pidfile for PID $pid"; }
  sleep 0.1
done
kill $pid; wait $pid 2>/dev/null

# 2 MiB huge pages, reserved here for the test and given back after.
hugepages=/proc/sys/vm/nr_hugepages
if old=$(cat $hugepages 2>/dev/null) && echo $((old + 600)) > $hugepages 2>/dev/null; then
  trap 'echo $old > $hugepages; rm -rf "$scratch"' EXIT
  free=$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo)
  [ "$free" -ge 512 ] || fail "reserved 600 huge pages, only $free free"
  f=$(flavor huge "name = huge" "ram = 1G" "vcpus = 1" "hw:mem_page_size = 2MB")
  "$BIGVM" show --accel=tcg "$f" | grep -q "memory-backend-memfd,id=ram0,size=1G,hugetlb=on,hugetlbsize=2M,prealloc=on" ||
    fail "no huge page backend"
  # While QEMU waits (-S), its RAM is in huge pages, all preallocated.
  "$BIGVM" run -q --accel=tcg "$f" -- -S < /dev/null > /dev/null 2>&1 &
  pid=$!
  i=0
  while [ "$(sed -n 's/^HugePages_Free: *//p' /proc/meminfo)" -gt $((free - 512)) ]; do
    i=$((i + 1)); [ $i -lt 100 ] || { kill $pid; fail "QEMU did not take 512 huge pages"; }
    sleep 0.1
  done
  kill $pid; wait $pid 2>/dev/null
  boot "$f" 6
  note "2 MiB huge pages: QEMU took 512, the guest booted"
else
  note "skip: cannot reserve huge pages here (not root?); the 2 MiB test did not run"
fi

# 1 GiB pages beyond what the host has free: refused, nothing launched.
qemu=$(stand_in)
free_1g=$(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages 2>/dev/null || echo 0)
f=$(flavor giant "name = giant" "ram = $((free_1g + 2))G" "vcpus = 1" "hw:mem_page_size = 1GB")
expect 69 "giant.flavor:4: hw:mem_page_size: $((free_1g + 2)) pages of 1 GiB needed, $free_1g free" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg "$f"
"$BIGVM" check --qemu="$qemu" --accel=tcg "$f" > "$scratch/check"
[ $? = 69 ] || fail "check of 1 GiB pages the host lacks did not exit 69"
grep -q "^refused  .*pages of 1 GiB needed" "$scratch/check" || fail "check did not say what is short"
[ "$(launches)" = 0 ] || fail "QEMU was launched for huge pages the host lacks"
expect 0 "warning: .*pages of 1 GiB needed" "$BIGVM" show --qemu="$qemu" --accel=tcg "$f"

# An NVRAM file that exists is used as it is: same inode, same bytes.
f=$(flavor uefi "name = uefi" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi" \
  "bigvm:nvram = vars/uefi.fd")
mkdir -p "$scratch/vars"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$scratch/vars/uefi.fd"
printf 'bigvm-test' | dd of="$scratch/vars/uefi.fd" bs=1 seek=100 conv=notrunc 2> /dev/null
before=$(stat -c '%i %s' "$scratch/vars/uefi.fd") sum=$(md5sum < "$scratch/vars/uefi.fd")
"$BIGVM" check --accel=tcg "$f" > /dev/null || fail "check of the UEFI guest"
"$BIGVM" run -q --accel=tcg "$f" -- -S < /dev/null > /dev/null 2>&1 &
pid=$!
sleep 1
kill $pid; wait $pid 2>/dev/null
[ "$(stat -c '%i %s' "$scratch/vars/uefi.fd")" = "$before" ] || fail "the NVRAM file was replaced"
[ "$(md5sum < "$scratch/vars/uefi.fd")" = "$sum" ] || fail "the NVRAM file changed"
