/* The pipeline as one call: stages in order, what each purpose makes of a
 * short host, warnings and notes in the order they were found.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "pipeline.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ();
}

static void
teardown (void)
{
  test_tmpdir_remove (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static char *
write_flavor (const char *text)
{
  char *path = g_build_filename (tmpdir, "db1.flavor", NULL);
  ck_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* The pipeline for TEXT on the test host NAME (with the 2-node sysroot's
 * memory when SYSROOT), the recorded QEMU and test firmware. */
static BigvmPipeline *
run (const char *text, const char *host_name, gboolean sysroot, BigvmPurpose purpose)
{
  g_autofree char *path = text != NULL ? write_flavor (text) : NULL;
  BigvmPipeline *p = NULL;
  BigvmPipelineInput input;
  do
    {
      g_clear_pointer (&p, bigvm_pipeline_free);
      BigvmHost *host = test_host_new (host_name);
      if (sysroot)
        {
          g_autofree char *root = g_build_filename (test_srcdir (), "data", "sysroot",
                                                    "epyc-2node", NULL);
          bigvm_host_read_system (host, root);
        }
      input = (BigvmPipelineInput) {
        .flavor_path = path,
        .purpose = purpose,
        .accel = BIGVM_ACCEL_TCG,
        .state_dir = "/state/bigvm",
        .host = host,
        .caps = test_caps_new (),
        .firmware = test_firmware_new (),
        .cpu_states = test_cpu_states (),
      };
      p = bigvm_pipeline_new (&input);
    }
  while (test_cpu_states_fill (p));
  ck_assert_ptr_null (input.host);  /* taken over */
  return p;
}

static void
assert_lines (const GPtrArray *lines, const char *const *want)
{
  guint n = g_strv_length ((char **) want);
  for (guint i = 0; i < MIN (n, lines->len); i++)
    ck_assert_msg (strstr (lines->pdata[i], want[i]) != NULL, "line %u: %s, want %s", i,
                   (char *) lines->pdata[i], want[i]);
  ck_assert_uint_eq (lines->len, n);
}

START_TEST (test_stages_in_order)
{
  g_autoptr (BigvmPipeline) p = run ("name = db1\nram = 8G\nvcpus = 2\n", "intel-46", TRUE,
                                     BIGVM_PURPOSE_RUN);
  const char *notes[] = { "flavor: ", "ABI record: none yet (/state/bigvm/db1.abi: the guest's "
                          "first run writes it)", "host CPU: Test Xeon (GenuineIntel), 43 physical address bits (the kernel's",
                          "QEMU: /usr/bin/qemu-system-x86_64 7.2.22 (capabilities given, "
                          "probed under tcg)", "accelerator tcg (--accel=tcg)",
                          "machine type q35 is pc-q35-7.2", "CPU model max", "address bits",
                          "capacity: the host has the memory this guest needs",
                          "guest CPU: AuthenticAMD family 15 model 107 stepping 1, 75 features, "
                          "40 physical address bits (recorded)",
                          "CPU features: the guest gets all max asks for under TCG", NULL };

  ck_assert_msg (p->refusal == NULL, "%s", p->refusal ? p->refusal->message : "");
  ck_assert_ptr_nonnull (p->argv);
  ck_assert_str_eq (p->argv->pdata[0], "/usr/bin/qemu-system-x86_64");
  assert_lines (p->notes, notes);
  ck_assert_uint_eq (p->warnings->len, 0);
}
END_TEST

/* The flavor's warnings, then the planner's, then what the host lacks. */
START_TEST (test_warnings_in_order)
{
  g_autoptr (BigvmPipeline) p = run ("name = db1\nram = 2T\nvcpus = 2\n"
                                     "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = 43\n"
                                     "hw_machine_type = pc-i440fx-1.4\nhw:cpu_policy = dedicated\n",
                                     "intel-46", TRUE, BIGVM_PURPOSE_SHOW);
  const char *warnings[] = { "db1.flavor:7: hw:cpu_policy: ignored",
                             "QEMU deprecates machine type pc-i440fx-1.4",
                             "db1.flavor:2: ram: 2 TiB is more than the", NULL };

  ck_assert_msg (p->refusal == NULL, "%s", p->refusal ? p->refusal->message : "");
  assert_lines (p->warnings, warnings);
}
END_TEST

/* Run and check are about to use the host: what it lacks refuses, and the
 * warnings found so far stay. */
START_TEST (test_short_host_refuses_run)
{
  g_autoptr (BigvmPipeline) p = run ("name = db1\nram = 2T\nvcpus = 2\nhw:cpu_policy = x\n"
                                     "hw:maxphysaddr_mode = emulate\nhw:maxphysaddr_bits = 43\n",
                                     "intel-46", TRUE, BIGVM_PURPOSE_RUN);

  ck_assert_ptr_nonnull (p->refusal);
  ck_assert_int_eq (p->refusal->code, BIGVM_ERROR_UNAVAILABLE);
  ck_assert (strstr (p->refusal->message, "ram: 2 TiB is more than the") != NULL);
  ck_assert_ptr_null (p->argv);
  ck_assert_uint_eq (p->warnings->len, 1);
}
END_TEST

/* explain keeps the plan of a guest refused for its address space. */
START_TEST (test_explain_keeps_plan)
{
  g_autoptr (BigvmPipeline) p = run ("name = db1\nram = 1T\nvcpus = 2\n", "intel-46", FALSE,
                                     BIGVM_PURPOSE_EXPLAIN);

  ck_assert_ptr_nonnull (p->refusal);
  ck_assert_int_eq (p->refusal->code, BIGVM_ERROR_FLAVOR);
  ck_assert_ptr_nonnull (p->plan);
  ck_assert_uint_eq (p->plan->min_phys_bits, 42);
  ck_assert_ptr_null (p->argv);
}
END_TEST

/* A refusal before the plan keeps the flavor's warnings. */
START_TEST (test_early_refusal)
{
  g_autoptr (BigvmPipeline) p = run ("name = db1\nram = 1T\nvcpus = 2\nhw:cpu_policy = x\n"
                                     "bigvm:cpu_model = host\n", "intel-46", FALSE,
                                     BIGVM_PURPOSE_SHOW);

  ck_assert_ptr_nonnull (p->refusal);
  ck_assert (strstr (p->refusal->message, "the host CPU model needs KVM") != NULL);
  ck_assert_ptr_null (p->plan);
  ck_assert_uint_eq (p->warnings->len, 1);
}
END_TEST

START_TEST (test_unreadable_flavor)
{
  BigvmPipelineInput input = { .flavor_path = "/nonexistent/db1.flavor",
                               .host = test_host_new ("intel-46"), .caps = test_caps_new () };
  g_autoptr (BigvmPipeline) p = bigvm_pipeline_new (&input);

  ck_assert_int_eq (p->refusal->code, BIGVM_ERROR_NO_INPUT);
  ck_assert_ptr_null (p->flavor);
  ck_assert_uint_eq (p->notes->len, 0);
}
END_TEST

/* Without a flavor: the host and QEMU only, for bigvm host. */
START_TEST (test_host_only)
{
  g_autoptr (BigvmPipeline) p = run (NULL, "amd-48", FALSE, BIGVM_PURPOSE_SHOW);

  ck_assert_ptr_null (p->refusal);
  ck_assert_ptr_nonnull (p->host);
  ck_assert_ptr_nonnull (p->caps);
  ck_assert_ptr_null (p->plan);
  ck_assert_ptr_null (p->argv);
}
END_TEST

Suite *
suite_pipeline (void)
{
  Suite *s = suite_create ("pipeline");
  TCase *tc = tcase_create ("stages");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_stages_in_order);
  tcase_add_test (tc, test_warnings_in_order);
  tcase_add_test (tc, test_short_host_refuses_run);
  tcase_add_test (tc, test_explain_keeps_plan);
  tcase_add_test (tc, test_early_refusal);
  tcase_add_test (tc, test_unreadable_flavor);
  tcase_add_test (tc, test_host_only);
  suite_add_tcase (s, tc);
  return s;
}
