/* libFuzzer: the planner, on random machines, vendors, RAM, hotplug and
 * bits.  Invariants: regions ascend and never overlap, the minimum bits
 * cover the highest address, OVMF's window lies within what it maps when
 * it fits, no arithmetic wraps below 2^52, and a plan the planner accepts
 * gives the guest at least the bits it needs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "layout.h"
#include "ovmf.h"
#include "plan.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static guint64
take (const uint8_t **data, size_t *size, guint bytes)
{
  guint64 value = 0;
  for (guint i = 0; i < bytes && *size > 0; i++, (*data)++, (*size)--)
    value = value << 8 | **data;
  return value;
}

static void
check_layout (const BigvmLayoutInput *input)
{
  g_autoptr (BigvmLayout) layout = bigvm_layout_new (input);
  guint64 previous_end = 0;

  for (guint i = 0; i < layout->regions->len; i++)
    {
      const BigvmRegion *r = &g_array_index (layout->regions, BigvmRegion, i);
      g_assert (r->size > 0);
      g_assert (r->start >= previous_end);
      g_assert (r->start + r->size > r->start);  /* no wrap */
      previous_end = r->start + r->size;
    }
  g_assert (previous_end - 1 == layout->max_gpa);
  g_assert (layout->max_gpa < (G_GUINT64_CONSTANT (1) << layout->min_phys_bits));
  g_assert (layout->min_phys_bits == 0
            || layout->max_gpa >= (G_GUINT64_CONSTANT (1) << (layout->min_phys_bits - 1)));
  g_assert (layout->ram_end <= layout->max_gpa);

  for (guint bits = 32; bits <= 52; bits += 5)
    for (guint pages = 0; pages < 2; pages++)
      {
        BigvmOvmfView view;
        bigvm_ovmf_view (layout, bits, input->vendor, pages, &view);
        g_assert (view.window_start < view.window_end);
        if (view.fits)
          g_assert (view.window_end <= (G_GUINT64_CONSTANT (1) << bits)
                    && layout->ram_end <= (G_GUINT64_CONSTANT (1) << bits));
      }
}

static BigvmQemuCaps *
load_caps (void)
{
  g_autofree char *text = NULL;
  g_assert (g_file_get_contents (TEST_SRCDIR "/data/qemu-7.2.22-tcg.caps", &text, NULL, NULL));
  g_autoptr (GVariant) variant = g_variant_parse (NULL, text, NULL, NULL, NULL);
  return bigvm_qemu_caps_from_variant (variant, NULL);
}

static void
check_plan (const char *machine, const char *model, guint64 ram_mib, guint64 maxmem_mib,
            guint slots, guint bits, gboolean uefi, gboolean intel_host)
{
  static BigvmQemuCaps *caps;
  static GPtrArray *firmware;
  g_autoptr (GString) text = g_string_new (NULL);
  struct cpu_raw_data_t raw = { 0 };

  if (caps == NULL)
    {
      const char *dirs[] = { TEST_SRCDIR "/data/firmware", NULL };
      caps = load_caps ();
      firmware = bigvm_firmware_load (dirs, NULL);
      for (guint i = 0; i < firmware->len; i++)
        ((BigvmFirmware *) firmware->pdata[i])->code_exists =
          ((BigvmFirmware *) firmware->pdata[i])->vars_template_exists = TRUE;
    }
  g_string_append_printf (text, "name = fuzz\nram = %" G_GUINT64_FORMAT "\nvcpus = 2\n"
                          "hw_machine_type = %s\nbigvm:cpu_model = %s\n", ram_mib, machine, model);
  if (maxmem_mib > ram_mib)
    g_string_append_printf (text, "bigvm:maxmem = %" G_GUINT64_FORMAT "\nbigvm:mem_slots = %u\n",
                            maxmem_mib, slots);
  if (bits != 0)
    g_string_append_printf (text, "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = %u\n",
                            bits);
  if (uefi)
    g_string_append (text, "hw_firmware_type = uefi\n");

  g_autoptr (BigvmFlavor) flavor = bigvm_flavor_parse ("f", "/", text->str, text->len, NULL);
  if (flavor == NULL)
    return;
  /* A 46-bit Intel or 48-bit AMD host, as a dump with VMX/SVM. */
  memcpy (&raw.basic_cpuid[0][EBX], intel_host ? "Genu" : "Auth", 4);
  memcpy (&raw.basic_cpuid[0][EDX], intel_host ? "ineI" : "enti", 4);
  memcpy (&raw.basic_cpuid[0][ECX], intel_host ? "ntel" : "cAMD", 4);
  raw.ext_cpuid[0][EAX] = 0x80000008u;
  raw.ext_cpuid[1][EDX] = (1u << 29) | (1u << 26);
  raw.ext_cpuid[8][EAX] = intel_host ? 46 : 48;
  g_autoptr (BigvmHost) host = bigvm_host_from_cpuid (&raw, "fuzz host");
  BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .sparse_ram = TRUE, .nvram_dir = "/s" };
  g_autoptr (BigvmPlan) plan = bigvm_plan_new (flavor, host, caps, firmware, &options, NULL);
  if (plan != NULL)
    {
      /* QEMU checks no address bits for a CPU of 32 or fewer (hw/i386/pc.c
       * pc_max_used_gpa()) and starts it; bigvm warns of the RAM above 4 GiB. */
      if (plan->guest_phys_bits > 32)
        g_assert (plan->guest_phys_bits >= plan->min_phys_bits);
      else if (plan->layout->ram_end > 4 * BIGVM_GiB)
        g_assert (plan->warnings->len > 0);
      g_assert (plan->min_phys_bits >= plan->qemu_min_bits);
      g_assert (plan->layout->min_phys_bits <= 53);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const machines[] = { "pc-q35-7.2", "pc-q35-7.0", "pc-i440fx-7.2",
                                          "pc-i440fx-2.5", "pc-i440fx-1.7", "pc-q35-2.4" };
  static const char *const models[] = { "max", "qemu64", "Westmere", "EPYC", "qemu32" };
  BigvmLayoutInput input;
  guint m = take (&data, &size, 1) % G_N_ELEMENTS (machines);
  guint vendor = take (&data, &size, 1) % 3;
  /* RAM and maxmem in MiB up to 2^32 MiB = 4 PiB = 2^52 bytes. */
  guint64 ram_mib = take (&data, &size, 4) + 1;
  guint64 extra_mib = take (&data, &size, 4) >> take (&data, &size, 1) % 32;
  guint slots = take (&data, &size, 1) + 1;
  guint bits = take (&data, &size, 1) % 24;
  gboolean uefi = take (&data, &size, 1) & 1;

  g_assert (bigvm_machine_parse (machines[m], &input.machine));
  input.vendor = vendor == 0 ? BIGVM_VENDOR_AMD : vendor == 1 ? BIGVM_VENDOR_INTEL
                                                              : BIGVM_VENDOR_OTHER;
  input.ram_bytes = ram_mib * BIGVM_MiB;
  input.maxmem_bytes = extra_mib > 0 ? input.ram_bytes + extra_mib * BIGVM_MiB : 0;
  input.mem_slots = input.maxmem_bytes != 0 ? slots : 0;
  check_layout (&input);

  check_plan (machines[m], models[take (&data, &size, 1) % G_N_ELEMENTS (models)], ram_mib,
              input.maxmem_bytes / BIGVM_MiB, slots, bits == 0 ? 0 : bits + 29, uefi,
              vendor == 1);
  return 0;
}
