# Shared by the end-to-end tests: a scratch directory, checks, and a
# stand-in QEMU that counts launches.  Sourced; automake's test driver
# reads exit status 0 as pass, 77 as skip, anything else as failure.
# SPDX-License-Identifier: GPL-2.0-or-later
set -u

: "${BIGVM:?run through make check}" "${TESTGUEST:?run through make check}"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bigvm-e2e.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# Nothing from the caller's home: bigvm writes NVRAM under XDG_STATE_HOME.
export HOME="$scratch/home" XDG_STATE_HOME="$scratch/state" XDG_CONFIG_HOME="$scratch/config" \
  XDG_CACHE_HOME="$scratch/cache"
unset BIGVM_QEMU BIGVM_PROBE_TIMEOUT

fail () { echo "FAIL: $*" >&2; exit 1; }
skip () { echo "SKIP: $*"; exit 77; }
note () { echo "# $*"; }

real_qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 is not installed"

# flavor NAME LINE... : writes $scratch/NAME.flavor, one line per argument.
flavor () {
  name=$1; shift
  printf '%s\n' "$@" > "$scratch/$name.flavor"
  echo "$scratch/$name.flavor"
}

# stand_in [VERSION]: a QEMU that answers --version (as VERSION, or as the
# real QEMU), lets the real QEMU answer bigvm's QMP probes (-qmp stdio:
# the capabilities, and the guest CPU), and records every other start as
# a launch, starting nothing.
stand_in () {
  : > "$scratch/launches"
  cat > "$scratch/qemu" <<SCRIPT
#!/bin/sh
if [ "\$1" = --version ]; then
  if [ -n "${1:-}" ]; then echo "QEMU emulator version ${1:-}"; exit 0; fi
  exec "$real_qemu" --version
fi
case " \$* " in
  *" -qmp stdio "*) exec "$real_qemu" "\$@" ;;
esac
echo "launch: \$*" >> "$scratch/launches"
exit 99
SCRIPT
  chmod +x "$scratch/qemu"
  echo "$scratch/qemu"
}

launches () { wc -l < "$scratch/launches"; }

# expect STATUS PATTERN CMD...: CMD exits with STATUS and its stderr has PATTERN.
expect () {
  want=$1 pattern=$2; shift 2
  "$@" > "$scratch/out" 2> "$scratch/err"
  got=$?
  [ "$got" = "$want" ] || { cat "$scratch/err" >&2; fail "$* exited $got, want $want"; }
  grep -q -- "$pattern" "$scratch/err" || { cat "$scratch/err" >&2; fail "$*: stderr lacks '$pattern'"; }
}

# qemu_starts ARG...: the real QEMU starts what `bigvm show ARG...` prints:
# run as printed but stopped (-S) and daemonized, whose parent exits 0
# only once QEMU is fully set up (os_setup_post()); the serial console on
# null, since a daemon has no stdio.  QEMU's stderr is left in
# $scratch/qemu.err; the daemon is killed.
qemu_starts () {
  line=$("$BIGVM" show -q "$@") || { echo "bigvm show $* refused it" >&2; return 1; }
  eval "set -- $line"
  for word; do
    shift
    [ "$word" = mon:stdio ] && word=null
    set -- "$@" "$word"
  done
  rm -f "$scratch/qemu.pid"
  "$@" -S -daemonize -pidfile "$scratch/qemu.pid" 2> "$scratch/qemu.err" || return 1
  kill "$(cat "$scratch/qemu.pid")"
}

# qemu_refuses PATTERN ARG...: the real QEMU refuses the command line
# ARG... (as qemu_starts runs it), saying PATTERN.
qemu_refuses () {
  pattern=$1; shift
  rm -f "$scratch/qemu.pid"
  if "$@" -S -daemonize -pidfile "$scratch/qemu.pid" 2> "$scratch/qemu.err"; then
    kill "$(cat "$scratch/qemu.pid")"
    echo "QEMU started $*" >&2
    return 1
  fi
  grep -q -- "$pattern" "$scratch/qemu.err" || { cat "$scratch/qemu.err" >&2; return 1; }
}
