#!/bin/sh
# The launch promise, class by class: what bigvm accepts, the real QEMU
# starts; what QEMU refuses, bigvm refuses first, naming the flavor key,
# with nothing launched (a stand-in QEMU counts launches); and what QEMU
# runs, bigvm does not refuse.  Each class the hostile testing of issue 11
# found has its case here.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

qemu=$(stand_in)
# A bare QEMU command line, for what QEMU itself says of a configuration.
Q="$real_qemu -no-user-config -nodefaults -display none -serial null -machine q35 -accel tcg"

# refused STATUS PATTERN FLAVOR: run and check refuse FLAVOR, launching nothing.
refused () {
  expect "$1" "$2" "$BIGVM" run --qemu="$qemu" --accel=tcg --sparse-ram "$3"
  "$BIGVM" check --qemu="$qemu" --accel=tcg --sparse-ram "$3" > "$scratch/check"
  [ $? = "$1" ] || fail "check did not exit $1 for $3"
  grep -q -- "^refused  .*$2" "$scratch/check" || { cat "$scratch/check" >&2; fail "check lacks $2"; }
}
starts () {
  qemu_starts --accel=tcg --sparse-ram "$@" ||
    fail "QEMU refused what bigvm accepts ($*): $(cat "$scratch/qemu.err")"
}

# ---- vCPUs whose APIC IDs pass 254 under TCG -------------------------------
starts "$(flavor apic255 "name = a" "ram = 1G" "vcpus = 255")"
refused 69 "vcpus: 256 vCPUs are more than QEMU takes under TCG" \
  "$(flavor apic256 "name = a" "ram = 1G" "vcpus = 256")"
qemu_refuses "requires kernel irqchip and X2APIC API support" $Q -m 1G -smp 256 ||
  fail "QEMU took 256 vCPUs under TCG"
# 216 vCPUs as 9 sockets of 24 cores: each socket takes 32 APIC IDs.
refused 69 "hw:cpu_sockets: 9 sockets x 24 cores x 1 thread give the last vCPU APIC ID 279" \
  "$(flavor apic9x24 "name = a" "ram = 1G" "vcpus = 216" "hw:cpu_sockets = 9")"
qemu_refuses "requires kernel irqchip" $Q -m 1G -smp 216,sockets=9,cores=24,threads=1 ||
  fail "QEMU took 9 sockets of 24 cores under TCG"
starts "$(flavor apic8x27 "name = a" "ram = 1G" "vcpus = 216" "hw:cpu_sockets = 8")"
note "APIC IDs: 255 and 8x27 start, 256 and 9x24 refused by both"

# ---- more than 128 NUMA nodes ----------------------------------------------
starts "$(flavor numa128 "name = a" "ram = 1G" "vcpus = 128" "hw:numa_nodes = 128")"
expect 65 "hw:numa_nodes: 129 nodes are more than QEMU takes (128, MAX_NODES)" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg \
  "$(flavor numa129 "name = a" "ram = 1032M" "vcpus = 129" "hw:numa_nodes = 129")"
nodes=""
for n in $(seq 0 128); do
  nodes="$nodes -object memory-backend-ram,id=r$n,size=8M -numa node,nodeid=$n,cpus=$n,memdev=r$n"
done
# shellcheck disable=SC2086
qemu_refuses "Max number of NUMA nodes reached: 128" $Q -m 1032M -smp 129 $nodes ||
  fail "QEMU took 129 NUMA nodes"
note "NUMA: 128 nodes start, 129 refused by both"

# ---- bigvm:cpu_flags: properties that are no boolean feature, and -lm ------
refused 65 "bigvm:cpu_flags: +phys-bits: phys-bits is not a CPU feature" \
  "$(flavor plusbits "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_flags = +phys-bits")"
qemu_refuses "Parameter 'phys-bits' expects uint64" $Q -m 1G -cpu max,+phys-bits ||
  fail "QEMU took +phys-bits"
refused 69 "bigvm:cpu_flags: +nosuchfeature: QEMU's CPU model max has no feature nosuchfeature" \
  "$(flavor nosuch "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_flags = +nosuchfeature")"
qemu_refuses "Property 'max-x86_64-cpu.nosuchfeature' not found" $Q -m 1G -cpu max,+nosuchfeature ||
  fail "QEMU took +nosuchfeature"
refused 69 "QEMU's CPU model EPYC has no feature migratable" \
  "$(flavor migratable "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_model = EPYC" \
     "bigvm:cpu_flags = +migratable")"
qemu_refuses "Property 'EPYC-x86_64-cpu.migratable' not found" $Q -m 1G -cpu EPYC,+migratable ||
  fail "QEMU took EPYC,+migratable"
# A property QEMU takes by name but refuses for the model: bigvm's CPU
# probe builds the very CPU, so QEMU says it before anything launches.
refused 69 "bigvm:cpu_flags: QEMU cannot build the guest CPU -cpu qemu64,-legacy-cache: .*CPU model 'qemu64' doesn't support legacy-cache=off" \
  "$(flavor legacycache "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_model = qemu64" \
     "bigvm:cpu_flags = -legacy-cache")"
qemu_refuses "CPU model 'qemu64' doesn't support legacy-cache=off" $Q -m 1G -cpu qemu64,-legacy-cache ||
  fail "QEMU took qemu64,-legacy-cache"
starts "$(flavor aliases "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_flags = +sse4_1,-pdpe1gb,+i64")"
starts "$(flavor maxmig "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_flags = +migratable")"
refused 65 "bigvm:cpu_flags: -lm makes the guest CPU 32-bit" \
  "$(flavor nolm "name = a" "ram = 1G" "vcpus = 1" "bigvm:cpu_model = qemu64" \
     "bigvm:cpu_flags = -lm" "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 40")"
qemu_refuses "phys-bits is not user-configurable in 32 bit" $Q -m 1G -cpu qemu64,-lm,phys-bits=40 ||
  fail "QEMU took -lm with phys-bits"
# -lm leaves qemu64 36 bits (PSE-36): the planner counts with them.
starts "$(flavor nolm30 "name = a" "ram = 30G" "vcpus = 1" "bigvm:cpu_model = qemu64" \
  "bigvm:cpu_flags = -lm")"
refused 65 "ram: 31 GiB needs 37 physical address bits, more than the 36 the 32-bit CPU model qemu64" \
  "$(flavor nolm31 "name = a" "ram = 31G" "vcpus = 1" "bigvm:cpu_model = qemu64" \
     "bigvm:cpu_flags = -lm")"
qemu_refuses "phys-bits too low (36)" $Q -machine memory-backend=r -object \
  memory-backend-ram,id=r,size=31G,reserve=off -m 31G -cpu qemu64,-lm ||
  fail "QEMU took 31 GiB on a 36-bit CPU"
note "CPU flags: the booleans QEMU lists pass, others and -lm with bits refused by both"

# ---- qemu32: QEMU checks no address bits for a 32-bit CPU -------------------
starts "$(flavor qemu32 "name = a" "ram = 512M" "vcpus = 1" "bigvm:cpu_model = qemu32")"
f=$(flavor qemu32big "name = a" "ram = 8G" "vcpus = 1" "bigvm:cpu_model = qemu32")
starts "$f"
expect 0 "warning: .*ram: the guest CPU (qemu32) addresses 32 bits" \
  "$BIGVM" show --accel=tcg --sparse-ram "$f"
note "qemu32: 512 MiB and 8 GiB start (the latter with a warning)"

# ---- RAM that QEMU's SMBIOS tables cannot describe ---------------------------
big="hw:maxphysaddr_mode = emulate"
starts "$(flavor smbios-ok "name = a" "ram = 18944G" "vcpus = 1" "$big" "hw:maxphysaddr_bits = 46")"
refused 69 "ram: 18945 GiB is more than QEMU's SMBIOS tables hold" \
  "$(flavor smbios-over "name = a" "ram = 18945G" "vcpus = 1" "$big" "hw:maxphysaddr_bits = 46")"
qemu_refuses "SMBIOS 2.1 table length 65539 exceeds 65535" $Q -machine memory-backend=r \
  -object memory-backend-ram,id=r,size=18945G,reserve=off -m 18945G -cpu max,phys-bits=46 ||
  fail "QEMU took 18945 GiB"
# The class found: 100 TiB of sparse RAM, more than this host's user
# address space can map in one piece.
refused 69 "ram: 100 TiB is more than QEMU's SMBIOS tables hold" \
  "$(flavor sparse100 "name = a" "ram = 100T" "vcpus = 1" "$big" "hw:maxphysaddr_bits = 48")"
qemu_refuses "cannot set up guest memory" $Q -machine memory-backend=r \
  -object memory-backend-ram,id=r,size=100T,reserve=off -m 100T -cpu max,phys-bits=48 ||
  fail "QEMU took 100 TiB"
# The largest RAM bigvm reads, 262144 SMBIOS records: refused at once.
refused 69 "ram: 4096 TiB is more than QEMU's SMBIOS tables hold: .*; at most 18944 GiB" \
  "$(flavor smbios4p "name = a" "ram = 4096T" "vcpus = 1" "$big" "hw:maxphysaddr_bits = 52")"
note "SMBIOS: 18944 GiB starts, 18945 GiB and 100 TiB refused by both"

# ---- files: twins, missing ones, missing directories, the firmware's own ---
: > "$scratch/disk.img"
ln -s "$scratch/disk.img" "$scratch/same.img"
starts "$(flavor disk "name = a" "ram = 1G" "vcpus = 1" "bigvm:disk.0 = disk.img")"
refused 69 "bigvm:disk.1: $scratch/same.img is the same file as bigvm:disk.0" \
  "$(flavor twins "name = a" "ram = 1G" "vcpus = 1" "bigvm:disk.0 = disk.img" "bigvm:disk.1 = same.img")"
qemu_refuses 'Failed to get "write" lock' $Q -m 1G \
  -drive if=none,id=d0,format=raw,file="$scratch/disk.img" -device virtio-blk-pci,drive=d0 \
  -drive if=none,id=d1,format=raw,file="$scratch/same.img" -device virtio-blk-pci,drive=d1 ||
  fail "QEMU took one image twice"
refused 69 "bigvm:disk.0: $scratch/none.img: No such file or directory" \
  "$(flavor nodisk "name = a" "ram = 1G" "vcpus = 1" "bigvm:disk.0 = none.img")"
refused 69 "bigvm:cdrom: $scratch/none.iso: No such file or directory" \
  "$(flavor nocd "name = a" "ram = 1G" "vcpus = 1" "bigvm:cdrom = none.iso")"
refused 69 "bigvm:pidfile: cannot make $scratch/nodir/a.pid" \
  "$(flavor nopiddir "name = a" "ram = 1G" "vcpus = 1" "bigvm:pidfile = nodir/a.pid")"
# (not through qemu_refuses, whose own -pidfile would take the place of this one)
timeout 20 $Q -m 1G -S -pidfile "$scratch/nodir/a.pid" 2> "$scratch/qemu.err"
[ $? = 1 ] && grep -q "cannot create PID file" "$scratch/qemu.err" ||
  fail "QEMU took a pidfile in no directory: $(cat "$scratch/qemu.err")"
refused 69 "bigvm:qmp: cannot make $scratch/nodir/a.qmp" \
  "$(flavor noqmpdir "name = a" "ram = 1G" "vcpus = 1" "bigvm:qmp = nodir/a.qmp")"
qemu_refuses "Failed to bind socket" $Q -m 1G \
  -chardev socket,id=q,path="$scratch/nodir/a.qmp",server=on,wait=off -mon chardev=q,mode=control ||
  fail "QEMU took a socket in no directory"
for shared in OVMF_CODE_4M.fd OVMF_VARS_4M.fd; do
  refused 69 "bigvm:nvram: /usr/share/OVMF/$shared is the firmware's" \
    "$(flavor shared "name = a" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi" \
       "bigvm:nvram = /usr/share/OVMF/$shared")"
done
long=$(printf '%0250d' 0)
refused 69 "name: 0000.*\.\.\. (258 bytes) cannot name the guest's UEFI variable file" \
  "$(flavor longname "name = $long" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi")"
note "files: twins, missing files and directories, the firmware's own and long names refused"

# ---- the flavor's own bytes: huge keys, many lines -------------------------
{ echo "name = a"; echo "ram = 1G"; echo "vcpus = 1"; head -c 200000 /dev/zero | tr '\0' k; echo " = 1"; } \
  > "$scratch/hugekey.flavor"
expect 65 "hugekey.flavor:4: kkkk.*\.\.\. (200000 bytes): unknown key" \
  "$BIGVM" run --qemu="$qemu" "$scratch/hugekey.flavor"
[ "$(wc -c < "$scratch/err")" -lt 300 ] || fail "a 200 KB key was echoed: $(wc -c < "$scratch/err") bytes"
{ echo "name = a"; echo "ram = 1G"; echo "vcpus = 1"; seq -f 'k%g=1' 20000; } \
  > "$scratch/manykeys.flavor"
expect 65 "manykeys.flavor: 19980 more problems not listed" \
  "$BIGVM" run --qemu="$qemu" "$scratch/manykeys.flavor"
[ "$(wc -l < "$scratch/err")" = 21 ] || fail "20,000 unknown keys: $(wc -l < "$scratch/err") lines"

# ---- names that are not text -----------------------------------------------
odd="$scratch/caf$(printf '\351')"
mkdir "$odd"
printf 'name = a\nram = 1G\nvcpus = 1\nbigvm:pidfile = a.pid\n' > "$odd/a.flavor"
"$BIGVM" show --format=json --accel=tcg "$odd/a.flavor" > "$scratch/json" || fail "show --format=json"
iconv -f UTF-8 -t UTF-8 "$scratch/json" > /dev/null || fail "show --format=json is not UTF-8: $(cat "$scratch/json")"
grep -q '\[47,' "$scratch/json" || fail "the pidfile's bytes are not in the JSON: $(cat "$scratch/json")"
esc="$scratch/esc$(printf '\033')[2J"
mkdir "$esc"
printf 'name = a\nram = 1G\nvcpus = 1\nbigvm:pidfile = a.pid\n' > "$esc/a.flavor"
"$BIGVM" show --accel=tcg "$esc/a.flavor" > "$scratch/shell" || fail "show"
if grep -q "$(printf '\033')" "$scratch/shell"; then fail "show printed a raw escape"; fi
if command -v bash > /dev/null; then
  bash -c 'eval "set -- $(cat "$1")"; for w; do case $w in -pidfile) p=1 ;; *) [ -n "${p:-}" ] && { printf %s "$w"; exit; } ;; esac; done' \
    sh "$scratch/shell" > "$scratch/pidfile"
  [ "$(cat "$scratch/pidfile")" = "$esc/a.pid" ] || fail "bash did not read back the pidfile's name"
fi
"$BIGVM" check --qemu="$qemu" --accel=tcg "$esc/no.flavor" > /dev/null 2> "$scratch/err"
if grep -q "$(printf '\033')" "$scratch/err"; then fail "a message printed a raw escape"; fi
note "names: JSON stays UTF-8, show and messages escape control characters"

# ---- check --preflight with a comma in TMPDIR --------------------------------
mkdir -p "$scratch/a,b"
f=$(flavor preflight "name = a" "ram = 1G" "vcpus = 1")
TMPDIR="$scratch/a,b" "$BIGVM" check --preflight --accel=tcg "$f" > "$scratch/check" ||
  { cat "$scratch/check" >&2; fail "preflight with a comma in TMPDIR"; }

# ---- what a QEMU says of itself --------------------------------------------
odd_version=$(stand_in 4.1000.0)
expect 69 "is QEMU 4.1000.0; bigvm needs 5.0.0 or newer" "$BIGVM" run --qemu="$odd_version" "$f"
qemu=$(stand_in)
mkdir -p "$XDG_CONFIG_HOME/qemu/firmware"
sed 's/"format": "raw"/"format": "raw,file=\/etc\/passwd"/' /usr/share/qemu/firmware/60-edk2-x86_64.json \
  > "$XDG_CONFIG_HOME/qemu/firmware/60-edk2-x86_64.json"
f=$(flavor fwformat "name = a" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi")
"$BIGVM" show --accel=tcg "$f" > "$scratch/out" 2> "$scratch/err"
grep -q "60-edk2-x86_64.json: not a firmware descriptor: flash format .* is not raw or qcow2, the formats bigvm takes; skipped" "$scratch/err" ||
  { cat "$scratch/err" >&2; fail "a descriptor's odd format was not refused"; }
grep -q "passwd" "$scratch/out" && fail "a descriptor's format reached -drive"
rm -rf "$XDG_CONFIG_HOME"

# ---- a CPUID dump with more bits than x86 has ---------------------------------
printf 'basic_cpuid[0]=00000001 756e6547 6c65746e 49656e69\next_cpuid[0]=80000008 00000000 00000000 00000000\next_cpuid[8]=0000303c 00000000 00000000 00000000\n' \
  > "$scratch/bits60.test"
expect 66 "bits60.test: CPUID 0x80000008 reports 60 physical address bits; x86 CPUs have at most 52" \
  "$BIGVM" show --qemu="$qemu" --cpuid-dump="$scratch/bits60.test" "$f"

# ---- exec failures: 127 and 126, as shells say them --------------------------
cp "$qemu" "$scratch/vanishing"
f=$(flavor exec "name = a" "ram = 1G" "vcpus = 1")
"$BIGVM" show --qemu="$scratch/vanishing" --accel=tcg "$f" > /dev/null || fail "show with a copy"
# Its interpreter gone, the same size, inode and time: the cached
# capabilities still hold, and execv fails with ENOENT.
touch -r "$scratch/vanishing" "$scratch/when"
printf '#!/bin/xx' | dd of="$scratch/vanishing" bs=1 conv=notrunc 2> /dev/null
touch -r "$scratch/when" "$scratch/vanishing"
expect 127 "cannot execute $scratch/vanishing: No such file or directory" \
  "$BIGVM" run --qemu="$scratch/vanishing" --accel=tcg "$f"
cp "$qemu" "$scratch/busy"
"$BIGVM" show --qemu="$scratch/busy" --accel=tcg "$f" > /dev/null || fail "show with a copy"
exec 3>> "$scratch/busy"
expect 126 "cannot execute $scratch/busy: Text file busy" "$BIGVM" run --qemu="$scratch/busy" --accel=tcg "$f"
exec 3>&-

[ "$(launches)" = 0 ] || { cat "$scratch/launches" >&2; fail "QEMU was launched on a refusal"; }
