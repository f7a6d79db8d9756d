/* bigvm: how OVMF (edk2-stable202211, Debian 12's ovmf) sizes the guest
 * address space it maps, and so whether it can boot a guest (pure).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "host-probe.h"
#include "layout.h"

#include <glib.h>

typedef struct {
  gboolean trusted;            /* OVMF believed the CPU's phys-bits */
  guint width;                 /* the address width OVMF maps */
  guint64 window_start;        /* its 64-bit PCI MMIO window */
  guint64 window_end;
  gboolean fits;               /* RAM and the window lie within what it maps
                                * and what the CPU can address */
} BigvmOvmfView;

/* What OVMF makes of LAYOUT on a CPU with PHYS_BITS, VENDOR and, or not,
 * 1 GiB pages. */
void bigvm_ovmf_view (const BigvmLayout *layout, guint phys_bits, BigvmCpuVendor vendor,
                      gboolean pdpe1gb, BigvmOvmfView *ret_view);
