/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"

#include <string.h>

START_TEST (test_from_cpuid)
{
  g_autoptr (BigvmHost) intel = test_host_new ("intel-46");
  g_autoptr (BigvmHost) amd = test_host_new ("amd-48");

  ck_assert_int_eq (intel->vendor, BIGVM_VENDOR_INTEL);
  ck_assert_str_eq (intel->vendor_id, "GenuineIntel");
  ck_assert_str_eq (intel->model_name, "Test Xeon");
  ck_assert_uint_eq (intel->phys_bits, 46);
  ck_assert_uint_eq (intel->mem_encrypt_bits_lost, 0);
  ck_assert (intel->long_mode && intel->pdpe1gb && intel->vmx && !intel->svm);
  ck_assert_int_eq (intel->kvm, BIGVM_KVM_FROM_DUMP);

  ck_assert_int_eq (amd->vendor, BIGVM_VENDOR_AMD);
  ck_assert_uint_eq (amd->phys_bits, 48);
  ck_assert_uint_eq (amd->mem_encrypt_bits_lost, 5);
  ck_assert (amd->svm && !amd->vmx);
}
END_TEST

/* Leaves above the maximum extended leaf are not read: on Intel they hold
 * the last basic leaf's data, not memory-encryption facts. */
START_TEST (test_leaf_limits)
{
  struct cpu_raw_data_t raw;
  TestCpu cpu = { "GenuineIntel", 39, 0x80000008u, 7, TRUE, FALSE, FALSE, FALSE, NULL };

  test_cpuid_fill (&raw, &cpu);
  g_autoptr (BigvmHost) intel = bigvm_host_from_cpuid (&raw, "t");
  ck_assert_uint_eq (intel->mem_encrypt_bits_lost, 0);

  TestCpu old = { "AuthenticAMD", 0, 0x80000004u, 3, TRUE, FALSE, FALSE, FALSE, NULL };
  test_cpuid_fill (&raw, &old);
  g_autoptr (BigvmHost) amd = bigvm_host_from_cpuid (&raw, "t");
  ck_assert_uint_eq (amd->phys_bits, 36);
  ck_assert_uint_eq (amd->mem_encrypt_bits_lost, 0);
}
END_TEST

/* A dump written with libcpuid's own serializer reads back the same. */
START_TEST (test_dump_round_trip)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "amd.test", NULL);
  struct cpu_raw_data_t raw;
  TestCpu cpu = { "AuthenticAMD", 52, 0x8000001fu, 1, TRUE, TRUE, FALSE, TRUE, "Big AMD" };
  g_autoptr (GError) error = NULL;

  test_cpuid_fill (&raw, &cpu);
  ck_assert_int_eq (cpuid_serialize_raw_data (&raw, path), 0);
  g_autoptr (BigvmHost) host = bigvm_host_from_dump (path, &error);
  ck_assert_msg (host != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (host->source, path);
  ck_assert_str_eq (host->model_name, "Big AMD");
  ck_assert_uint_eq (host->phys_bits, 52);
  ck_assert_uint_eq (host->mem_encrypt_bits_lost, 1);
  ck_assert (host->pdpe1gb);
  test_tmpdir_remove (dir);
}
END_TEST

/* A dump with more physical address bits than x86 has is no real CPU's. */
START_TEST (test_dump_too_many_bits)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "odd.test", NULL);
  struct cpu_raw_data_t raw;
  TestCpu cpu = { "GenuineIntel", 60, 0, 0, TRUE, TRUE, TRUE, FALSE, "Odd" };
  g_autoptr (GError) error = NULL;

  test_cpuid_fill (&raw, &cpu);
  ck_assert_int_eq (cpuid_serialize_raw_data (&raw, path), 0);
  g_autoptr (BigvmHost) host = bigvm_host_from_dump (path, &error);
  ck_assert_ptr_null (host);
  ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT));
  g_autofree char *want = g_strdup_printf ("%s: CPUID 0x80000008 reports 60 physical address "
                                           "bits; x86 CPUs have at most 52", path);
  ck_assert_str_eq (error->message, want);
  test_tmpdir_remove (dir);
}
END_TEST

START_TEST (test_dump_unreadable)
{
  g_autofree char *dir = test_tmpdir_new ();
  g_autofree char *garbage = g_build_filename (dir, "garbage.test", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.test", NULL);
  const char *paths[] = { garbage, empty, dir, "/nonexistent.test", "", NULL };

  ck_assert (g_file_set_contents (garbage, "CPUID 00000000: 00000006-68747541\n", -1, NULL));
  ck_assert (g_file_set_contents (empty, "", -1, NULL));
  for (const char **p = paths; *p != NULL; p++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BigvmHost) host = bigvm_host_from_dump (*p, &error);
      ck_assert_msg (host == NULL, "%s was read", *p);
      ck_assert_msg (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT), "%s", error->message);
      ck_assert_msg (g_str_has_prefix (error->message, *p), "%s", error->message);
    }
  test_tmpdir_remove (dir);
}
END_TEST

/* The real processors in ../shared/cpuid (its README has the figures). */
static const struct {
  const char *file;
  BigvmCpuVendor vendor;
  guint phys_bits;
  guint bits_lost;
  gboolean long_mode;
} shared_dumps[] = {
  { "amd-a10-5800k-apu-with-radeon-hd-graphics.test", BIGVM_VENDOR_AMD, 48, 0, TRUE },
  { "amd-a4-5000-apu-with-radeon-hd-graphics.test", BIGVM_VENDOR_AMD, 40, 0, TRUE },
  { "amd-athlon-xp.test", BIGVM_VENDOR_AMD, 34, 0, FALSE },
  { "amd-c-50-processor.test", BIGVM_VENDOR_OTHER, 0, 0, FALSE },  /* unreadable */
  { "amd-ryzen-5-4500u-with-radeon-graphics.test", BIGVM_VENDOR_AMD, 48, 4, TRUE },
  { "amd-ryzen-7-2700x-eight-core-processor.test", BIGVM_VENDOR_AMD, 48, 5, TRUE },
  { "amd-ryzen-7-7700x-8-core-processor.test", BIGVM_VENDOR_AMD, 48, 2, TRUE },
  { "intel-12th-gen-intel-core-i5-12400.test", BIGVM_VENDOR_INTEL, 39, 0, TRUE },
  { "intel-12th-gen-intel-core-i9-12900k.test", BIGVM_VENDOR_INTEL, 46, 0, TRUE },
  { "intel-celeron-cpu-420.test", BIGVM_VENDOR_INTEL, 36, 0, TRUE },
  { "intel-core-i5-6600k-cpu.test", BIGVM_VENDOR_INTEL, 39, 0, TRUE },
  { "intel-core-i7-4710mq-cpu.test", BIGVM_VENDOR_INTEL, 39, 0, TRUE },
  { "intel-core-i7-5820k-cpu.test", BIGVM_VENDOR_INTEL, 46, 0, TRUE },
  { "intel-core-ultra-9-288v.test", BIGVM_VENDOR_INTEL, 42, 0, TRUE },
  { "intel-xeon-cpu-e5462-dual.test", BIGVM_VENDOR_INTEL, 38, 0, TRUE },
  { "intel-xeon-cpu-x5667.test", BIGVM_VENDOR_INTEL, 40, 0, TRUE },
};

START_TEST (test_shared_dump)
{
  g_autofree char *path = g_build_filename (test_srcdir (), "..", "..", "shared", "cpuid",
                                            shared_dumps[_i].file, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      printf ("skip: %s is absent (the shared CPUID dumps live beside the checkout)\n", path);
      return;
    }
  g_autoptr (BigvmHost) host = bigvm_host_from_dump (path, &error);
  if (shared_dumps[_i].phys_bits == 0)
    {
      ck_assert_msg (host == NULL, "%s was read", path);
      ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT));
      ck_assert (strstr (error->message, "no CPUID data libcpuid can read") != NULL);
      return;
    }
  ck_assert_msg (host != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (host->vendor, shared_dumps[_i].vendor);
  ck_assert_uint_eq (host->phys_bits, shared_dumps[_i].phys_bits);
  ck_assert_uint_eq (host->mem_encrypt_bits_lost, shared_dumps[_i].bits_lost);
  ck_assert_int_eq (host->long_mode, shared_dumps[_i].long_mode);
  ck_assert (host->model_name[0] != '\0');
}
END_TEST

START_TEST (test_live_probe)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmHost) host = bigvm_host_probe ("/", TRUE, &error);
  g_autoptr (BigvmHost) tcg = bigvm_host_probe ("/", FALSE, NULL);

  ck_assert_msg (host != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (host->source, "this host");
  ck_assert (host->phys_bits >= 32 && host->phys_bits <= 52);
  ck_assert (host->kvm != BIGVM_KVM_FROM_DUMP && host->kvm != BIGVM_KVM_NOT_ASKED);
  ck_assert (host->kvm_detail != NULL);
  ck_assert_int_eq (tcg->kvm, BIGVM_KVM_NOT_ASKED);
}
END_TEST

static void
put (const char *root, const char *path, const char *text)
{
  g_autofree char *full = g_build_filename (root, path, NULL);
  g_autofree char *dir = g_path_get_dirname (full);
  ck_assert (g_mkdir_with_parents (dir, 0700) == 0);
  ck_assert (g_file_set_contents (full, text, -1, NULL));
}

/* /proc and /sys as a two-node AMD host with SME on shows them. */
START_TEST (test_system_tree)
{
  g_autofree char *root = test_tmpdir_new ();
  g_autoptr (BigvmHost) host = test_host_new ("amd-48");

  put (root, "proc/cpuinfo", "processor\t: 0\nmodel name\t: Test EPYC\n"
       "address sizes\t: 43 bits physical, 48 bits virtual\n\nprocessor\t: 1\n");
  put (root, "proc/meminfo", "MemTotal:       1056964608 kB\nMemFree:        1000000000 kB\n"
       "MemAvailable:   1048576000 kB\n");
  put (root, "sys/devices/system/cpu/online", "0-63\n");
  put (root, "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "1024\n");
  put (root, "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1000\n");
  put (root, "sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "900\n");
  put (root, "sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages", "880\n");
  for (guint n = 0; n < 2; n++)
    {
      g_autofree char *dir = g_strdup_printf ("sys/devices/system/node/node%u", n);
      g_autofree char *cpulist = g_build_filename (dir, "cpulist", NULL);
      g_autofree char *meminfo = g_build_filename (dir, "meminfo", NULL);
      g_autofree char *nr = g_build_filename (dir, "hugepages/hugepages-1048576kB/nr_hugepages", NULL);
      g_autofree char *fr = g_build_filename (dir, "hugepages/hugepages-1048576kB/free_hugepages", NULL);
      g_autofree char *info = g_strdup_printf ("Node %u MemTotal:       528482304 kB\n"
                                               "Node %u MemFree:        500000000 kB\n", n, n);
      put (root, cpulist, n == 0 ? "0-15,32-47\n" : "16-31,48-63\n");
      put (root, meminfo, info);
      put (root, nr, "450\n");
      put (root, fr, n == 0 ? "450\n" : "430\n");
    }
  put (root, "sys/devices/system/node/online", "0-1\n");

  bigvm_host_read_system (host, root);
  ck_assert_uint_eq (host->kernel_phys_bits, 43);
  ck_assert_uint_eq (host->effective_phys_bits, 43);
  ck_assert (host->has_memory);
  ck_assert_uint_eq (host->mem_total, G_GUINT64_CONSTANT (1056964608) * 1024);
  ck_assert_uint_eq (host->mem_available, G_GUINT64_CONSTANT (1048576000) * 1024);
  ck_assert_uint_eq (host->online_cpus, 64);
  ck_assert_uint_eq (host->hugepages->len, 2);
  const BigvmHugePool *big = bigvm_host_find_pool (host->hugepages, G_GUINT64_CONSTANT (1) << 30);
  ck_assert (big != NULL && big->total == 900 && big->free == 880);
  ck_assert_uint_eq (host->nodes->len, 2);
  BigvmHostNode *node1 = host->nodes->pdata[1];
  ck_assert_uint_eq (node1->id, 1);
  ck_assert_str_eq (node1->cpus, "16-31,48-63");
  ck_assert_uint_eq (node1->cpu_count, 32);
  ck_assert_uint_eq (node1->mem_total, G_GUINT64_CONSTANT (528482304) * 1024);
  ck_assert_uint_eq (bigvm_host_find_pool (node1->hugepages, G_GUINT64_CONSTANT (1) << 30)->free, 430);
  test_tmpdir_remove (root);
}
END_TEST

/* No /proc, no /sys: nothing is known, and nothing breaks. */
START_TEST (test_system_missing)
{
  g_autoptr (BigvmHost) host = test_host_new ("intel-46");
  bigvm_host_read_system (host, "/nonexistent/root");
  ck_assert (!host->has_memory);
  ck_assert_uint_eq (host->kernel_phys_bits, 0);
  ck_assert_uint_eq (host->effective_phys_bits, 46);
  ck_assert_uint_eq (host->nodes->len, 0);
}
END_TEST

Suite *
suite_host (void)
{
  Suite *s = suite_create ("host");
  TCase *tc = tcase_create ("cpuid");
  tcase_add_test (tc, test_from_cpuid);
  tcase_add_test (tc, test_leaf_limits);
  tcase_add_test (tc, test_dump_round_trip);
  tcase_add_test (tc, test_dump_too_many_bits);
  tcase_add_test (tc, test_dump_unreadable);
  tcase_add_loop_test (tc, test_shared_dump, 0, G_N_ELEMENTS (shared_dumps));
  tcase_add_test (tc, test_live_probe);
  tcase_add_test (tc, test_system_tree);
  tcase_add_test (tc, test_system_missing);
  suite_add_tcase (s, tc);
  return s;
}
