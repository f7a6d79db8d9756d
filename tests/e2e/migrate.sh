#!/bin/sh
# Live migration between two QEMUs on this machine, under TCG: the test
# guest rewrites its memory round after round and checks it, so a lost or
# stale page shows on the destination; it prints its round counter and
# its address bits.  Over unix and TCP, sparse RAM, postcopy through the
# automatic switch, TLS, and the failures: a destination that differs, a
# wrong TLS hostname, a destination killed during precopy, a guest QEMU
# cannot migrate.  In every failure the source guest runs on.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

command -v openssl > /dev/null || skip "openssl is not installed"
pids=
trap 'for p in $pids; do kill "$p" 2> /dev/null; done; rm -rf "$scratch"' EXIT

# guest_flavors NAME RAM [LINE...]: NAME-src.flavor and NAME-dst.flavor,
# the same guest but for the QMP socket and pidfile.
guest_flavors () {
  guest=$1 guest_ram=$2; shift 2
  for guest_side in src dst; do
    flavor "$guest-$guest_side" "name = $guest" "ram = $guest_ram" "vcpus = 2" \
      "hw:maxphysaddr_mode = emulate" "hw:maxphysaddr_bits = 42" \
      "bigvm:qmp = $scratch/$guest-$guest_side.qmp" \
      "bigvm:pidfile = $scratch/$guest-$guest_side.pid" "$@" > /dev/null
  done
}

# start SIDE NAME DIRTY_MIB [BIGVM_OPTION...]: bigvm run of NAME-SIDE in the
# background, its console in NAME-SIDE.out, the test guest rewriting
# DIRTY_MIB MiB.  Waits for its QMP socket.
start () {
  side=$1 name=$2 dirty=$3; shift 3
  rm -f "$scratch/$name-$side.qmp"
  "$BIGVM" run -q --accel=tcg --sparse-ram "$@" "$scratch/$name-$side.flavor" -- \
    -kernel "$TESTGUEST" -append "dirty=$dirty every=100" \
    > "$scratch/$name-$side.out" 2> "$scratch/$name-$side.err" < /dev/null &
  pids="$pids $!"
  eval "${name}_${side}=$!"
  for _ in $(seq 200); do [ -S "$scratch/$name-$side.qmp" ] && return 0; sleep 0.1; done
  fail "$name $side did not start: $(cat "$scratch/$name-$side.err")"
}

alive () { kill -0 "$1" 2> /dev/null; }

# last_round FILE: the guest's last round on that console.
last_round () { sed -n 's/^round=\([0-9]*\) .*/\1/p' "$1" | tail -1; }

# goes_on FILE: the guest there is rounding on, with no error and 42 bits.
goes_on () {
  before=$(last_round "$1")
  for _ in $(seq 100); do
    now=$(last_round "$1")
    [ -n "$now" ] && [ "$now" != "${before:-}" ] && break
    sleep 0.1
  done
  [ -n "$now" ] && [ "$now" != "${before:-}" ] || fail "$1: the guest does not go on: $(tail -3 "$1")"
  tail -1 "$1" | grep -q "errors=0 phys_bits=42$" || fail "$1: $(grep -m3 'note\|errors=[1-9]' "$1")"
  ! grep -q "bigvm-testguest: note: page" "$1" || fail "$1: $(grep -m3 note "$1")"
}

# migrate NAME URI [OPTION...]: bigvm migrate of NAME-src, stdout in
# NAME.migrate, stderr in NAME.migrate-err; its status.
migrate () {
  name=$1 uri=$2; shift 2
  "$BIGVM" migrate "$@" "$scratch/$name-src.flavor" "$uri" > "$scratch/$name.migrate" \
    2> "$scratch/$name.migrate-err"
}

# moved NAME: the source QEMU exited, the destination runs the guest on.
moved () {
  eval "src=\$${1}_src dst=\$${1}_dst"
  for _ in $(seq 50); do alive "$src" || break; sleep 0.1; done
  ! alive "$src" || fail "$1: the source QEMU still runs after the migration"
  alive "$dst" || fail "$1: the destination QEMU is gone: $(cat "$scratch/$1-dst.err")"
  goes_on "$scratch/$1-dst.out"
}

# 1. Over a unix socket, then on over TCP back: the same guest, its rounds
#    going on with every page intact and the same 42 bits.
guest_flavors plain 512M
start src plain 16
goes_on "$scratch/plain-src.out"
start dst plain 16 --incoming="unix:$scratch/plain.sock"
migrate plain "unix:$scratch/plain.sock" || fail "unix migration: $(cat "$scratch/plain.migrate-err")"
moved plain
grep -q "^migrated to unix:$scratch/plain.sock in .* (precopy), the guest stopped for [0-9]* ms" \
  "$scratch/plain.migrate" || fail "summary: $(cat "$scratch/plain.migrate")"
note "unix: $(cat "$scratch/plain.migrate")"
port=$((20000 + $$ % 20000))
# Back the other way: the destination is the source now.
mv "$scratch/plain-dst.flavor" "$scratch/back-src.flavor"
sed "s/plain-src/back-dst/" "$scratch/plain-src.flavor" > "$scratch/back-dst.flavor"
back_src=$plain_dst
cp "$scratch/plain-dst.out" "$scratch/back-src.out"
start dst back 16 --incoming="tcp:127.0.0.1:$port"
migrate back "tcp:127.0.0.1:$port" --format=json ||
  fail "tcp migration: $(cat "$scratch/back.migrate-err")"
moved back
grep -q '^{"result":"completed","mode":"precopy","total-time-ms":[0-9]*,"downtime-ms":[0-9]*,"transferred":[0-9]*}$' \
  "$scratch/back.migrate" || fail "JSON summary: $(tail -1 "$scratch/back.migrate")"
grep -q '^{"elapsed-ms":[0-9]*,"status":"completed","pass":' "$scratch/back.migrate" ||
  fail "no JSON samples: $(head -3 "$scratch/back.migrate")"
note "tcp: $(tail -1 "$scratch/back.migrate")"
kill "$back_dst"

# 2. A guest that cannot move is refused before anything moves: no QMP,
#    a device QEMU cannot migrate, a bad URI.
flavor noqmp "name = n" "ram = 512M" "vcpus = 1" > /dev/null
expect 69 "bigvm:qmp: bigvm migrate talks to the running guest over its QMP socket" \
  "$BIGVM" migrate "$scratch/noqmp.flavor" "unix:$scratch/x.sock"
expect 64 "URI ftp://x: not unix:PATH or tcp:HOST:PORT" \
  "$BIGVM" migrate "$scratch/noqmp.flavor" ftp://x
guest_flavors blocked 512M
"$BIGVM" run -q --accel=tcg "$scratch/blocked-src.flavor" -- -device nvme,serial=deadbeef \
  > /dev/null 2>&1 < /dev/null &
pids="$pids $!" blocked_src=$!
for _ in $(seq 200); do [ -S "$scratch/blocked-src.qmp" ] && break; sleep 0.1; done
expect 69 "QEMU: non-migratable device: .*nvme" \
  "$BIGVM" migrate "$scratch/blocked-src.flavor" "unix:$scratch/blocked.sock"
alive "$blocked_src" || fail "a refused migration stopped the guest"
kill "$blocked_src"

# 3. A destination that is not the same guest is refused by run --incoming
#    before QEMU starts, naming the difference; the source runs on.
guest_flavors diff 512M
start src diff 16
qemu=$(stand_in)
for change in "ram = 1G|RAM: recorded 512 MiB, now 1 GiB" \
              "hw:maxphysaddr_bits = 43|phys-bits: recorded 42, now 43" \
              "bigvm:cpu_flags = -avx2|CPU feature avx2: recorded, missing now" \
              "hw_machine_type = pc-q35-7.1|machine type: recorded pc-q35-7.2, now pc-q35-7.1"; do
  line=${change%%|*} want=${change#*|}
  sed "s/^${line%% =*} = .*//" "$scratch/diff-dst.flavor" > "$scratch/diff-changed.flavor"
  echo "$line" >> "$scratch/diff-changed.flavor"
  expect 69 "$want" "$BIGVM" run --qemu="$qemu" --accel=tcg --sparse-ram \
    --incoming="unix:$scratch/diff.sock" "$scratch/diff-changed.flavor"
  grep -q "this host cannot take it by migration" "$scratch/err" || fail "$(cat "$scratch/err")"
done
[ "$(launches)" = 0 ] || fail "a refused destination launched QEMU: $(cat "$scratch/launches")"
goes_on "$scratch/diff-src.out"
note "run --incoming refused a destination with other RAM, bits, CPU flags or machine type"

# 4. The destination dies during precopy: bigvm migrate fails, naming
#    QEMU's reason; the source runs on.  Meanwhile a second migration
#    from this host waits for the first, saying so.
guest_flavors other 512M
start src other 16
start dst diff 16 --incoming="unix:$scratch/diff.sock"
migrate diff "unix:$scratch/diff.sock" --bandwidth=4M &
migrating=$!
sleep 1
"$BIGVM" migrate "$scratch/other-src.flavor" "unix:$scratch/nowhere.sock" 2> "$scratch/second.err" &
second=$!
sleep 1
grep -q "another migration from this host is under way, bigvm PID [0-9]*; waiting for it to end" \
  "$scratch/second.err" || fail "a second migration did not wait: $(cat "$scratch/second.err")"
kill -9 "$diff_dst"
wait "$migrating"
status=$?
[ "$status" = 69 ] || fail "migrate exited $status after the destination died: $(cat "$scratch/diff.migrate-err")"
grep -q "the guest runs on here" "$scratch/diff.migrate-err" || fail "$(cat "$scratch/diff.migrate-err")"
alive "$diff_src" || fail "the source died with its destination"
goes_on "$scratch/diff-src.out"
note "destination killed: $(tail -1 "$scratch/diff.migrate-err")"
wait "$second"
grep -q "Failed to connect to '$scratch/nowhere.sock'" "$scratch/second.err" ||
  fail "the second migration, once the first ended: $(cat "$scratch/second.err")"
alive "$other_src" || fail "a failed migration stopped its guest"
kill "$other_src"

# 5. TLS, with certificates made here: a client and a server of one CA.
tls=$scratch/tls
mkdir -p "$tls/ca" "$tls/pki"
(
  cd "$tls/ca" || exit 1
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -keyout ca-key.pem -out ca-cert.pem \
    -subj "/CN=bigvm test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
  for end in server client; do
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$end-key.pem" -out "$end.csr" \
      -subj "/CN=$end.example"
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$end.ext"
    openssl x509 -req -in "$end.csr" -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -sha256 -extfile "$end.ext" -out "$end-cert.pem"
  done
  cp ca-cert.pem server-*.pem client-*.pem "$tls/pki/"
) > "$scratch/openssl.log" 2>&1 || fail "openssl: $(cat "$scratch/openssl.log")"
port=$((port + 1))
start dst diff 16 --incoming="tcp:127.0.0.1:$port" --tls-dir="$tls/pki"
migrate diff "tcp:127.0.0.1:$port" --tls-dir="$tls/pki" --tls-hostname=wrong.example
[ $? = 69 ] || fail "a wrong TLS hostname: $(cat "$scratch/diff.migrate-err")"
grep -q "Certificate does not match the hostname wrong.example" "$scratch/diff.migrate-err" ||
  fail "wrong hostname: $(cat "$scratch/diff.migrate-err")"
goes_on "$scratch/diff-src.out"
note "TLS, wrong hostname: $(grep -o 'Certificate does not match[^;]*' "$scratch/diff.migrate-err")"
for _ in $(seq 50); do alive "$diff_dst" || break; sleep 0.1; done
alive "$diff_dst" && kill "$diff_dst"
port=$((port + 1))
start dst diff 16 --incoming="tcp:127.0.0.1:$port" --tls-dir="$tls/pki"
migrate diff "tcp:127.0.0.1:$port" --tls-dir="$tls/pki" ||
  fail "TLS migration: $(cat "$scratch/diff.migrate-err")"
moved diff
note "TLS: $(cat "$scratch/diff.migrate")"
kill "$diff_dst"

# 6. A guest that dirties memory faster than the bandwidth cap never
#    converges: bigvm switches to postcopy, and it completes.
guest_flavors busy 1G
start src busy 256
start dst busy 256 --incoming="unix:$scratch/busy.sock"
migrate busy "unix:$scratch/busy.sock" --bandwidth=64M --timeout=300 ||
  fail "postcopy migration: $(cat "$scratch/busy.migrate-err")"
grep -q "(postcopy)" "$scratch/busy.migrate" || fail "no postcopy: $(cat "$scratch/busy.migrate")"
moved busy
note "postcopy: $(cat "$scratch/busy.migrate")"
kill "$busy_dst"

# 7. A big sparse guest: almost all of it zero pages.  Where reading
#    untouched memory allocates it (some nested hosts), both QEMUs would
#    hold all of it: the guest is sized to what this host has.
if "$READS_ALLOCATE" > "$scratch/reads"; then
  size=4G
  note "64 GiB sparse migration skipped: $(cat "$scratch/reads"); 4 GiB instead"
else
  size=64G
fi
guest_flavors sparse "$size"
start src sparse 16
start dst sparse 16 --incoming="unix:$scratch/sparse.sock"
migrate sparse "unix:$scratch/sparse.sock" --timeout=600 ||
  fail "$size sparse migration: $(cat "$scratch/sparse.migrate-err")"
moved sparse
note "$size sparse: $(cat "$scratch/sparse.migrate")"
kill "$sparse_dst"

# 8. A UEFI guest: the destination needs the guest's own variable file,
#    copied from the source, and QEMU writes the migrated variables into it.
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "ovmf is not installed"
for side in src dst; do
  flavor "uefi-$side" "name = uefi" "ram = 512M" "vcpus = 1" "hw_firmware_type = uefi" \
    "bigvm:nvram = $scratch/uefi-$side.fd" "bigvm:qmp = $scratch/uefi-$side.qmp" > /dev/null
done
"$BIGVM" run -q --accel=tcg "$scratch/uefi-src.flavor" > "$scratch/uefi-src.out" 2>&1 < /dev/null &
pids="$pids $!" uefi_src=$!
for _ in $(seq 300); do grep -q "Shell>" "$scratch/uefi-src.out" 2> /dev/null && break; sleep 0.1; done
qemu=$(stand_in)
expect 69 "uefi-dst.fd does not exist: a guest arriving by migration needs its UEFI variable file copied from the source" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg --incoming="unix:$scratch/uefi.sock" "$scratch/uefi-dst.flavor"
[ ! -e "$scratch/uefi-dst.fd" ] || fail "run --incoming made a variable file"
cp "$scratch/uefi-src.fd" "$scratch/uefi-dst.fd"
"$BIGVM" run -q --accel=tcg --incoming="unix:$scratch/uefi.sock" "$scratch/uefi-dst.flavor" \
  > "$scratch/uefi-dst.out" 2>&1 < /dev/null &
pids="$pids $!" uefi_dst=$!
migrate uefi "unix:$scratch/uefi.sock" || fail "UEFI migration: $(cat "$scratch/uefi.migrate-err")"
for _ in $(seq 50); do alive "$uefi_src" || break; sleep 0.1; done
! alive "$uefi_src" && alive "$uefi_dst" || fail "the UEFI guest did not move"
sleep 1
cmp -s "$scratch/uefi-src.fd" "$scratch/uefi-dst.fd" ||
  fail "the destination's variables differ from the source's"
note "UEFI: $(cat "$scratch/uefi.migrate"); variables the same on both sides"
kill "$uefi_dst"
