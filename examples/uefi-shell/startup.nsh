# Run by OVMF's UEFI shell when it finds no boot loader: bigvm's quick
# start gives QEMU this directory as a read-only FAT drive.
@echo -off
echo "bigvm: UEFI shell in a 1 TiB guest; its memory map:"
memmap
echo "bigvm: RAM above 4 GiB is the Available range from 0000010000000000 (1 TiB)"
echo "bigvm: powering off"
reset -s
