/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "layout.h"

#include "util.h"

#include <string.h>

/* QEMU 7.2's constants (hw/i386/pc.c, hw/i386/x86.c, hw/pci-host/q35.c,
 * hw/pci-host/i440fx.c). */
#define ABOVE_4G_START (G_GUINT64_CONSTANT (4) * BIGVM_GiB)
#define AMD_HT_START G_GUINT64_CONSTANT (0xfd00000000)
#define AMD_ABOVE_1TB_START G_GUINT64_CONSTANT (0x10000000000)
#define Q35_PCI_HOLE64_SIZE (G_GUINT64_CONSTANT (1) << 35)
#define I440FX_PCI_HOLE64_SIZE (G_GUINT64_CONSTANT (1) << 31)

#define MACHINE_VERSION(major, minor) ((major) * 100u + (minor))

static guint64
round_up (guint64 value, guint64 align)
{
  return (value + align - 1) / align * align;
}

static gboolean
parse_version (const char *text, guint *ret_major, guint *ret_minor)
{
  g_auto (GStrv) parts = g_strsplit (text, ".", -1);
  guint n = g_strv_length (parts);
  guint64 value[3] = { 0, 0, 0 };

  if (n < 2 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!bigvm_parse_uint (parts[i], 0, 99, &value[i], NULL))
      return FALSE;
  *ret_major = value[0];
  *ret_minor = value[1];
  return TRUE;
}

gboolean
bigvm_machine_parse (const char *name, BigvmMachine *ret_machine)
{
  BigvmMachine machine;

  if (g_str_has_prefix (name, "pc-q35-"))
    {
      machine.family = BIGVM_MACHINE_Q35;
      name += strlen ("pc-q35-");
    }
  else if (g_str_has_prefix (name, "pc-i440fx-"))
    {
      machine.family = BIGVM_MACHINE_I440FX;
      name += strlen ("pc-i440fx-");
    }
  else
    return FALSE;
  if (!parse_version (name, &machine.major, &machine.minor))
    return FALSE;
  *ret_machine = machine;
  return TRUE;
}

static void
add_region (BigvmLayout *layout, BigvmRegionKind kind, guint64 start, guint64 size)
{
  BigvmRegion region = { kind, start, size };
  if (size > 0)
    g_array_append_val (layout->regions, region);
}

/* RAM below 4 GiB: hw/i386/pc_q35.c pc_q35_init() keeps at most 2 GiB
 * there once RAM reaches 2.75 GiB (0xb0000000); hw/i386/pc_piix.c
 * pc_init1() keeps 3 GiB once RAM reaches 3.5 GiB, 3.5 GiB on
 * pc-i440fx-1.7 and older (gigabyte_align off). */
static guint64
ram_below_4g (const BigvmLayoutInput *input)
{
  guint64 ram = input->ram_bytes;
  guint64 lowmem;

  if (input->machine.family == BIGVM_MACHINE_Q35)
    lowmem = ram >= 0xb0000000u ? 0x80000000u : 0xb0000000u;
  else
    {
      lowmem = 0xe0000000u;
      if (ram >= lowmem && MACHINE_VERSION (input->machine.major, input->machine.minor) >= MACHINE_VERSION (2, 0))
        lowmem = 0xc0000000u;
    }
  return ram >= lowmem ? lowmem : ram;
}

/* hw/i386/pc.c pc_max_used_gpa(): the end of the 64-bit PCI hole, which
 * pc_pci_hole64_start() puts after the hotplug region
 * (pc_get_device_memory_range(): maxmem - ram + 1 GiB per slot) or after
 * RAM above 4 GiB, 1 GiB aligned. */
static guint64
max_used_gpa (const BigvmLayoutInput *input, guint64 above_start, guint64 above,
              guint64 hole64, guint64 *ret_dev_base, guint64 *ret_dev_size,
              guint64 *ret_hole64_start)
{
  guint64 dev_base = round_up (above_start + above, BIGVM_GiB);
  guint64 dev_size = 0;
  guint64 end = above_start + above;

  if (input->maxmem_bytes > input->ram_bytes)
    {
      dev_size = input->maxmem_bytes - input->ram_bytes + BIGVM_GiB * input->mem_slots;
      end = dev_base + dev_size;
    }
  *ret_dev_base = dev_base;
  *ret_dev_size = dev_size;
  *ret_hole64_start = round_up (end, BIGVM_GiB);
  return *ret_hole64_start + hole64 - 1;
}

BigvmLayout *
bigvm_layout_new (const BigvmLayoutInput *input)
{
  BigvmLayout *layout = g_new0 (BigvmLayout, 1);
  guint64 below = ram_below_4g (input);
  guint64 above = input->ram_bytes - below;
  guint64 hole64 = input->machine.family == BIGVM_MACHINE_Q35 ? Q35_PCI_HOLE64_SIZE
                                                              : I440FX_PCI_HOLE64_SIZE;
  guint64 above_start = ABOVE_4G_START;
  guint64 dev_base, dev_size, hole64_start;

  layout->regions = g_array_new (FALSE, FALSE, sizeof (BigvmRegion));
  layout->max_gpa = max_used_gpa (input, above_start, above, hole64, &dev_base, &dev_size,
                                  &hole64_start);

  /* hw/i386/pc.c pc_memory_init(): on machine types 7.1 and newer
   * (enforce_amd_1tb_hole), when the first CPU is AuthenticAMD and the
   * address space would reach the HyperTransport hole below 1 TiB, all
   * RAM above 4 GiB moves to 1 TiB. */
  if (input->vendor == BIGVM_VENDOR_AMD
      && MACHINE_VERSION (input->machine.major, input->machine.minor) >= MACHINE_VERSION (7, 1)
      && layout->max_gpa >= AMD_HT_START)
    {
      above_start = AMD_ABOVE_1TB_START;
      layout->amd_relocated = TRUE;
      layout->max_gpa = max_used_gpa (input, above_start, above, hole64, &dev_base,
                                      &dev_size, &hole64_start);
    }

  add_region (layout, BIGVM_REGION_RAM_LOW, 0, below);
  add_region (layout, BIGVM_REGION_PCI_HOLE32, below, ABOVE_4G_START - below);
  if (layout->amd_relocated)
    add_region (layout, BIGVM_REGION_AMD_HT_HOLE, AMD_HT_START, AMD_ABOVE_1TB_START - AMD_HT_START);
  add_region (layout, BIGVM_REGION_RAM_HIGH, above_start, above);
  add_region (layout, BIGVM_REGION_HOTPLUG, dev_base, dev_size);
  add_region (layout, BIGVM_REGION_PCI_HOLE64, hole64_start, hole64);

  layout->ram_end = above > 0 ? above_start + above : below;
  layout->reserved_end = dev_size > 0 ? round_up (dev_base + dev_size, BIGVM_GiB) : 0;
  layout->min_phys_bits = bigvm_bit_length (layout->max_gpa);
  return layout;
}

/* hw/smbios/smbios.c: MAX_DIMM_SZ, the most one type 17 record covers. */
#define SMBIOS_DIMM_BYTES (16 * BIGVM_GiB)

gsize
bigvm_smbios_length (const BigvmMachine *machine, const char *name, guint64 ram_bytes,
                     guint sockets)
{
  /* The machine's description goes into type 1 (hw/i386/pc_q35.c and
   * pc_piix.c, the same for every version of a family). */
  const char *product = machine->family == BIGVM_MACHINE_Q35 ? "Standard PC (Q35 + ICH9, 2009)"
                                                             : "Standard PC (i440FX + PIIX, 1996)";
  guint64 dimms = (ram_bytes + SMBIOS_DIMM_BYTES - 1) / SMBIOS_DIMM_BYTES;
  /* Types 0, 1, 3, 16, 19 (two RAM ranges), 32 and 127 with their
   * strings; type 4 (42 bytes, "CPU nn", "QEMU", the machine's name);
   * type 17 (40 bytes, "DIMM n", "QEMU"). */
  gsize length = 174 + strlen (product) + 2 * strlen (name) + (55 + strlen (name)) * sockets;
  /* Each "DIMM i" has one digit, and one more for every power of ten
   * from 10 up that i reaches: counted per power, not per DIMM, because
   * a 4 PiB guest has 262144 of them. */
  length += 53 * dimms;
  for (guint64 power = 10; power < dimms; power *= 10)
    length += dimms - power;
  return length;
}

void
bigvm_layout_free (BigvmLayout *layout)
{
  if (layout == NULL)
    return;
  g_array_unref (layout->regions);
  g_free (layout);
}

const BigvmRegion *
bigvm_layout_find (const BigvmLayout *layout, BigvmRegionKind kind)
{
  for (guint i = 0; i < layout->regions->len; i++)
    {
      const BigvmRegion *region = &g_array_index (layout->regions, BigvmRegion, i);
      if (region->kind == kind)
        return region;
    }
  return NULL;
}

const char *
bigvm_region_name (BigvmRegionKind kind)
{
  switch (kind)
    {
    case BIGVM_REGION_RAM_LOW: return "RAM below 4 GiB";
    case BIGVM_REGION_PCI_HOLE32: return "32-bit PCI hole";
    case BIGVM_REGION_RAM_HIGH: return "RAM above 4 GiB";
    case BIGVM_REGION_AMD_HT_HOLE: return "AMD HyperTransport hole";
    case BIGVM_REGION_HOTPLUG: return "memory hotplug";
    case BIGVM_REGION_PCI_HOLE64: return "64-bit PCI hole";
    }
  return "?";
}
