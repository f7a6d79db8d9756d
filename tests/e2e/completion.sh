#!/bin/sh
# The bash completion, in a real bash: commands, options, --format=,
# --accel= and --postcopy= values, flavor files and JSON files, flavor
# keys.  $COMPLETION is the built file, or under make installcheck the
# installed one.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

command -v bash > /dev/null || skip "bash is not installed"
[ -f "$COMPLETION" ] || fail "no completion file at $COMPLETION"

# completions LINE: what bash offers at the end of LINE, one per line, as
# readline would call the function complete -p registered for bigvm.
completions () {
  bash --norc --noprofile -c '
    . "$1" || exit 1
    spec=$(complete -p bigvm) || exit 1
    case $spec in *"-F _bigvm bigvm") ;; *) echo "registered as: $spec" >&2; exit 1 ;; esac
    COMP_LINE=$2 COMP_POINT=${#2}
    read -ra COMP_WORDS <<< "$COMP_LINE"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _bigvm 2> /dev/null
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$COMPLETION" "$1"
}

# offers LINE WANT...: bash offers exactly WANT at the end of LINE.
offers () {
  line=$1; shift
  got=$(completions "$line" | tr '\n' ' ')
  want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want" ] || fail "'$line': offered '$got', want '$want'"
}

offers "bigvm " abi check explain host import migrate run show --help --version
offers "bigvm sh" show
offers "bigvm m" migrate
offers "bigvm show --for" --format=
offers "bigvm show --format=" shell json openstack libvirt
offers "bigvm show --format=j" json
offers "bigvm explain --format=" text json
offers "bigvm run --accel=t" tcg
offers "bigvm migrate --postcopy=" auto never
offers "bigvm run --inc" --incoming=
offers "bigvm migrate --tls-h" --tls-hostname=
offers "bigvm import --im" --image=
offers "bigvm show hw:maxphysaddr_" maxphysaddr_mode maxphysaddr_bits
offers "bigvm show bigvm:cpu_c" cpu_check
offers "bigvm show bigvm:numa_h" numa_host_nodes.0

mkdir -p "$scratch/files/sub"
: > "$scratch/files/db1.flavor"
: > "$scratch/files/notes.txt"
: > "$scratch/files/nova.json"
offers "bigvm run $scratch/files/" "$scratch/files/db1.flavor" "$scratch/files/sub"
offers "bigvm import $scratch/files/" "$scratch/files/nova.json" "$scratch/files/sub"
offers "bigvm migrate --tls-dir=$scratch/files/s" "$scratch/files/sub"
note "completion: $COMPLETION"
