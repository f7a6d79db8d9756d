#!/bin/sh
# Faults injected on purpose: broken QEMU binaries, caches, firmware
# descriptors, NVRAM files, flavor paths and /dev/kvm.  Each must end in
# one clear message, a documented exit status, nothing launched, nothing
# written where it should not be, and in bounded time (each case prints
# its status and wall time).
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

qemu=$(stand_in)
small=$(flavor small "name = small" "ram = 1G" "vcpus = 1")
uefi=$(flavor uefi "name = uefi" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi")

# fault NAME STATUS PATTERN CMD...: expect, timed, at most 10 s.
fault () {
  name=$1; shift
  start=$(date +%s%N)
  expect "$@"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  [ $ms -le 10000 ] || fail "$name took $ms ms"
  note "$name: exit $1 in $ms ms: $(head -1 "$scratch/err")"
}

# ---- QEMU binaries ---------------------------------------------------------
printf '#!/bin/sh\n' > "$scratch/plain"
fault "QEMU missing" 69 "not found in PATH" env PATH=/nonexistent "$BIGVM" show --accel=tcg "$small"
fault "QEMU not executable" 69 "plain: not an executable file" "$BIGVM" show --qemu="$scratch/plain" "$small"
fault "QEMU a directory" 69 "not an executable file" "$BIGVM" show --qemu="$scratch" "$small"
for body in "echo garbage" "true" "exit 1"; do
  printf '#!/bin/sh\n%s\n' "$body" > "$scratch/bad-version"
  chmod +x "$scratch/bad-version"
  fault "--version: $body" 69 "bad-version" "$BIGVM" show --qemu="$scratch/bad-version" "$small"
done
cat > "$scratch/no-commands" <<'SCRIPT'
#!/bin/sh
[ "$1" = --version ] && { echo "QEMU emulator version 7.2.0"; exit 0; }
echo '{"QMP": {"version": {}, "capabilities": []}}'
while read -r line; do
  case $line in
    *qmp_capabilities*) echo '{"return": {}}' ;;
    *) echo '{"error": {"class": "CommandNotFound", "desc": "The command is not known"}}' ;;
  esac
done
SCRIPT
chmod +x "$scratch/no-commands"
fault "QMP without the commands bigvm needs" 69 "query-machines: .*answered with an error: The command is not known" \
  "$BIGVM" show --qemu="$scratch/no-commands" "$small"
# (exits at once, crashes, hangs, non-JSON, wrong shape: tests/e2e/probe.sh)

# ---- the capability cache --------------------------------------------------
# /proc is not writable, not even by root: the cache cannot be kept.
XDG_CACHE_HOME=/proc/self fault "cache directory unwritable" 0 "warning: cannot keep QEMU's capabilities" \
  "$BIGVM" show --qemu="$qemu" --accel=tcg "$small"
# (corrupt, truncated, another bigvm, not a directory: tests/e2e/probe.sh, test-cache.c)

# ---- firmware descriptors --------------------------------------------------
fw=$XDG_CONFIG_HOME/qemu/firmware
mkdir -p "$fw"
for d in /usr/share/qemu/firmware/*.json; do : > "$fw/${d##*/}"; done
descriptor () {
  printf '{"interface-types": ["uefi"], "mapping": {"device": "flash",
    "executable": {"filename": "%s", "format": "raw"},
    "nvram-template": {"filename": "%s", "format": "raw"}},
    "targets": [{"architecture": "x86_64", "machines": ["pc-q35-*"]}], "features": []}\n' "$1" "$2"
}
descriptor /nonexistent/CODE.fd /usr/share/OVMF/OVMF_VARS_4M.fd > "$fw/10-missing-code.json"
fault "descriptor with a missing code file" 69 "10-missing-code.json names /nonexistent/CODE.fd, which does not exist" \
  "$BIGVM" show --qemu="$qemu" --accel=tcg "$uefi"
descriptor /usr/share/OVMF/OVMF_CODE_4M.fd /nonexistent/VARS.fd > "$fw/10-missing-code.json"
fault "descriptor with a missing template" 69 "names /nonexistent/VARS.fd, which does not exist" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg "$uefi"
# A broken descriptor is skipped with a warning naming it; here no other
# is left, so the guest is refused for want of one.
echo '{"interface-types": ' > "$fw/10-missing-code.json"
fault "malformed descriptor" 69 "warning: .*10-missing-code.json: not a firmware descriptor: .*; skipped" \
  "$BIGVM" show --qemu="$qemu" --accel=tcg "$uefi"
grep -q "no QEMU firmware descriptor offers UEFI" "$scratch/err" || fail "malformed descriptor: $(cat "$scratch/err")"
# A descriptor holding only a newline: the same, and no GLib critical.
echo > "$fw/10-missing-code.json"
fault "descriptor of one newline" 69 "10-missing-code.json: not a firmware descriptor: not a JSON object; skipped" \
  "$BIGVM" show --qemu="$qemu" --accel=tcg "$uefi"
grep -q CRITICAL "$scratch/err" && fail "a GLib critical reached the operator: $(cat "$scratch/err")"
rm "$fw/10-missing-code.json"
fault "no matching descriptor" 69 "no QEMU firmware descriptor offers UEFI" \
  "$BIGVM" show --qemu="$qemu" --accel=tcg "$uefi"
rm -rf "$XDG_CONFIG_HOME"
# (search path and precedence: test-firmware.c; the user's empty files hiding
# the system's are used just above)

# ---- NVRAM -----------------------------------------------------------------
# A template that is gone by the time run copies it: refused, nothing left.
mkdir -p "$fw"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$scratch/VARS.fd"
for d in /usr/share/qemu/firmware/*.json; do : > "$fw/${d##*/}"; done
descriptor /usr/share/OVMF/OVMF_CODE_4M.fd "$scratch/VARS.fd" > "$fw/10-mine.json"
chmod 000 "$scratch/VARS.fd"
mv "$scratch/VARS.fd" "$scratch/VARS.gone"
fault "NVRAM template missing" 69 "VARS.fd, which does not exist" "$BIGVM" run --qemu="$qemu" --accel=tcg "$uefi"
[ ! -e "$XDG_STATE_HOME/bigvm/uefi_VARS.fd" ] || fail "an NVRAM file was made without a template"
rm -rf "$XDG_CONFIG_HOME"

# Mount tricks need mount and a mount namespace of our own (root, unshare).
if command -v mount > /dev/null && unshare -m true 2> /dev/null; then
  # A read-only file system under the NVRAM file: refused, file untouched.
  mkdir -p "$scratch/ro"
  cp /usr/share/OVMF/OVMF_VARS_4M.fd "$scratch/ro/vars.fd"
  sum=$(md5sum < "$scratch/ro/vars.fd")
  ro=$(flavor ro "name = ro" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi" "bigvm:nvram = ro/vars.fd")
  fault "NVRAM on a read-only file system" 69 "cannot open UEFI variable file .*Read-only file system" \
    unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
    sh "$scratch/ro" "$BIGVM" run --qemu="$qemu" --accel=tcg "$ro"
  [ "$(md5sum < "$scratch/ro/vars.fd")" = "$sum" ] || fail "the read-only NVRAM file changed"
  # A full disk: the copy fails, and no partial file is left.
  mkdir -p "$scratch/full"
  full=$(flavor full "name = full" "ram = 1G" "vcpus = 1" "hw_firmware_type = uefi" \
    "bigvm:nvram = full/vars.fd")
  fault "NVRAM on a full disk" 69 "cannot write UEFI variable file .*full/vars.fd: No space left on device" \
    unshare -m sh -c 'mount -t tmpfs -o size=64k none "$1" && shift && exec "$@"' \
    sh "$scratch/full" "$BIGVM" run --qemu="$qemu" --accel=tcg "$full"
  [ -z "$(ls -A "$scratch/full")" ] || fail "a partial NVRAM file was left: $(ls -A "$scratch/full")"
  # /dev/kvm: missing, not a KVM device, cannot be opened read-write.
  kvm_case () {
    name=$1 setup=$2 pattern=$3
    fault "$name" 69 "$pattern" unshare -m sh -c "$setup"' && exec "$@"' \
      sh "$BIGVM" show --qemu="$qemu" --accel=kvm "$small"
    unshare -m sh -c "$setup"' && exec "$@"' sh "$BIGVM" host --format=json \
      --qemu="$qemu" > "$scratch/host" 2> /dev/null || fail "$name: bigvm host failed"
    grep -q '"kvm":{"state":"usable"' "$scratch/host" && fail "$name: host says KVM is usable"
    :
  }
  # Where /dev/kvm is missing, a private /dev gets a file to mount over
  # (an empty regular file stands in for /dev/null there too).
  if [ -e /dev/kvm ]; then kvm_node=true; else kvm_node='mount -t tmpfs none /dev && touch /dev/null /dev/kvm'; fi
  kvm_case "/dev/kvm not a KVM device" "$kvm_node && mount --bind /dev/null /dev/kvm" \
    "KVM is not usable here: /dev/kvm is not a KVM device"
  # A file on a read-only mount: even root cannot open it read-write.
  mkdir -p "$scratch/kvmro"
  kvm_case "/dev/kvm not openable" "$kvm_node && mount -t tmpfs none $scratch/kvmro && touch $scratch/kvmro/kvm && mount -o remount,ro $scratch/kvmro && mount --bind $scratch/kvmro/kvm /dev/kvm" \
    "KVM is not usable here: cannot open /dev/kvm: Read-only file system"
  # (an empty regular file stands in for /dev/null: the cache is warm, so no
  # QEMU starts there)
  kvm_case "/dev/kvm missing" 'mount -t tmpfs none /dev && touch /dev/null' \
    "KVM is not usable here: cannot open /dev/kvm: No such file or directory"
else
  note "skip: no mount, or unshare -m is not allowed here; the read-only, full-disk and /dev/kvm cases did not run"
fi
# (existing file kept, symlink refused: tests/e2e/large-guests.sh, refusals.sh, test-nvram.c)

# ---- the flavor path -------------------------------------------------------
mkfifo "$scratch/fifo.flavor"
fault "flavor a FIFO" 66 "fifo.flavor: not a regular file" "$BIGVM" show --qemu="$qemu" "$scratch/fifo.flavor"
fault "flavor /dev/zero" 66 "/dev/zero: not a regular file" "$BIGVM" show --qemu="$qemu" /dev/zero
head -c 300000 /dev/zero | tr '\0' '#' > "$scratch/huge.flavor"
fault "flavor too large" 66 "huge.flavor: larger than 256 KiB" "$BIGVM" show --qemu="$qemu" "$scratch/huge.flavor"
fault "flavor a directory" 66 "not a regular file" "$BIGVM" show --qemu="$qemu" "$scratch"
fault "flavor unreadable" 66 "/proc/self/mem: Input/output error" "$BIGVM" show --qemu="$qemu" /proc/self/mem
fault "flavor missing" 66 "No such file or directory" "$BIGVM" show --qemu="$qemu" "$scratch/none.flavor"

[ "$(launches)" = 0 ] || { cat "$scratch/launches" >&2; fail "QEMU was launched on a fault"; }
