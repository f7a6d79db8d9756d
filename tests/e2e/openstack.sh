#!/bin/sh
# bigvm show --format=openstack and bigvm import, as commands: the export
# is shell that runs `openstack flavor create` with each word as it
# should be; import reads a file or standard input and writes standard
# output or a new file, refusing what a flavor file would refuse.
# SPDX-License-Identifier: GPL-2.0-or-later
. "$E2E_DIR/lib.sh"

data=$E2E_DIR/../data/openstack

# The export is shell: run it with an `openstack` that records its words.
f=$(flavor odd "name = db 1's \"big\"" "ram = 1T" "vcpus = 8" "hw:maxphysaddr_mode = emulate" \
  "hw:maxphysaddr_bits = 42" "hw_firmware_type = uefi" "bigvm:qmp = /run/q.sock")
"$BIGVM" show -q --format=openstack --accel=tcg --sparse-ram "$f" > "$scratch/export" ||
  fail "show --format=openstack: $(cat "$scratch/export")"
openstack () { for word; do echo "[$word]"; done > "$scratch/words"; }
eval "$(head -1 "$scratch/export")"
[ "$(tr -d '\n' < "$scratch/words")" = "[flavor][create][--ram][1048576][--vcpus][8][--disk][0][--property][hw:maxphysaddr_mode=emulate][--property][hw:maxphysaddr_bits=42][db 1's \"big\"]" ] ||
  fail "the words openstack got: $(cat "$scratch/words")"
grep -q "^# openstack image set --property hw_firmware_type=uefi IMAGE$" "$scratch/export" ||
  fail "image properties: $(cat "$scratch/export")"
grep -q "^#   bigvm:qmp = /run/q.sock: Nova drives QEMU through libvirt$" "$scratch/export" ||
  fail "bigvm keys: $(cat "$scratch/export")"

# import: a file, or standard input; -o writes a new file only.
"$BIGVM" import --image="$data/image.json" "$data/flavor-osc6.json" > "$scratch/a.flavor" ||
  fail "import: $(cat "$scratch/a.flavor")"
"$BIGVM" import --image="$data/image.json" - < "$data/flavor-osc6.json" > "$scratch/b.flavor" ||
  fail "import from stdin"
cmp -s "$scratch/a.flavor" "$scratch/b.flavor" || fail "stdin and file differ"
# What it imported is a flavor bigvm plans.
"$BIGVM" show -q --accel=tcg "$scratch/a.flavor" > "$scratch/show" 2>&1 ||
  fail "the imported flavor: $(cat "$scratch/show")"
grep -q -- "-machine pc-q35-7.2,smm=on" "$scratch/show" || fail "$(cat "$scratch/show")"
"$BIGVM" import -o "$scratch/c.flavor" "$data/flavor-osc5.json" || fail "import -o"
cmp -s "$scratch/c.flavor" "$scratch/a.flavor" && fail "osc5 and osc6 fixtures import the same"
expect 69 "c.flavor exists; --force replaces it" "$BIGVM" import -o "$scratch/c.flavor" "$data/flavor-osc6.json"
grep -q "^# swap = 4096" "$scratch/c.flavor" || fail "an existing file was replaced"
"$BIGVM" import --force -o "$scratch/c.flavor" "$data/flavor-osc6.json" || fail "import --force"
grep -q "^# disk = 80" "$scratch/c.flavor" || fail "--force did not replace"
expect 64 "--force goes with -o" "$BIGVM" import --force "$data/flavor-osc6.json"
expect 66 "$scratch/none.json" "$BIGVM" import "$scratch/none.json"
echo '{"name": "x", "ram": 1024, "vcpus": 1, "properties": {"hw:numa_nodes": "200"}}' > "$scratch/bad.json"
expect 65 "bad.json: properties.hw:numa_nodes: " "$BIGVM" import "$scratch/bad.json"
[ "$(wc -l < "$scratch/err")" = 1 ] || fail "more than one line: $(cat "$scratch/err")"
note "import: $(grep -c . "$scratch/a.flavor") lines from OSC 6 JSON and its image"
