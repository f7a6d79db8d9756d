#!/bin/sh
# The guest's ABI record: written once by its first run, never replaced;
# a later run of a changed guest refused with each difference named and
# nothing launched; abi --update accepts a change; the machine type stays
# the recorded one; a warm run starts no QEMU but the guest; a record
# checked against other hosts' CPUID dumps.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

# A QEMU that is the real one for bigvm's probes (-qmp stdio) and logs
# every start; the guest's own start is only logged.
cat > "$scratch/qemu" <<SCRIPT
#!/bin/sh
echo "\$*" >> "$scratch/starts"
case " \$* " in
  *" --version "*|*" -qmp stdio "*) exec "$real_qemu" "\$@" ;;
esac
exit 0
SCRIPT
chmod +x "$scratch/qemu"
: > "$scratch/starts"
starts () { wc -l < "$scratch/starts"; }
guests () { grep -c -- "-name guest=" "$scratch/starts"; }
run () { "$BIGVM" run --qemu="$scratch/qemu" --accel=tcg "$@"; }

base="name = rec|ram = 1G|vcpus = 2|hw:maxphysaddr_mode = emulate|hw:maxphysaddr_bits = 42"
# write_flavor EXTRA...: the guest's flavor, the base plus EXTRA lines (a
# line naming a base key replaces it).
write_flavor () {
  (
    IFS='|'
    for line in $base; do
      key=${line%% =*}
      replaced=
      for extra; do [ "${extra%% =*}" = "$key" ] && replaced=1; done
      [ -n "$replaced" ] || echo "$line"
    done
    for extra; do echo "$extra"; done
  ) > "$scratch/rec.flavor"
}
f=$scratch/rec.flavor
record=$XDG_STATE_HOME/bigvm/rec.abi

# First run: the record is written, 0600, before QEMU starts.
write_flavor
run "$f" 2> "$scratch/err" || fail "first run: $(cat "$scratch/err")"
[ -f "$record" ] || fail "the first run wrote no record"
[ "$(stat -c %a "$record")" = 600 ] || fail "the record is mode $(stat -c %a "$record")"
grep -q '"format" : "bigvm-guest-abi/1"' "$record" || fail "no format tag: $(head -3 "$record")"
grep -q '"machine" : "pc-q35-7.2"' "$record" || fail "no resolved machine type in the record"
grep -q '"phys-bits" : 42' "$record" || fail "no phys-bits in the record"
cp "$record" "$scratch/first.abi"
cold=$(starts)
[ "$(guests)" = 1 ] || fail "the first run launched $(guests) guests"

# Second run: the same guest; the record untouched; no QEMU but the guest.
run "$f" 2> "$scratch/err" || fail "second run: $(cat "$scratch/err")"
cmp -s "$record" "$scratch/first.abi" || fail "the second run rewrote the record"
[ "$(starts)" = $((cold + 1)) ] ||
  fail "a warm run started $(($(starts) - cold)) QEMUs, want 1 (the guest): $(tail -3 "$scratch/starts")"
note "cold first run: $cold QEMU starts (probes and the guest); warm run: 1 (the guest)"

# Each change is refused, exit 69, the difference named, nothing launched,
# the record untouched.
refused () {
  pattern=$1; shift
  write_flavor "$@"
  before=$(guests)
  expect 69 "$pattern" run "$f"
  grep -q "bigvm abi --update $f accepts the change" "$scratch/err" ||
    fail "$*: the refusal does not say how to accept it: $(cat "$scratch/err")"
  [ "$(guests)" = "$before" ] || fail "$*: a refused guest was launched"
  cmp -s "$record" "$scratch/first.abi" || fail "$*: the refusal changed the record"
  note "refused: $(grep -- "$pattern" "$scratch/err" | head -1)"
}
refused "rec.flavor:[0-9]*: bigvm:cpu_flags: CPU feature avx2: recorded, missing now" \
  "bigvm:cpu_flags = -avx2"
refused "rec.flavor:[0-9]*: hw:maxphysaddr_bits: phys-bits: recorded 42, now 43" \
  "hw:maxphysaddr_bits = 43"
refused "rec.flavor:[0-9]*: ram: RAM: recorded 1 GiB, now 2 GiB" "ram = 2G"
refused "rec.flavor:[0-9]*: hw:numa_nodes: NUMA nodes: recorded 0, now 2" "hw:numa_nodes = 2"
refused "rec.flavor:[0-9]*: hw_machine_type: machine type: recorded pc-q35-7.2, now pc-q35-7.1" \
  "hw_machine_type = pc-q35-7.1"
refused "hw:cpu_sockets: sockets: recorded 1, now 2" "hw:cpu_sockets = 2"

# check says the same; show and explain warn and go on.
write_flavor "ram = 2G"
"$BIGVM" check --qemu="$scratch/qemu" --accel=tcg "$f" > "$scratch/out" 2>&1
[ $? = 69 ] || fail "check of a changed guest: $(cat "$scratch/out")"
grep -q "^refused  .*rec.flavor:[0-9]*: ram: RAM: recorded 1 GiB, now 2 GiB" "$scratch/out" ||
  fail "check: $(cat "$scratch/out")"
expect 0 "warning: .*ram: RAM: recorded 1 GiB, now 2 GiB" "$BIGVM" show --qemu="$scratch/qemu" --accel=tcg "$f"

# abi --update accepts it: the differences printed, the record rewritten.
"$BIGVM" abi --update --qemu="$scratch/qemu" --accel=tcg "$f" > "$scratch/out" ||
  fail "abi --update: $(cat "$scratch/out")"
grep -q "^changed  RAM: recorded 1 GiB, now 2 GiB" "$scratch/out" || fail "update: $(cat "$scratch/out")"
grep -q "rewritten" "$scratch/out" || fail "update did not rewrite: $(cat "$scratch/out")"
grep -q '"ram" : 2147483648' "$record" || fail "the record still has the old RAM"
run "$f" 2> "$scratch/err" || fail "run after update: $(cat "$scratch/err")"
cp "$record" "$scratch/updated.abi"

# The machine type stays the recorded one while the flavor says q35; one
# this QEMU does not have is refused, naming both.
sed 's/"machine" : "pc-q35-7.2"/"machine" : "pc-q35-7.1"/' "$scratch/updated.abi" > "$record"
"$BIGVM" show -q --qemu="$scratch/qemu" --accel=tcg "$f" | grep -q -- "-machine pc-q35-7.1," ||
  fail "q35 did not stay pc-q35-7.1"
sed 's/"machine" : "pc-q35-7.2"/"machine" : "pc-q35-6.99"/' "$scratch/updated.abi" > "$record"
expect 69 "hw_machine_type: q35 was pc-q35-6.99 at the guest's first boot ($record), which $scratch/qemu no longer has; bigvm abi --update $f moves the guest to pc-q35-7.2" run "$f"
cp "$scratch/updated.abi" "$record"

# A feature gained is a warning: the guest runs, but could not move back.
write_flavor "ram = 2G" "bigvm:cpu_flags = -avx2"
"$BIGVM" abi --update --qemu="$scratch/qemu" --accel=tcg "$f" > /dev/null || fail "update to -avx2"
write_flavor "ram = 2G"
expect 0 "warning: .*CPU feature avx2: not recorded, new now: the guest would gain it" run "$f"

# abi --diff: 0 for the same guest, 69 with each difference.
write_flavor "ram = 2G" "bigvm:cpu_flags = -avx2"
"$BIGVM" abi --diff="$record" --qemu="$scratch/qemu" --accel=tcg "$f" > "$scratch/out" ||
  fail "abi --diff of the same guest: $(cat "$scratch/out")"
"$BIGVM" abi --diff="$scratch/first.abi" --qemu="$scratch/qemu" --accel=tcg "$f" > "$scratch/out"
[ $? = 69 ] || fail "abi --diff of another guest: $(cat "$scratch/out")"
grep -q "^changed  RAM: recorded 1 GiB, now 2 GiB" "$scratch/out" || fail "diff: $(cat "$scratch/out")"
grep -q "^changed  CPU feature avx2: recorded, missing now" "$scratch/out" || fail "diff: $(cat "$scratch/out")"

# A record that is not one is refused, naming it and what is wrong.
echo '{"format": "bigvm-guest-abi/1", "guest": {"machine": 7}}' > "$record"
expect 65 "$record: not a bigvm-guest-abi/1 record: guest.machine is not a string" run "$f"
[ "$(cat "$record")" = '{"format": "bigvm-guest-abi/1", "guest": {"machine": 7}}' ] ||
  fail "a broken record was replaced"

# bigvm:abi names the record.
write_flavor "bigvm:abi = other.abi"
run "$f" 2> "$scratch/err" || fail "run with bigvm:abi: $(cat "$scratch/err")"
[ -f "$scratch/other.abi" ] || fail "bigvm:abi was not used"

# Other hosts, from their CPUID dumps: a record of an AMD model under KVM
# is refused on an Intel host, proven by the dump; on an AMD host it may
# fit, which only that host's KVM can confirm.
dumps=$E2E_DIR/../../../shared/cpuid
[ -d "$dumps" ] || { note "SKIP the fleet checks: $dumps is absent"; exit 0; }
# The record of an EPYC guest: under TCG here, told it was made under KVM.
kvm_record=$scratch/epyc-kvm.abi
write_flavor "bigvm:abi = $kvm_record" "bigvm:cpu_model = EPYC" "bigvm:cpu_check = warn"
"$BIGVM" abi -q --format=json --qemu="$scratch/qemu" --accel=tcg "$f" |
  sed 's/"accel" : "tcg"/"accel" : "kvm"/' > "$scratch/epyc.tmp" || fail "abi of EPYC"
mv "$scratch/epyc.tmp" "$kvm_record"
"$BIGVM" abi --qemu="$scratch/qemu" --accel=kvm --cpuid-dump="$dumps/intel-core-i7-5820k-cpu.test" \
  "$f" > "$scratch/out" 2> "$scratch/err"
[ $? = 69 ] || fail "an AMD record on an Intel host: $(cat "$scratch/out" "$scratch/err")"
grep -q "intel-core-i7-5820k-cpu.test  refused: .*vendor: recorded AuthenticAMD, the host is GenuineIntel" \
  "$scratch/out" || fail "Intel dump: $(cat "$scratch/out")"
"$BIGVM" abi --qemu="$scratch/qemu" --accel=kvm --cpuid-dump="$dumps/amd-ryzen-7-2700x-eight-core-processor.test" \
  "$f" > "$scratch/out" 2> "$scratch/err" || fail "AMD dump: $(cat "$scratch/out" "$scratch/err")"
grep -q "may fit: KVM there decides the guest CPU: confirm with bigvm check --preflight on that host" \
  "$scratch/out" || fail "AMD dump: $(cat "$scratch/out")"
"$BIGVM" abi --qemu="$scratch/qemu" --accel=kvm --cpuid-dump="$dumps" --format=json "$f" \
  > "$scratch/fleet.json" 2> "$scratch/err" || fail "fleet: $(cat "$scratch/err")"
[ "$(grep -o '"host":' "$scratch/fleet.json" | wc -l)" = "$(ls "$dumps" | wc -l)" ] ||
  fail "the fleet view left hosts out: $(cat "$scratch/fleet.json")"
note "fleet: $(grep -o '"verdict":"[a-z ]*"' "$scratch/fleet.json" | sort | uniq -c | tr -s ' \n' ' ')"
