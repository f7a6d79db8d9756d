/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "cache.h"
#include "errors.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <utime.h>

static char *dir;
static char *qemu;             /* a wrapper of the real QEMU that logs its runs */
static char *log_path;
static char *cache_dir;

static void
setup (void)
{
  g_autofree char *real = g_find_program_in_path ("qemu-system-x86_64");

  dir = test_tmpdir_new ();
  qemu = g_build_filename (dir, "qemu", NULL);
  log_path = g_build_filename (dir, "runs", NULL);
  cache_dir = g_build_filename (dir, "cache", "bigvm", NULL);
  if (real == NULL)
    return;
  g_autofree char *script = g_strdup_printf ("#!/bin/sh\necho \"$1\" >> '%s'\nexec '%s' \"$@\"\n",
                                             log_path, real);
  ck_assert (g_file_set_contents (qemu, script, -1, NULL));
  ck_assert (g_chmod (qemu, 0755) == 0);
}

static void
teardown (void)
{
  test_tmpdir_remove (dir);
  g_free (dir);
  g_free (qemu);
  g_free (log_path);
  g_free (cache_dir);
}

static guint
runs (void)
{
  g_autofree char *text = NULL;
  guint n = 0;
  if (!g_file_get_contents (log_path, &text, NULL, NULL))
    return 0;
  for (const char *p = text; *p != '\0'; p++)
    n += *p == '\n';
  return n;
}

static BigvmQemuCaps *
get (const char *const *models, gboolean *probed, GPtrArray *warnings)
{
  g_autoptr (GError) error = NULL;
  BigvmQemuCaps *caps = bigvm_cache_get_caps (qemu, "tcg", models, cache_dir, 30000, warnings,
                                              probed, &error);
  ck_assert_msg (caps != NULL, "%s", error ? error->message : "");
  return caps;
}

static gboolean
have_qemu (void)
{
  if (g_file_test (qemu, G_FILE_TEST_EXISTS))
    return TRUE;
  printf ("skip: qemu-system-x86_64 is not installed\n");
  return FALSE;
}

/* Warm: no QEMU at all.  A model not asked before: one probe, no
 * --version.  A rebuilt binary: probed again. */
START_TEST (test_warm_and_changed)
{
  const char *max[] = { "max", NULL };
  const char *westmere[] = { "Westmere", NULL };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  gboolean probed;

  if (!have_qemu ())
    return;
  g_autoptr (BigvmQemuCaps) cold = get (max, &probed, warnings);
  ck_assert (probed);
  ck_assert_uint_eq (runs (), 2);  /* --version, then the QMP probe */

  g_autoptr (BigvmQemuCaps) warm = get (max, &probed, warnings);
  ck_assert (!probed);
  ck_assert_uint_eq (runs (), 2);
  ck_assert (bigvm_qemu_find_expansion (warm, "max")->pdpe1gb);

  g_autoptr (BigvmQemuCaps) more = get (westmere, &probed, warnings);
  ck_assert (probed);
  ck_assert_uint_eq (runs (), 3);
  g_autoptr (BigvmQemuCaps) both = get (westmere, &probed, warnings);
  ck_assert (!probed && bigvm_qemu_find_expansion (both, "max") != NULL);

  /* Same path, new build: size and mtime differ. */
  FILE *f = fopen (qemu, "a");
  fputs ("# rebuilt\n", f);
  fclose (f);
  g_autoptr (BigvmQemuCaps) rebuilt = get (max, &probed, warnings);
  ck_assert (probed);
  ck_assert_uint_eq (runs (), 5);
  ck_assert_uint_eq (warnings->len, 0);
}
END_TEST

static char *
only_cache_file (void)
{
  g_autoptr (GDir) listing = g_dir_open (cache_dir, 0, NULL);
  const char *name = listing != NULL ? g_dir_read_name (listing) : NULL;
  ck_assert_msg (name != NULL, "no cache file in %s", cache_dir);
  return g_build_filename (cache_dir, name, NULL);
}

/* A cache file that is corrupt, cut short, for another bigvm or another
 * binary: probed again, and rewritten. */
START_TEST (test_bad_cache_files)
{
  const char *max[] = { "max", NULL };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  gboolean probed;

  if (!have_qemu ())
    return;
  g_autoptr (BigvmQemuCaps) first = get (max, &probed, warnings);
  g_autofree char *file = only_cache_file ();
  g_autofree char *good = NULL;
  gsize len;
  ck_assert (g_file_get_contents (file, &good, &len, NULL));

  /* Written by another bigvm: its version string, one digit changed. */
  g_autofree char *other_version = g_memdup2 (good, len);
  char *v = memmem (other_version, len, PACKAGE_VERSION, strlen (PACKAGE_VERSION));
  ck_assert (v != NULL);
  *v = *v == '9' ? '8' : '9';
  /* For another build of the same path: another inode. */
  g_auto (BigvmBinaryId) id = { 0 };
  ck_assert (bigvm_binary_id (qemu, &id, NULL));
  id.inode++;
  ck_assert (bigvm_cache_store (file, &id, first, NULL));
  g_autofree char *other_binary = NULL;
  gsize other_len;
  ck_assert (g_file_get_contents (file, &other_binary, &other_len, NULL));

  const struct { const char *data; gssize len; } bad[] = {
    { "", 0 }, { "{", 1 }, { "not a cache at all", -1 }, { good, len / 2 },
    { other_version, len }, { other_binary, other_len },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      ck_assert (g_file_set_contents (file, bad[i].data, bad[i].len, NULL));
      guint before = runs ();
      g_autoptr (BigvmQemuCaps) caps = get (max, &probed, warnings);
      ck_assert_msg (probed && runs () > before, "case %zu: not probed again", i);
      g_autofree char *rewritten = NULL;
      gsize rewritten_len;
      ck_assert (g_file_get_contents (file, &rewritten, &rewritten_len, NULL));
      ck_assert_msg (rewritten_len == len && memcmp (rewritten, good, len) == 0,
                     "case %zu: not rewritten", i);
    }
  ck_assert_uint_eq (warnings->len, 0);
}
END_TEST

/* A cache directory bigvm cannot write costs a warning, nothing more. */
START_TEST (test_unwritable)
{
  const char *max[] = { "max", NULL };
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *parent = g_path_get_dirname (cache_dir);
  gboolean probed;

  if (!have_qemu ())
    return;
  /* The cache directory's place holds a file. */
  ck_assert (g_file_set_contents (parent, "in the way", -1, NULL));
  g_autoptr (BigvmQemuCaps) caps = get (max, &probed, warnings);
  ck_assert (probed);
  ck_assert_uint_eq (warnings->len, 1);
  ck_assert_msg (strstr (warnings->pdata[0], "cannot keep QEMU's capabilities") != NULL, "%s",
                 (char *) warnings->pdata[0]);
  g_autoptr (BigvmQemuCaps) again = get (max, &probed, warnings);
  ck_assert (probed);
}
END_TEST

START_TEST (test_binary_id)
{
  g_auto (BigvmBinaryId) a = { 0 };
  g_auto (BigvmBinaryId) b = { 0 };
  g_autoptr (GError) error = NULL;

  ck_assert (g_file_set_contents (qemu, "x", -1, NULL));
  ck_assert (bigvm_binary_id (qemu, &a, NULL));
  g_autofree char *tcg = bigvm_cache_file ("/c", &a, "tcg");
  g_autofree char *kvm = bigvm_cache_file ("/c", &a, "kvm");
  ck_assert (g_str_has_prefix (tcg, "/c/qemu-") && g_str_has_suffix (tcg, "-tcg.caps"));
  ck_assert (!g_str_equal (tcg, kvm));
  ck_assert (!bigvm_binary_id ("/nonexistent/qemu", &b, &error));
  ck_assert (g_error_matches (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE));
}
END_TEST

Suite *
suite_cache (void)
{
  Suite *s = suite_create ("cache");
  TCase *tc = tcase_create ("caps");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_warm_and_changed);
  tcase_add_test (tc, test_bad_cache_files);
  tcase_add_test (tc, test_unwritable);
  tcase_add_test (tc, test_binary_id);
  suite_add_tcase (s, tc);
  return s;
}
