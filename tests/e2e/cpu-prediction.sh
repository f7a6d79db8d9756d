#!/bin/sh
# The guest CPU bigvm predicts before the launch (a paused QEMU with the
# guest's machine, -cpu and -smp, lib/cpu-probe.c) is the CPU the real
# guest gets: for every CPU model QEMU lists under TCG, plain and with
# flags, check --preflight starts the real guest, reads its CPU object and
# exits 70 when the prediction was wrong.  And the two directions of the
# launch promise for bigvm:cpu_check = enforce: where bigvm predicts no
# loss QEMU starts the guest with enforce; where it predicts a loss QEMU
# refuses it, and bigvm refuses first without launching it.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

models=$("$real_qemu" -cpu help | awk '$1 == "x86" && $2 != "host" { print $2 }')
[ "$(echo "$models" | wc -l)" -ge 100 ] || fail "QEMU lists only $(echo "$models" | wc -l) CPU models"
# Flags that TCG gives, flags it lacks, a feature word and an MSR word,
# one whose dependency is missing, and a removal.
flag_sets="none +avx512f +vmx +x2apic,+invtsc +topoext +arch-capabilities,+rdctl-no +vmx-ept,-sse4.2"

# One case: MODEL FLAGS -> "MODEL FLAGS ok|miss|refused LOST".
cat > "$scratch/case" <<SCRIPT
#!/bin/sh
model=\$1 flags=\$2 dir="$scratch/cases/\$1\$2"
mkdir -p "\$dir"
{
  echo "name = p"; echo "ram = 1G"; echo "vcpus = 2"
  echo "bigvm:cpu_model = \$model"; echo "bigvm:cpu_check = warn"
  [ "\$flags" = none ] || echo "bigvm:cpu_flags = \$flags"
} > "\$dir/p.flavor"
XDG_STATE_HOME="\$dir" "$BIGVM" check --preflight --accel=tcg "\$dir/p.flavor" > "\$dir/out" 2>&1
status=\$?
lost=\$(sed -n 's/^ok       preflight: .*; it lost \(.*\), as predicted\$/\1/p' "\$dir/out" | tr -d ' ')
case \$status in
  0) [ -n "\$lost" ] && echo "\$model \$flags ok \$lost" || echo "\$model \$flags nopreflight -" ;;
  70) echo "\$model \$flags miss \$(grep -o 'it predicted.*' "\$dir/out")" ;;
  *) echo "\$model \$flags refused \$(grep '^refused' "\$dir/out" | head -1)" ;;
esac
SCRIPT
chmod +x "$scratch/case"

for model in $models; do
  for flags in $flag_sets; do echo "$model $flags"; done
done | xargs -P 2 -L 1 "$scratch/case" > "$scratch/results"

total=$(wc -l < "$scratch/results")
ok=$(grep -c ' ok ' "$scratch/results")
lossy=$(grep ' ok ' "$scratch/results" | grep -vc ' ok none$')
note "$total models x flags: $ok predicted exactly ($lossy of them lose features), $(grep -c ' miss ' "$scratch/results") missed, $(grep -c ' refused ' "$scratch/results") refused by bigvm"
grep ' miss ' "$scratch/results" && fail "the prediction missed the real CPU (above)"
grep ' nopreflight ' "$scratch/results" && fail "check --preflight said nothing of the CPU (above)"
# bigvm refuses only what QEMU refuses: 32-bit models cannot take +vmx's
# long-mode VMX controls, and so on; each must be QEMU's own refusal too.
grep ' refused ' "$scratch/results" | while read -r model flags _; do
  line=$("$BIGVM" show -q --accel=tcg "$scratch/cases/$model$flags/p.flavor" 2>&1) &&
    fail "$model $flags: check refused what show accepts"
  case $line in
    *"QEMU cannot build the guest CPU"*) ;;
    *) fail "$model $flags: refused by the planner, not QEMU: $line" ;;
  esac
done
[ "$ok" -ge $((total * 9 / 10)) ] || fail "only $ok of $total cases were predicted"

# enforce, both ways.  No loss predicted: QEMU starts the guest with
# enforce.  A loss predicted: QEMU itself refuses enforce, and bigvm
# refuses before launching anything.
f=$(flavor none "name = n" "ram = 1G" "vcpus = 2" "bigvm:cpu_model = Westmere")
grep -q 'Westmere none ok none' "$scratch/results" || fail "Westmere was expected to lose nothing"
qemu_starts --accel=tcg "$f" || fail "QEMU refused Westmere,enforce: $(cat "$scratch/qemu.err")"
g=$(flavor lossy "name = l" "ram = 1G" "vcpus = 2" "bigvm:cpu_model = Skylake-Server-v4")
w=$(flavor lossy-warn "name = l" "ram = 1G" "vcpus = 2" "bigvm:cpu_model = Skylake-Server-v4" \
  "bigvm:cpu_check = warn")
line=$("$BIGVM" show -q --accel=tcg "$w" | sed 's/-cpu Skylake-Server-v4 /-cpu Skylake-Server-v4,enforce /')
eval "set -- $line"
for word; do shift; [ "$word" = mon:stdio ] && word=null; set -- "$@" "$word"; done
qemu_refuses "TCG doesn't support requested features" "$@" ||
  fail "QEMU did not refuse Skylake-Server-v4,enforce under TCG"
qemu=$(stand_in)
expect 69 "bigvm:cpu_model: Skylake-Server-v4 under TCG would lose 13 features: pcid, x2apic" \
  "$BIGVM" run --qemu="$qemu" --accel=tcg "$g"
[ "$(launches)" = 0 ] || fail "an enforce refusal launched QEMU: $(cat "$scratch/launches")"
note "enforce: QEMU starts Westmere and refuses Skylake-Server-v4; bigvm refused it first, launching nothing"

# Under KVM, where this host has it, the prediction holds too: the host's
# KVM decides which features a model keeps.  -arch-capabilities because a
# nested KVM may abort -cpu host on MSR 0x10a (see check-host.sh).
if "$BIGVM" host --format=json | grep -q '"state":"usable"'; then
  for model in host Westmere EPYC Skylake-Server-v4; do
    k=$(flavor "kvm-$model" "name = k" "ram = 1G" "vcpus = 2" "bigvm:cpu_model = $model" \
      "bigvm:cpu_check = warn" "bigvm:cpu_flags = -arch-capabilities")
    "$BIGVM" check --preflight --accel=kvm "$k" > "$scratch/check" 2>&1
    case $? in
      0) grep -q "^ok       preflight: .*as predicted" "$scratch/check" ||
           { cat "$scratch/check" >&2; fail "KVM $model: preflight said nothing of the CPU"; }
         note "KVM $model: $(grep '^ok       preflight' "$scratch/check")" ;;
      69) grep -q "QEMU cannot build the guest CPU" "$scratch/check" ||
            { cat "$scratch/check" >&2; fail "KVM $model: refused for another reason"; }
          note "KVM $model: this host's KVM cannot build it; bigvm refused it" ;;
      *) cat "$scratch/check" >&2; fail "KVM $model: the prediction missed the real CPU" ;;
    esac
  done
else
  note "no usable KVM here: the KVM prediction is skipped"
fi
