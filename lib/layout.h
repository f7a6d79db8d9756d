/* bigvm: the guest physical address map QEMU will build (pure).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "host-probe.h"

#include <glib.h>

typedef enum {
  BIGVM_MACHINE_Q35,
  BIGVM_MACHINE_I440FX,
} BigvmMachineFamily;

/* A versioned x86 PC machine type, "pc-q35-7.2" or "pc-i440fx-2.12". */
typedef struct {
  BigvmMachineFamily family;
  guint major, minor;
} BigvmMachine;

/* FALSE for names that are not pc-q35-X.Y[.Z] or pc-i440fx-X.Y[.Z]. */
gboolean bigvm_machine_parse (const char *name, BigvmMachine *ret_machine);

typedef struct {
  BigvmMachine machine;
  BigvmCpuVendor vendor;       /* of the guest's first vCPU */
  guint64 ram_bytes;
  guint64 maxmem_bytes;        /* 0, or above ram_bytes: memory hotplug */
  guint mem_slots;
} BigvmLayoutInput;

typedef enum {
  BIGVM_REGION_RAM_LOW,
  BIGVM_REGION_PCI_HOLE32,
  BIGVM_REGION_RAM_HIGH,
  BIGVM_REGION_AMD_HT_HOLE,
  BIGVM_REGION_HOTPLUG,
  BIGVM_REGION_PCI_HOLE64,
} BigvmRegionKind;

typedef struct {
  BigvmRegionKind kind;
  guint64 start;
  guint64 size;
} BigvmRegion;

typedef struct {
  GArray *regions;             /* BigvmRegion, ascending, never overlapping */
  guint64 ram_end;             /* first address above the highest RAM */
  guint64 reserved_end;        /* end of the hotplug region, or 0 */
  guint64 max_gpa;             /* highest address QEMU uses (its pc_max_used_gpa) */
  guint min_phys_bits;         /* what QEMU needs to start */
  gboolean amd_relocated;      /* RAM above 4 GiB moved to 1 TiB */
} BigvmLayout;

/* Machine types older than this lay memory hotplug out differently
 * (broken_reserved_end, no slot alignment); bigvm does not plan them. */
#define BIGVM_LAYOUT_MIN_HOTPLUG_VERSION 205u

BigvmLayout *bigvm_layout_new (const BigvmLayoutInput *input);

/* The most QEMU's SMBIOS 2.1 tables may hold: its default 32-bit entry
 * point says their length in 16 bits (hw/smbios/smbios.c
 * smbios_validate_table(): "SMBIOS 2.1 table length ... exceeds 65535"). */
#define BIGVM_SMBIOS_MAX_LENGTH 0xffff

/* The length of the SMBIOS tables QEMU 7.2 builds for machine type NAME
 * (of MACHINE's family) with RAM_BYTES of RAM above its low memory and
 * SOCKETS sockets, with its default strings (hw/smbios/smbios.c
 * smbios_get_tables()): one type 17 "DIMM n" record per 16 GiB of RAM,
 * one type 4 per socket.  Measured against QEMU 7.2 to the byte. */
gsize bigvm_smbios_length (const BigvmMachine *machine, const char *name, guint64 ram_bytes,
                           guint sockets);
void bigvm_layout_free (BigvmLayout *layout);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmLayout, bigvm_layout_free)

const BigvmRegion *bigvm_layout_find (const BigvmLayout *layout, BigvmRegionKind kind);
const char *bigvm_region_name (BigvmRegionKind kind);
