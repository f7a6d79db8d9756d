/* Golden tests: each tests/golden/NAME.flavor beside the exact command
 * line (NAME.args) or refusal (NAME.err), warnings first, that `bigvm
 * show` makes of it for a fixed host and QEMU: the same pipeline call.
 * BIGVM_TEST_REGENERATE=1 rewrites the expectations.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "argv.h"
#include "errors.h"
#include "pipeline.h"
#include "util.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Canonical, as the flavor parser makes the paths it reads: a VPATH
 * build's srcdir has "..". */
static char *
golden_dir (void)
{
  g_autofree char *dir = g_build_filename (test_srcdir (), "golden", NULL);
  return g_canonicalize_filename (dir, NULL);
}

static GPtrArray *
list_cases (void)
{
  g_autofree char *dir = golden_dir ();
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *file;

  /* Called while building the suite, outside any test: no ck_assert. */
  while (listing != NULL && (file = g_dir_read_name (listing)) != NULL)
    if (g_str_has_suffix (file, ".flavor"))
      g_ptr_array_add (names, g_strndup (file, strlen (file) - strlen (".flavor")));
  g_ptr_array_sort (names, bigvm_compare_strings);
  return names;
}

/* The argv one option per line, as in libvirt's .args files, each word
 * quoted as `bigvm show` quotes it. */
static char *
pretty_argv (GPtrArray *argv)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < argv->len; i++)
    {
      g_autoptr (GPtrArray) group = g_ptr_array_new ();
      g_ptr_array_add (group, argv->pdata[i]);
      if (i > 0 && ((char *) argv->pdata[i])[0] == '-' && i + 1 < argv->len
          && ((char *) argv->pdata[i + 1])[0] != '-')
        g_ptr_array_add (group, argv->pdata[++i]);
      g_autofree char *line = bigvm_argv_to_shell (group);
      g_string_append_printf (out, "%s%s\n", line, i + 1 < argv->len ? " \\" : "");
    }
  return g_string_free (out, FALSE);
}

/* "# bigvm-test: --host=amd-48 --sysroot=epyc-2node --accel=kvm --sparse-ram --run
 * --incoming=URI"; --run plans as run and check do (refusing what show
 * only warns of), --incoming as run --incoming. */
static void
read_header (const char *text, const char **host, const char **sysroot,
             BigvmPlanOptions *options, BigvmPurpose *purpose)
{
  const char *header = strstr (text, "# bigvm-test:");
  g_autofree char *line = NULL;

  *host = "intel-46";
  *sysroot = NULL;
  *purpose = BIGVM_PURPOSE_SHOW;
  options->incoming = NULL;
  options->accel = BIGVM_ACCEL_TCG;
  options->sparse_ram = FALSE;
  if (header == NULL)
    return;
  line = g_strndup (header, strcspn (header, "\n"));
  g_auto (GStrv) words = g_strsplit (line + strlen ("# bigvm-test:"), " ", -1);
  for (char **w = words; *w != NULL; w++)
    {
      if (**w == '\0')
        continue;
      if (g_str_has_prefix (*w, "--host="))
        *host = g_intern_string (*w + strlen ("--host="));
      else if (g_str_has_prefix (*w, "--sysroot="))
        *sysroot = g_intern_string (*w + strlen ("--sysroot="));
      else if (g_str_equal (*w, "--accel=kvm"))
        options->accel = BIGVM_ACCEL_KVM;
      else if (g_str_equal (*w, "--accel=auto"))
        options->accel = BIGVM_ACCEL_AUTO;
      else if (g_str_equal (*w, "--accel=tcg"))
        options->accel = BIGVM_ACCEL_TCG;
      else if (g_str_equal (*w, "--sparse-ram"))
        options->sparse_ram = TRUE;
      else if (g_str_equal (*w, "--run"))
        *purpose = BIGVM_PURPOSE_RUN;
      else if (g_str_has_prefix (*w, "--incoming="))
        options->incoming = g_intern_string (*w + strlen ("--incoming="));
      else
        ck_abort_msg ("unknown bigvm-test option %s", *w);
    }
}

/* TEXT with every FROM replaced by TO. */
static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto (GStrv) parts = g_strsplit (text, from, -1);
  return g_strjoinv (to, parts);
}

/* What `bigvm show` makes of one flavor, through the same pipeline, for a
 * fixed host, QEMU and firmware: its warnings, then the command line or
 * the refusal.  The flavor is read from the golden directory under its
 * own name; file names in the output say /flavors for that directory.
 * NAME.abi beside it is the guest's ABI record. */
static char *
run_case (const char *name, gboolean *ret_refused)
{
  g_autofree char *dir = golden_dir ();
  g_autofree char *file = g_strconcat (name, ".flavor", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *record = g_strconcat (name, ".abi", NULL);
  g_autofree char *record_path = g_build_filename (dir, record, NULL);
  gboolean has_record = g_file_test (record_path, G_FILE_TEST_EXISTS);
  const char *host_name;
  const char *sysroot;
  BigvmPlanOptions options;
  BigvmPurpose purpose;

  ck_assert (g_file_get_contents (path, &text, NULL, NULL));
  read_header (text, &host_name, &sysroot, &options, &purpose);
  g_autoptr (BigvmPipeline) p = NULL;
  do
    {
      g_clear_pointer (&p, bigvm_pipeline_free);
      BigvmHost *host = test_host_new (host_name);
      if (sysroot != NULL)
        {
          g_autofree char *root = g_build_filename (test_srcdir (), "data", "sysroot", sysroot,
                                                    NULL);
          bigvm_host_read_system (host, root);
        }
      BigvmPipelineInput input = {
        .flavor_path = file,
        .purpose = purpose,
        .abi_record = has_record ? record : NULL,
        .incoming = options.incoming,
        .accel = options.accel,
        .sparse_ram = options.sparse_ram,
        .state_dir = "/state/bigvm",
        .host = host,
        .caps = test_caps_new (),
        .firmware = test_firmware_new (),
        .cpu_states = test_cpu_states (),
      };
      /* Relative, so that messages name the flavor as the golden files do. */
      ck_assert (chdir (dir) == 0);
      p = bigvm_pipeline_new (&input);
      ck_assert (chdir (cwd) == 0);
    }
  while (test_cpu_states_fill (p));

  GString *out = g_string_new (NULL);
  *ret_refused = p->refusal != NULL;
  if (p->refusal != NULL)
    g_string_append_printf (out, "exit %d\n", bigvm_error_exit_status (p->refusal));
  for (guint i = 0; i < p->warnings->len; i++)
    g_string_append_printf (out, "warning: %s\n", (char *) p->warnings->pdata[i]);
  if (p->refusal != NULL)
    g_string_append_printf (out, "%s\n", p->refusal->message);
  else
    {
      g_autofree char *pretty = pretty_argv (p->argv);
      g_string_append (out, pretty);
    }
  g_autofree char *got = g_string_free (out, FALSE);
  return replace_all (got, dir, "/flavors");
}

static GPtrArray *cases;

START_TEST (test_golden)
{
  const char *name = cases->pdata[_i];
  g_autofree char *dir = golden_dir ();
  gboolean refused;
  g_autofree char *got = run_case (name, &refused);
  g_autofree char *want_file = g_strconcat (name, refused ? ".err" : ".args", NULL);
  g_autofree char *other_file = g_strconcat (name, refused ? ".args" : ".err", NULL);
  g_autofree char *want_path = g_build_filename (dir, want_file, NULL);
  g_autofree char *other_path = g_build_filename (dir, other_file, NULL);
  g_autofree char *want = NULL;

  if (g_strcmp0 (g_getenv ("BIGVM_TEST_REGENERATE"), "1") == 0)
    {
      ck_assert (g_file_set_contents (want_path, got, -1, NULL));
      g_remove (other_path);
      return;
    }
  ck_assert_msg (!g_file_test (other_path, G_FILE_TEST_EXISTS),
                 "%s: expected %s, but the library %s", name, other_file,
                 refused ? "refused it" : "planned it");
  ck_assert_msg (g_file_get_contents (want_path, &want, NULL, NULL),
                 "%s is missing; BIGVM_TEST_REGENERATE=1 writes it. It would hold:\n%s",
                 want_path, got);
  ck_assert_msg (g_str_equal (got, want), "%s differs.\n--- want\n%s--- got\n%s", want_path,
                 want, got);
}
END_TEST

/* Every file in golden/ belongs to a case (libvirt's "unused file" check). */
START_TEST (test_no_orphans)
{
  g_autofree char *dir = golden_dir ();
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *file;

  ck_assert_msg (listing != NULL && cases->len > 0, "no golden cases in %s", dir);
  while ((file = g_dir_read_name (listing)) != NULL)
    {
      const char *dot = strrchr (file, '.');
      ck_assert_msg (dot != NULL, "%s: unexpected file", file);
      g_autofree char *stem = g_strndup (file, dot - file);
      ck_assert_msg (g_ptr_array_find_with_equal_func (cases, stem, g_str_equal, NULL),
                     "%s/%s belongs to no NAME.flavor", dir, file);
    }
}
END_TEST

Suite *
suite_golden (void)
{
  Suite *s = suite_create ("golden");
  TCase *tc = tcase_create ("flavors");

  cases = list_cases ();
  tcase_add_loop_test (tc, test_golden, 0, cases->len);
  tcase_add_test (tc, test_no_orphans);
  suite_add_tcase (s, tc);
  return s;
}
