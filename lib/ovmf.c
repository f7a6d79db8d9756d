/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "ovmf.h"

#include "util.h"

/* OvmfPkg/OvmfPkgX64.dsc: PcdPciMmio64Size, the 64-bit window's size
 * unless fw_cfg opt/ovmf/X-PciMmio64Mb says otherwise (bigvm never does). */
#define OVMF_MMIO64_SIZE (G_GUINT64_CONSTANT (32) * BIGVM_GiB)
/* PlatformAddressWidthFromCpuid(): at most 47 bits (no 5-level paging),
 * and 40 without 1 GiB pages. */
#define OVMF_MAX_WIDTH 47
#define OVMF_MAX_WIDTH_WITHOUT_1G 40

static guint64
align_up (guint64 value, guint64 align)
{
  return (value + align - 1) / align * align;
}

/* OvmfPkg/Library/PlatformInitLib/MemDetect.c, edk2-stable202211. */
void
bigvm_ovmf_view (const BigvmLayout *layout, guint phys_bits, BigvmCpuVendor vendor,
                 gboolean pdpe1gb, BigvmOvmfView *ret_view)
{
  BigvmOvmfView view = { 0 };
  guint width = phys_bits;

  /* PlatformGetFirstNonAddress(): above the highest RAM (at least 4 GiB)
   * or, with memory hotplug, above etc/reserved-memory-end, 1 GiB aligned
   * and then aligned to the window's own size. */
  guint64 first_non = MAX (G_GUINT64_CONSTANT (4) * BIGVM_GiB, layout->ram_end);
  if (layout->reserved_end != 0)
    first_non = layout->reserved_end;
  view.window_start = align_up (align_up (first_non, BIGVM_GiB), OVMF_MMIO64_SIZE);
  view.window_end = view.window_start + OVMF_MMIO64_SIZE;

  /* PlatformAddressWidthFromCpuid(): QEMU's default 40 bits is not
   * believed except on AMD; 36 and 39 are believed on Intel. */
  view.trusted = phys_bits >= 41
                 || (vendor == BIGVM_VENDOR_INTEL && (phys_bits == 36 || phys_bits == 39))
                 || (vendor == BIGVM_VENDOR_AMD && phys_bits == 40);
  if (view.trusted)
    {
      width = MIN (width, OVMF_MAX_WIDTH);
      if (!pdpe1gb)
        width = MIN (width, OVMF_MAX_WIDTH_WITHOUT_1G);
      /* PlatformDynamicMmioWindow(): the top eighth of the address space,
       * when that is larger than the classic window and above it. */
      guint64 space = G_GUINT64_CONSTANT (1) << width;
      guint64 mmio = space >> 3;
      if (OVMF_MMIO64_SIZE < mmio && view.window_start + mmio < space)
        {
          view.window_start = space - mmio;
          view.window_end = space;
        }
    }
  else
    {
      /* PlatformAddressWidthInitialization(): guessed from the window's
       * end, at least 36 bits. */
      width = MAX (36, bigvm_bit_length (view.window_end - 1));
    }
  view.width = width;

  /* Its page tables cover 2^width; beyond that, and beyond what the CPU
   * addresses, OVMF hangs before printing anything. */
  guint64 mapped = G_GUINT64_CONSTANT (1) << MIN (width, phys_bits);
  view.fits = layout->ram_end <= mapped && view.window_end <= mapped;
  *ret_view = view;
}
