/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "layout.h"
#include "ovmf.h"
#include "util.h"

#define G BIGVM_GiB
#define T BIGVM_TiB

/* QEMU 7.2.22's own figures: the highest used address it printed in
 * "Address space limit ... < 0x... phys-bits too low" for each machine,
 * CPU vendor and size, without and with "slots=4,maxmem=size+1T". */
static const struct {
  const char *machine;
  BigvmCpuVendor vendor;
  guint64 max_gpa[6][2];
} measured[] = {
  { "pc-q35-7.2", BIGVM_VENDOR_AMD,
    { { 0x187fffffff, 0x2187fffffff }, { 0x1fc3fffffff, 0x2fd3fffffff },
      { 0x2037fffffff, 0x3047fffffff }, { 0x203ffffffff, 0x304ffffffff },
      { 0x2077fffffff, 0x3087fffffff }, { 0x5077fffffff, 0x6087fffffff } } },
  { "pc-q35-7.2", BIGVM_VENDOR_INTEL,
    { { 0x187fffffff, 0x1197fffffff }, { 0xfd3fffffff, 0x1fe3fffffff },
      { 0x1047fffffff, 0x2057fffffff }, { 0x104ffffffff, 0x205ffffffff },
      { 0x1087fffffff, 0x2097fffffff }, { 0x4087fffffff, 0x5097fffffff } } },
  { "pc-i440fx-7.2", BIGVM_VENDOR_AMD,
    { { 0x10bfffffff, 0x210bfffffff }, { 0xf57fffffff, 0x2f57fffffff },
      { 0xfcbfffffff, 0x2fcbfffffff }, { 0x1fc3fffffff, 0x2fd3fffffff },
      { 0x1ffbfffffff, 0x300bfffffff }, { 0x4ffbfffffff, 0x600bfffffff } } },
  { "pc-i440fx-7.2", BIGVM_VENDOR_INTEL,
    { { 0x10bfffffff, 0x111bfffffff }, { 0xf57fffffff, 0x1f67fffffff },
      { 0xfcbfffffff, 0x1fdbfffffff }, { 0xfd3fffffff, 0x1fe3fffffff },
      { 0x100bfffffff, 0x201bfffffff }, { 0x400bfffffff, 0x501bfffffff } } },
  { "pc-q35-7.0", BIGVM_VENDOR_AMD,
    { { 0x187fffffff, 0x1197fffffff }, { 0xfd3fffffff, 0x1fe3fffffff },
      { 0x1047fffffff, 0x2057fffffff }, { 0x104ffffffff, 0x205ffffffff },
      { 0x1087fffffff, 0x2097fffffff }, { 0x4087fffffff, 0x5097fffffff } } },
  { "pc-i440fx-7.0", BIGVM_VENDOR_AMD,
    { { 0x10bfffffff, 0x111bfffffff }, { 0xf57fffffff, 0x1f67fffffff },
      { 0xfcbfffffff, 0x1fdbfffffff }, { 0xfd3fffffff, 0x1fe3fffffff },
      { 0x100bfffffff, 0x201bfffffff }, { 0x400bfffffff, 0x501bfffffff } } },
};
static const guint64 sizes[6] = { 64 * G, 979 * G, 1008 * G, 1010 * G, T, 4 * T };

static BigvmLayout *
layout_for (const char *machine, BigvmCpuVendor vendor, guint64 ram, guint64 maxmem, guint slots)
{
  BigvmLayoutInput input = { { 0 }, vendor, ram, maxmem, slots };
  ck_assert_msg (bigvm_machine_parse (machine, &input.machine), "%s", machine);
  return bigvm_layout_new (&input);
}

/* Regions ascend, never overlap, and the last ends at max_gpa. */
static void
assert_well_formed (const BigvmLayout *layout)
{
  for (guint i = 1; i < layout->regions->len; i++)
    {
      const BigvmRegion *a = &g_array_index (layout->regions, BigvmRegion, i - 1);
      const BigvmRegion *b = &g_array_index (layout->regions, BigvmRegion, i);
      ck_assert_msg (a->start + a->size <= b->start, "%s overlaps %s",
                     bigvm_region_name (a->kind), bigvm_region_name (b->kind));
    }
  const BigvmRegion *last = &g_array_index (layout->regions, BigvmRegion, layout->regions->len - 1);
  ck_assert_uint_eq (last->kind, BIGVM_REGION_PCI_HOLE64);
  ck_assert_uint_eq (last->start + last->size - 1, layout->max_gpa);
  ck_assert_uint_eq (layout->min_phys_bits, bigvm_bit_length (layout->max_gpa));
}

START_TEST (test_measured)
{
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint hotplug = 0; hotplug < 2; hotplug++)
      {
        g_autoptr (BigvmLayout) layout = layout_for (measured[_i].machine, measured[_i].vendor,
                                                     sizes[s], hotplug ? sizes[s] + T : 0,
                                                     hotplug ? 4 : 0);
        ck_assert_msg (layout->max_gpa == measured[_i].max_gpa[s][hotplug],
                       "%s %s %" G_GUINT64_FORMAT " GiB%s: 0x%" G_GINT64_MODIFIER "x, QEMU 0x%"
                       G_GINT64_MODIFIER "x", measured[_i].machine,
                       bigvm_cpu_vendor_name (measured[_i].vendor), sizes[s] / G,
                       hotplug ? " +hotplug" : "", layout->max_gpa, measured[_i].max_gpa[s][hotplug]);
        assert_well_formed (layout);
      }
}
END_TEST

START_TEST (test_regions)
{
  g_autoptr (BigvmLayout) amd = layout_for ("pc-q35-7.2", BIGVM_VENDOR_AMD, T, 2 * T, 4);
  const BigvmRegion *low = bigvm_layout_find (amd, BIGVM_REGION_RAM_LOW);
  const BigvmRegion *high = bigvm_layout_find (amd, BIGVM_REGION_RAM_HIGH);
  const BigvmRegion *ht = bigvm_layout_find (amd, BIGVM_REGION_AMD_HT_HOLE);
  const BigvmRegion *hotplug = bigvm_layout_find (amd, BIGVM_REGION_HOTPLUG);
  const BigvmRegion *hole64 = bigvm_layout_find (amd, BIGVM_REGION_PCI_HOLE64);

  ck_assert (amd->amd_relocated);
  ck_assert_uint_eq (low->size, 2 * G);
  ck_assert_uint_eq (high->start, T);
  ck_assert_uint_eq (high->size, T - 2 * G);
  ck_assert_uint_eq (ht->start, 0xfd00000000);
  ck_assert_uint_eq (ht->size, 12 * G);
  /* Device memory: maxmem - ram + 1 GiB per slot, after RAM, 1 GiB aligned. */
  ck_assert_uint_eq (hotplug->start, 2 * T - 2 * G);
  ck_assert_uint_eq (hotplug->size, T + 4 * G);
  ck_assert_uint_eq (hole64->start, 3 * T + 2 * G);
  ck_assert_uint_eq (hole64->size, 32 * G);
  ck_assert_uint_eq (amd->ram_end, 2 * T - 2 * G);
  ck_assert_uint_eq (amd->reserved_end, 3 * T + 2 * G);
}
END_TEST

/* The byte-exact thresholds of the AMD move (QEMU 7.2, measured). */
START_TEST (test_relocation_threshold)
{
  g_autoptr (BigvmLayout) q35_below = layout_for ("pc-q35-7.2", BIGVM_VENDOR_AMD, 978 * G, 0, 0);
  g_autoptr (BigvmLayout) q35_above = layout_for ("pc-q35-7.2", BIGVM_VENDOR_AMD,
                                                  978 * G + BIGVM_MiB, 0, 0);
  g_autoptr (BigvmLayout) pc_below = layout_for ("pc-i440fx-7.2", BIGVM_VENDOR_AMD, 1009 * G, 0, 0);
  g_autoptr (BigvmLayout) pc_above = layout_for ("pc-i440fx-7.2", BIGVM_VENDOR_AMD,
                                                 1009 * G + BIGVM_MiB, 0, 0);
  g_autoptr (BigvmLayout) hygon = layout_for ("pc-q35-7.2", BIGVM_VENDOR_OTHER, T, 0, 0);

  ck_assert (!q35_below->amd_relocated && q35_above->amd_relocated);
  ck_assert (!pc_below->amd_relocated && pc_above->amd_relocated);
  ck_assert (!hygon->amd_relocated);
}
END_TEST

START_TEST (test_small_and_old)
{
  /* Below 2.75 GiB a q35 guest's RAM all lies below 4 GiB; pc keeps up to
   * 3.5 GiB there, and pc-i440fx-1.7 3.5 GiB of any size. */
  g_autoptr (BigvmLayout) q35 = layout_for ("pc-q35-7.2", BIGVM_VENDOR_INTEL, 2815 * BIGVM_MiB, 0, 0);
  g_autoptr (BigvmLayout) pc = layout_for ("pc-i440fx-7.2", BIGVM_VENDOR_INTEL, 3583 * BIGVM_MiB, 0, 0);
  g_autoptr (BigvmLayout) pc3g = layout_for ("pc-i440fx-7.2", BIGVM_VENDOR_INTEL, 3584 * BIGVM_MiB, 0, 0);
  g_autoptr (BigvmLayout) old = layout_for ("pc-i440fx-1.7", BIGVM_VENDOR_INTEL, 8 * G, 0, 0);

  ck_assert_ptr_null (bigvm_layout_find (q35, BIGVM_REGION_RAM_HIGH));
  ck_assert_uint_eq (q35->ram_end, 2815 * BIGVM_MiB);
  ck_assert_ptr_null (bigvm_layout_find (pc, BIGVM_REGION_RAM_HIGH));
  ck_assert_uint_eq (bigvm_layout_find (pc3g, BIGVM_REGION_RAM_LOW)->size, 3 * G);
  ck_assert_uint_eq (bigvm_layout_find (old, BIGVM_REGION_RAM_LOW)->size, 3584 * BIGVM_MiB);
  assert_well_formed (q35);
  assert_well_formed (old);
}
END_TEST

START_TEST (test_machine_names)
{
  BigvmMachine m;
  ck_assert (bigvm_machine_parse ("pc-q35-4.0.1", &m) && m.family == BIGVM_MACHINE_Q35
             && m.major == 4 && m.minor == 0);
  ck_assert (bigvm_machine_parse ("pc-i440fx-2.12", &m) && m.family == BIGVM_MACHINE_I440FX
             && m.major == 2 && m.minor == 12);
  ck_assert (!bigvm_machine_parse ("q35", &m));
  ck_assert (!bigvm_machine_parse ("microvm", &m));
  ck_assert (!bigvm_machine_parse ("pc-q35-7", &m));
  ck_assert (!bigvm_machine_parse ("pc-q35-7.2.1.1", &m));
  ck_assert (!bigvm_machine_parse ("pc-q35-x.2", &m));
}
END_TEST

/* OVMF 2022.11's boundaries, measured here under TCG: without 1 GiB pages
 * q35 with an Intel CPU at 41 bits boots up to 990 GiB and hangs from
 * 991 GiB; pc with an AMD CPU at QEMU's default 40 bits boots up to 991
 * GiB and hangs from 992 GiB. */
START_TEST (test_ovmf)
{
  static const struct {
    const char *machine; BigvmCpuVendor vendor; guint64 ram; guint bits; gboolean pdpe1gb;
    gboolean fits;
  } cases[] = {
    { "pc-q35-7.2", BIGVM_VENDOR_INTEL, 990 * G, 41, FALSE, TRUE },
    { "pc-q35-7.2", BIGVM_VENDOR_INTEL, 991 * G, 41, FALSE, FALSE },
    { "pc-i440fx-7.2", BIGVM_VENDOR_AMD, 991 * G, 40, FALSE, TRUE },
    { "pc-i440fx-7.2", BIGVM_VENDOR_AMD, 992 * G, 40, FALSE, FALSE },
    { "pc-q35-7.2", BIGVM_VENDOR_AMD, 978 * G, 40, FALSE, TRUE },
    { "pc-q35-7.2", BIGVM_VENDOR_AMD, T, 42, FALSE, FALSE },
    { "pc-q35-7.2", BIGVM_VENDOR_AMD, T, 42, TRUE, TRUE },
    { "pc-q35-7.2", BIGVM_VENDOR_INTEL, 4 * T, 44, TRUE, TRUE },
    { "pc-q35-7.2", BIGVM_VENDOR_INTEL, 4 * T, 43, TRUE, TRUE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BigvmLayout) layout = layout_for (cases[i].machine, cases[i].vendor,
                                                   cases[i].ram, 0, 0);
      BigvmOvmfView view;
      bigvm_ovmf_view (layout, cases[i].bits, cases[i].vendor, cases[i].pdpe1gb, &view);
      ck_assert_msg (view.fits == cases[i].fits, "case %zu: width %u window [0x%"
                     G_GINT64_MODIFIER "x, 0x%" G_GINT64_MODIFIER "x)", i, view.width,
                     view.window_start, view.window_end);
    }

  /* 1 TiB q35 AMD at 42 bits with 1 GiB pages: the dynamic window, the
   * top eighth of the address space. */
  g_autoptr (BigvmLayout) layout = layout_for ("pc-q35-7.2", BIGVM_VENDOR_AMD, T, 0, 0);
  BigvmOvmfView view;
  bigvm_ovmf_view (layout, 42, BIGVM_VENDOR_AMD, TRUE, &view);
  ck_assert (view.trusted);
  ck_assert_uint_eq (view.width, 42);
  ck_assert_uint_eq (view.window_start, 3584 * G);
  ck_assert_uint_eq (view.window_end, 4 * T);
  /* QEMU's default 40 bits on Intel is not believed. */
  bigvm_ovmf_view (layout, 40, BIGVM_VENDOR_INTEL, FALSE, &view);
  ck_assert (!view.trusted);
}
END_TEST

/* The lengths QEMU 7.2 printed when it refused the tables
 * ("SMBIOS 2.1 table length N exceeds 65535"). */
START_TEST (test_smbios_length)
{
  static const struct {
    BigvmMachineFamily family; const char *name; guint64 gib; guint sockets; gsize length;
  } cases[] = {
    { BIGVM_MACHINE_Q35, "pc-q35-7.2", 18945, 1, 65539 },
    { BIGVM_MACHINE_Q35, "pc-q35-7.2", 18945, 2, 65604 },
    { BIGVM_MACHINE_I440FX, "pc-i440fx-7.2", 18945, 1, 65551 },
    { BIGVM_MACHINE_Q35, "pc-q35-7.2", 61392, 1, 214051 },
    { BIGVM_MACHINE_Q35, "pc-q35-7.2", 14209, 255, 65584 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BigvmMachine machine = { cases[i].family, 7, 2 };
      gsize got = bigvm_smbios_length (&machine, cases[i].name, cases[i].gib * BIGVM_GiB,
                                       cases[i].sockets);
      ck_assert_msg (got == cases[i].length, "case %zu: %zu, QEMU said %zu", i, got,
                     cases[i].length);
    }
  /* The largest that fit: 18944 GiB with one socket, 14208 with 255. */
  BigvmMachine q35 = { BIGVM_MACHINE_Q35, 7, 2 };
  ck_assert_uint_le (bigvm_smbios_length (&q35, "pc-q35-7.2", 18944 * BIGVM_GiB, 1),
                     BIGVM_SMBIOS_MAX_LENGTH);
  ck_assert_uint_le (bigvm_smbios_length (&q35, "pc-q35-7.2", 14208 * BIGVM_GiB, 255),
                     BIGVM_SMBIOS_MAX_LENGTH);
  /* Up to 4 PiB, 262144 records: each grows by "DIMM n" written out. */
  gsize base = bigvm_smbios_length (&q35, "pc-q35-7.2", 0, 1), expected = base;
  guint64 records = 0;
  for (guint64 gib = 16; gib <= 4 * 1024 * 1024; gib += 16)
    {
      g_autofree char *dimm = g_strdup_printf ("DIMM %" G_GUINT64_FORMAT, records++);
      expected += 47 + strlen (dimm);
      if (gib % 160 == 16 || gib == 4 * 1024 * 1024)
        ck_assert_uint_eq (bigvm_smbios_length (&q35, "pc-q35-7.2", gib * BIGVM_GiB, 1),
                           expected);
    }
}
END_TEST

Suite *
suite_layout (void)
{
  Suite *s = suite_create ("layout");
  TCase *tc = tcase_create ("qemu");
  tcase_add_loop_test (tc, test_measured, 0, G_N_ELEMENTS (measured));
  tcase_add_test (tc, test_regions);
  tcase_add_test (tc, test_relocation_threshold);
  tcase_add_test (tc, test_small_and_old);
  tcase_add_test (tc, test_machine_names);
  suite_add_tcase (s, tc);
  tc = tcase_create ("ovmf");
  tcase_add_test (tc, test_ovmf);
  tcase_add_test (tc, test_smbios_length);
  suite_add_tcase (s, tc);
  return s;
}
