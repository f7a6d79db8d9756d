/* The preallocation watcher's counts and lines (lib/prealloc-watch.c),
 * on a /sys of the tests' own whose free counts the test lowers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "prealloc-watch.h"
#include "util.h"

#include <glib/gstdio.h>

static char *root;

/* ROOT/sys's free 1 GiB pages: the host's, and node 0's and 1's. */
static void
set_free (guint64 host, guint64 node0, guint64 node1)
{
  const struct { const char *dir; guint64 value; } pools[] = {
    { "sys/kernel/mm/hugepages/hugepages-1048576kB", host },
    { "sys/devices/system/node/node0/hugepages/hugepages-1048576kB", node0 },
    { "sys/devices/system/node/node1/hugepages/hugepages-1048576kB", node1 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (pools); i++)
    {
      g_autofree char *dir = g_build_filename (root, pools[i].dir, NULL);
      g_autofree char *file = g_build_filename (dir, "free_hugepages", NULL);
      g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT "\n", pools[i].value);
      ck_assert (g_mkdir_with_parents (dir, 0700) == 0);
      ck_assert (g_file_set_contents (file, text, -1, NULL));
    }
}

static void
setup (void)
{
  root = test_tmpdir_new ();
  set_free (1000, 600, 400);
}

static void
teardown (void)
{
  test_tmpdir_remove (root);
  g_clear_pointer (&root, g_free);
}

/* A 512 GiB guest on 1 GiB pages, bound per guest node when BOUND. */
static BigvmPlan *
huge_plan (gboolean bound)
{
  g_autoptr (GError) error = NULL;
  const char *text = bound ? "name = db1\nram = 512G\nvcpus = 2\nhw:mem_page_size = 1GB\n"
                             "hw:numa_nodes = 2\nbigvm:numa_host_nodes.0 = 0\n"
                             "bigvm:numa_host_nodes.1 = 1\n"
                           : "name = db1\nram = 512G\nvcpus = 2\nhw:mem_page_size = 1GB\n";
  g_autoptr (BigvmFlavor) flavor = test_flavor (text);
  g_autoptr (BigvmHost) host = test_host_new ("amd-48");
  g_autoptr (BigvmQemuCaps) caps = test_caps_new ();
  g_autoptr (GPtrArray) firmware = g_ptr_array_new ();
  BigvmPlanOptions options = { .accel = BIGVM_ACCEL_TCG, .nvram_dir = "/state" };
  BigvmPlan *plan = bigvm_plan_new (flavor, host, caps, firmware, &options, &error);

  ck_assert_msg (plan != NULL, "%s", error ? error->message : "");
  return plan;
}

START_TEST (test_host_pool)
{
  g_autoptr (BigvmPlan) plan = huge_plan (FALSE);
  g_autoptr (BigvmPreallocWatch) watch = bigvm_prealloc_watch_new (plan, root);

  ck_assert_uint_eq (bigvm_prealloc_watch_sample (watch), 0);
  g_autofree char *first = bigvm_prealloc_watch_line (watch, 0, 0, FALSE);
  ck_assert_str_eq (first, "bigvm: preallocating 512 GiB in 512 pages of 1 GiB: 0% (0 pages) "
                    "after 0 s");
  set_free (872, 0, 0);
  guint64 taken = bigvm_prealloc_watch_sample (watch);
  ck_assert_uint_eq (taken, 128);
  g_autofree char *line = bigvm_prealloc_watch_line (watch, taken, 12.4, FALSE);
  ck_assert_str_eq (line, "bigvm: preallocating 512 GiB in 512 pages of 1 GiB: 25% (128 pages) "
                    "after 12 s");
  g_autofree char *bar = bigvm_prealloc_watch_line (watch, taken, 12.4, TRUE);
  ck_assert_str_eq (bar, "bigvm: preallocating 512 GiB [#####...............]  25% 128/512 "
                    "pages of 1 GiB, 12 s");
  /* More than the guest needs gone (another process): capped; and
   * pages given back by another: never below nothing. */
  set_free (100, 0, 0);
  taken = bigvm_prealloc_watch_sample (watch);
  ck_assert_uint_eq (taken, 512);
  g_autofree char *done = bigvm_prealloc_watch_line (watch, taken, 50.25, TRUE);
  ck_assert_str_eq (done, "bigvm: preallocated 512 GiB in 512 pages of 1 GiB in 50.2 s");
  set_free (2000, 0, 0);
  ck_assert_uint_eq (bigvm_prealloc_watch_sample (watch), 0);
}
END_TEST

/* Bound to host nodes: those nodes' pools, each shown. */
START_TEST (test_bound_nodes)
{
  g_autoptr (BigvmPlan) plan = huge_plan (TRUE);
  g_autoptr (BigvmPreallocWatch) watch = bigvm_prealloc_watch_new (plan, root);

  set_free (0, 500, 250);
  guint64 taken = bigvm_prealloc_watch_sample (watch);
  ck_assert_uint_eq (taken, 250);
  g_autofree char *line = bigvm_prealloc_watch_line (watch, taken, 3, FALSE);
  ck_assert_str_eq (line, "bigvm: preallocating 512 GiB in 512 pages of 1 GiB: 48% (250 pages) "
                    "after 3 s; node 0: 100, node 1: 150");
}
END_TEST

Suite *
suite_prealloc (void)
{
  Suite *s = suite_create ("prealloc");
  TCase *tc = tcase_create ("watch");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_host_pool);
  tcase_add_test (tc, test_bound_nodes);
  suite_add_tcase (s, tc);
  return s;
}
