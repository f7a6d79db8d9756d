/* The guest's ABI (lib/abi.c): its record's JSON both ways, the digest,
 * the differences named, and what another host's CPUID dump proves.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "abi.h"
#include "errors.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* A 64-bit Intel guest of 2 vCPUs and 8 GiB on pc-q35-7.2, under KVM. */
static const char sample_json[] =
  "{\"format\": \"bigvm-guest-abi/1\", \"digest\": \"sha256:whatever\", \"guest\": {"
  "\"machine\": \"pc-q35-7.2\","
  "\"cpu\": {\"vendor\": \"GenuineIntel\", \"family\": 6, \"model\": 85, \"stepping\": 4,"
  " \"model-id\": \"Intel Xeon Processor (Skylake)\", \"level\": 13, \"xlevel\": 2147483656,"
  " \"phys-bits\": 42, \"feature-words\": [\"0x1.-.ECX = 0x80200001\","
  " \"0x7.0x0.EBX = 0x00010000\", \"0x80000001.-.EDX = 0x20000000\"],"
  " \"features\": [\"avx512f\", \"lm\", \"sse3\", \"x2apic\"], \"knobs\": [\"l3-cache=on\"]},"
  "\"topology\": {\"vcpus\": 2, \"sockets\": 1, \"cores\": 2, \"threads\": 1},"
  "\"memory\": {\"ram\": 8589934592, \"maxmem\": 0, \"slots\": 0, \"page-size\": 4096,"
  " \"blocks\": [{\"id\": \"ram0\", \"size\": 8589934592}], \"numa\": []},"
  "\"firmware\": {\"type\": \"bios\"}},"
  "\"recorded\": {\"bigvm\": \"0.1.0\", \"qemu\": \"7.2.22\", \"accel\": \"kvm\","
  " \"cpu\": \"Skylake-Server,phys-bits=42\", \"host\": \"Test Xeon (GenuineIntel)\","
  " \"time\": \"2026-12-02T00:00:00Z\"}}";

static BigvmAbi *
sample (void)
{
  g_autoptr (GError) error = NULL;
  BigvmAbi *abi = bigvm_abi_parse ("sample", sample_json, strlen (sample_json), &error);
  ck_assert_msg (abi != NULL, "%s", error ? error->message : "");
  return abi;
}

/* The sample through its JSON and back, as a record file would be. */
static BigvmAbi *
reread (const BigvmAbi *abi)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = bigvm_abi_to_json (abi);
  BigvmAbi *back = bigvm_abi_parse ("r.abi", json, strlen (json), &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  return back;
}

static char *
joined (GPtrArray *lines)
{
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (out, "%s\n", (char *) lines->pdata[i]);
  return g_string_free (out, FALSE);
}

/* The differences between A and B: "changed" lines, then "gained" ones. */
static char *
differences (const BigvmAbi *a, const BigvmAbi *b)
{
  g_autoptr (GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) gained = g_ptr_array_new_with_free_func (g_free);
  bigvm_abi_compare (a, b, changed, gained);
  g_autofree char *c = joined (changed);
  g_autofree char *g = joined (gained);
  return g_strdup_printf ("%s--\n%s", c, g);
}

START_TEST (test_json_round_trip)
{
  g_autoptr (BigvmAbi) abi = sample ();
  g_autoptr (BigvmAbi) back = reread (abi);
  g_autofree char *digest = bigvm_abi_digest (abi);
  g_autofree char *back_digest = bigvm_abi_digest (back);
  g_autofree char *json = bigvm_abi_to_json (abi);
  g_autofree char *diff = differences (abi, back);

  ck_assert_str_eq (digest, back_digest);
  ck_assert (g_str_has_prefix (digest, "sha256:") && strlen (digest) == 7 + 64);
  ck_assert_str_eq (diff, "--\n");
  ck_assert_ptr_nonnull (strstr (json, "\"format\" : \"bigvm-guest-abi/1\""));
  ck_assert_ptr_nonnull (strstr (json, "\"digest\" : \"sha256:"));
  ck_assert_str_eq (back->recorded_accel, "kvm");
}
END_TEST

/* Who recorded it is not part of it. */
START_TEST (test_digest_ignores_recorder)
{
  g_autoptr (BigvmAbi) a = sample ();
  g_autoptr (BigvmAbi) b = sample ();
  g_free (b->recorded_host);
  b->recorded_host = g_strdup ("another host");
  g_free (b->recorded_qemu);
  b->recorded_qemu = g_strdup ("8.0.0");
  g_autofree char *da = bigvm_abi_digest (a);
  g_autofree char *db = bigvm_abi_digest (b);
  ck_assert_str_eq (da, db);
  b->cpu->phys_bits = 43;
  g_autofree char *dc = bigvm_abi_digest (b);
  ck_assert_str_ne (da, dc);
}
END_TEST

START_TEST (test_differences_named)
{
  g_autoptr (BigvmAbi) was = sample ();
  g_autoptr (BigvmAbi) now = sample ();

  now->cpu->phys_bits = 46;
  g_free (now->cpu->vendor);
  now->cpu->vendor = g_strdup ("AuthenticAMD");
  g_strfreev (now->cpu->features);
  now->cpu->features = g_strdupv ((char *[]) { "lm", "sse3", "x2apic", "pdpe1gb", NULL });
  g_free (now->cpu->feature_words[1]);
  now->cpu->feature_words[1] = g_strdup ("0x7.0x0.EBX = 0x00000000");
  now->ram = 16 * G_GUINT64_CONSTANT (1073741824);
  g_free (now->machine);
  now->machine = g_strdup ("pc-q35-8.0");
  g_autofree char *diff = differences (was, now);
  ck_assert_str_eq (diff,
                    "machine type: recorded pc-q35-7.2, now pc-q35-8.0\n"
                    "vendor: recorded GenuineIntel, now AuthenticAMD\n"
                    "phys-bits: recorded 42, now 46\n"
                    "CPUID 0x7.0x0.EBX: recorded 0x00010000, now 0x00000000 (bits 0x00010000 gone)\n"
                    "CPU feature avx512f: recorded, missing now\n"
                    "RAM: recorded 8 GiB, now 16 GiB\n"
                    "--\n"
                    "CPU feature pdpe1gb: not recorded, new now\n");
}
END_TEST

/* Bits gained in a word are no loss. */
START_TEST (test_word_gained)
{
  g_autoptr (BigvmAbi) was = sample ();
  g_autoptr (BigvmAbi) now = sample ();
  g_free (now->cpu->feature_words[1]);
  now->cpu->feature_words[1] = g_strdup ("0x7.0x0.EBX = 0x00010020");
  g_autofree char *diff = differences (was, now);
  ck_assert_str_eq (diff, "--\nCPUID 0x7.0x0.EBX: recorded 0x00010000, now 0x00010020 (bits "
                          "0x00000020 new)\n");
}
END_TEST

/* A CPU not known on one side (another host's KVM) is not compared; the
 * rest is. */
START_TEST (test_unknown_cpu_not_compared)
{
  g_autoptr (BigvmAbi) was = sample ();
  g_autoptr (BigvmAbi) now = sample ();
  g_clear_pointer (&now->cpu, bigvm_cpu_state_free);
  now->vcpus = 4;
  g_autofree char *diff = differences (was, now);
  ck_assert_str_eq (diff, "vCPUs: recorded 2, now 4\n--\n");
  g_autoptr (BigvmAbi) back = reread (now);
  ck_assert_ptr_null (back->cpu);
}
END_TEST

START_TEST (test_numa_nodes)
{
  g_autoptr (BigvmAbi) was = sample ();
  g_autoptr (BigvmAbi) now = sample ();
  BigvmAbiNode *node = g_new0 (BigvmAbiNode, 1);
  node->node = 0;
  node->cpus = g_strdup ("0-1");
  node->memory = 8 * G_GUINT64_CONSTANT (1073741824);
  g_ptr_array_add (now->nodes, node);
  g_autofree char *diff = differences (was, now);
  ck_assert_str_eq (diff, "NUMA nodes: recorded 0, now 1\n"
                          "NUMA node 0 CPUs: not recorded, now 0-1\n"
                          "NUMA node 0 memory: not recorded, now 8 GiB\n--\n");
}
END_TEST

static void
assert_refused (const char *json, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmAbi) abi = bigvm_abi_parse ("r.abi", json, strlen (json), &error);
  ck_assert_ptr_null (abi);
  ck_assert_int_eq (error->code, BIGVM_ERROR_FLAVOR);
  ck_assert_msg (strstr (error->message, want) != NULL, "%s lacks %s", error->message, want);
}

START_TEST (test_not_a_record)
{
  assert_refused ("", "r.abi: not a bigvm-guest-abi/1 record");
  assert_refused ("[1, 2]", "r.abi: not a bigvm-guest-abi/1 record: format is missing");
  assert_refused ("{\"format\": \"bigvm-guest-abi/2\"}",
                  "r.abi: format \"bigvm-guest-abi/2\" is not bigvm-guest-abi/1");
  assert_refused ("{\"format\": \"bigvm-guest-abi/1\", \"guest\": {\"machine\": 7}}",
                  "guest.machine is not a string");
  assert_refused ("{\"format\": \"bigvm-guest-abi/1\", \"guest\": {\"machine\": \"pc\", "
                  "\"cpu\": {\"vendor\": \"x\", \"family\": -1}}}",
                  "guest.cpu.family is not a number from 0");
}
END_TEST

/* What a dump of another host proves under KVM. */
START_TEST (test_check_host)
{
  g_autoptr (BigvmAbi) abi = sample ();
  g_autoptr (GPtrArray) proven = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (BigvmHost) intel = test_host_new ("intel-46");

  /* intel-46 has leaf 1 ECX bit 0 (SSE3) and none of leaf 7; x2APIC
   * (bit 21) and the hypervisor bit (31) are KVM's own. */
  intel->raw->basic_cpuid[0][EAX] = 7;
  intel->raw->basic_cpuid[1][ECX] |= 1;
  intel->raw->ext_cpuid[1][EDX] |= 1u << 29;
  bigvm_abi_check_host (abi, intel, proven);
  g_autofree char *got = joined (proven);
  ck_assert_str_eq (got, "CPUID 0x7.0x0.EBX: the guest has bits 0x00010000 the host lacks\n");

  g_autoptr (BigvmHost) amd = test_host_new ("amd-48");
  g_ptr_array_set_size (proven, 0);
  abi->cpu->phys_bits = 49;
  bigvm_abi_check_host (abi, amd, proven);
  ck_assert_uint_ge (proven->len, 2);
  ck_assert_str_eq (proven->pdata[0], "phys-bits: recorded 49, the host has 48");
  ck_assert_str_eq (proven->pdata[1], "vendor: recorded GenuineIntel, the host is AuthenticAMD");
}
END_TEST

START_TEST (test_record_written_once)
{
  g_autofree char *dir = g_dir_make_tmp ("bigvm-abi-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "g.abi", NULL);
  g_autoptr (BigvmAbi) abi = sample ();
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gboolean written;
  struct stat st;

  ck_assert (bigvm_abi_write_new (path, abi, &written, &error));
  ck_assert (written);
  ck_assert (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
  ck_assert (g_file_get_contents (path, &first, NULL, NULL));
  abi->vcpus = 8;
  ck_assert (bigvm_abi_write_new (path, abi, &written, &error));
  ck_assert (!written);
  ck_assert (g_file_get_contents (path, &second, NULL, NULL));
  ck_assert_str_eq (first, second);
  ck_assert (bigvm_abi_replace (path, abi, &error));
  g_autoptr (BigvmAbi) back = bigvm_abi_load (path, &error);
  ck_assert_uint_eq (back->vcpus, 8);
  g_autofree char *sub = g_path_get_dirname (path);
  g_autoptr (GDir) listing = g_dir_open (sub, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (listing)) != NULL)
    ck_assert_msg (g_str_equal (name, "g.abi"), "left behind: %s", name);
  g_unlink (path);
  g_rmdir (sub);
  g_rmdir (dir);
}
END_TEST

Suite *
suite_abi (void)
{
  Suite *s = suite_create ("abi");
  TCase *tc = tcase_create ("record");

  tcase_add_test (tc, test_json_round_trip);
  tcase_add_test (tc, test_digest_ignores_recorder);
  tcase_add_test (tc, test_differences_named);
  tcase_add_test (tc, test_word_gained);
  tcase_add_test (tc, test_unknown_cpu_not_compared);
  tcase_add_test (tc, test_numa_nodes);
  tcase_add_test (tc, test_not_a_record);
  tcase_add_test (tc, test_check_host);
  tcase_add_test (tc, test_record_written_once);
  suite_add_tcase (s, tc);
  return s;
}
