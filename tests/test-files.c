/* The files a plan names, as the host has them (lib/files.c), through the
 * pipeline as run and check use it.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "tests.h"

#include "errors.h"
#include "pipeline.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static char *dir;

static void
setup (void)
{
  dir = test_tmpdir_new ();
}

static void
teardown (void)
{
  test_tmpdir_remove (dir);
  g_clear_pointer (&dir, g_free);
}

static char *
in_dir (const char *name)
{
  return g_build_filename (dir, name, NULL);
}

static void
touch (const char *name)
{
  g_autofree char *path = in_dir (name);
  ck_assert (g_file_set_contents (path, "", 0, NULL));
}

/* The pipeline, as run uses it, for a flavor of LINES (after name, ram
 * and vcpus) in DIR; the firmware descriptors name DIR's CODE.fd and
 * VARS.fd. */
static GPtrArray *
dir_firmware (void)
{
  g_autofree char *code = in_dir ("CODE.fd");
  g_autofree char *vars = in_dir ("VARS.fd");
  GPtrArray *firmware = test_firmware_new ();

  if (!g_file_test (code, G_FILE_TEST_EXISTS))
    touch ("CODE.fd");
  if (!g_file_test (vars, G_FILE_TEST_EXISTS))
    touch ("VARS.fd");
  for (guint i = 0; i < firmware->len; i++)
    {
      BigvmFirmware *f = firmware->pdata[i];
      g_free (f->code);
      g_free (f->vars_template);
      f->code = g_strdup (code);
      f->vars_template = g_strdup (vars);
    }
  return firmware;
}

static BigvmPipeline *
run (const char *name, const char *lines)
{
  g_autofree char *path = in_dir ("g.flavor");
  g_autofree char *text = g_strdup_printf ("name = %s\nram = 1G\nvcpus = 1\n%s", name, lines);
  g_autofree char *state = in_dir ("state");
  BigvmPipeline *p = NULL;

  ck_assert (g_file_set_contents (path, text, -1, NULL));
  do
    {
      g_clear_pointer (&p, bigvm_pipeline_free);
      BigvmPipelineInput input = {
        .flavor_path = path, .purpose = BIGVM_PURPOSE_RUN, .accel = BIGVM_ACCEL_TCG,
        .state_dir = state, .host = test_host_new ("intel-46"), .caps = test_caps_new (),
        .firmware = dir_firmware (), .cpu_states = test_cpu_states (),
      };
      p = bigvm_pipeline_new (&input);
    }
  while (test_cpu_states_fill (p));
  return p;
}

/* LINES refused with exactly the one finding WANT (after "g.flavor:N: "). */
static void
assert_finding (const char *name, const char *lines, const char *want)
{
  g_autoptr (BigvmPipeline) p = run (name, lines);
  ck_assert_msg (p->refusal != NULL, "accepted:\n%s", lines);
  ck_assert_int_eq (p->refusal->code, BIGVM_ERROR_UNAVAILABLE);
  g_auto (GStrv) parts = g_strsplit (want, "DIR", -1);
  g_autofree char *expanded = g_strjoinv (dir, parts);
  const char *colon = strstr (p->refusal->message, ".flavor:");
  const char *finding = colon != NULL ? strchr (colon + strlen (".flavor:"), ' ') : NULL;
  ck_assert_msg (finding != NULL && g_str_equal (finding + 1, expanded), "\ngot:  %s\nwant: %s",
                 p->refusal->message, expanded);
}

START_TEST (test_all_there)
{
  touch ("a.img");
  touch ("b.qcow2");
  touch ("c.iso");
  g_autoptr (BigvmPipeline) p = run ("g", "hw_firmware_type = uefi\nbigvm:disk.0 = a.img\n"
                                     "bigvm:disk.1 = b.qcow2\nbigvm:cdrom = c.iso\n"
                                     "bigvm:qmp = q.sock\nbigvm:pidfile = g.pid\n");
  ck_assert_msg (p->refusal == NULL, "%s", p->refusal ? p->refusal->message : "");
  gboolean said = FALSE;
  for (guint i = 0; i < p->notes->len; i++)
    said |= g_str_has_prefix (p->notes->pdata[i], "files: ");
  ck_assert (said);
}
END_TEST

START_TEST (test_missing)
{
  assert_finding ("g", "bigvm:disk.0 = none.img\n",
                  "bigvm:disk.0: DIR/none.img: No such file or directory");
  assert_finding ("g", "bigvm:cdrom = none.iso\n",
                  "bigvm:cdrom: DIR/none.iso: No such file or directory");
  assert_finding ("g", "bigvm:disk.0 = .\nbigvm:disk.0.format = raw\n",
                  "bigvm:disk.0: DIR is not a file or block device");
  assert_finding ("g", "bigvm:qmp = no/q.sock\n",
                  "bigvm:qmp: cannot make DIR/no/q.sock: DIR/no: No such file or directory");
  touch ("file");
  assert_finding ("g", "bigvm:pidfile = file/g.pid\n",
                  "bigvm:pidfile: cannot make DIR/file/g.pid: DIR/file is not a directory");
}
END_TEST

/* QEMU locks images: the same file twice, under any name, fails. */
START_TEST (test_twins)
{
  g_autofree char *a = in_dir ("a.img");
  g_autofree char *link = in_dir ("link.img");
  touch ("a.img");
  ck_assert (symlink (a, link) == 0);
  assert_finding ("g", "bigvm:disk.0 = a.img\nbigvm:disk.1 = link.img\n",
                  "bigvm:disk.1: DIR/link.img is the same file as bigvm:disk.0 (DIR/a.img)");
  assert_finding ("g", "bigvm:disk.0 = a.img\nbigvm:cdrom = a.img\n",
                  "bigvm:cdrom: DIR/a.img is the same file as bigvm:disk.0 (DIR/a.img)");
}
END_TEST

/* The guest must not write into the firmware every guest shares. */
START_TEST (test_nvram_is_firmware)
{
  g_autofree char *vars = in_dir ("VARS.fd");
  g_autofree char *hard = in_dir ("hard.fd");
  assert_finding ("g", "hw_firmware_type = uefi\nbigvm:nvram = VARS.fd\n",
                  "bigvm:nvram: DIR/VARS.fd is the firmware's variable template: the guest "
                  "would write into every guest's firmware");
  assert_finding ("g", "hw_firmware_type = uefi\nbigvm:nvram = CODE.fd\n",
                  "bigvm:nvram: DIR/CODE.fd is the firmware's code: the guest would write into "
                  "every guest's firmware");
  ck_assert (link (vars, hard) == 0);
  assert_finding ("g", "hw_firmware_type = uefi\nbigvm:nvram = hard.fd\n",
                  "bigvm:nvram: DIR/hard.fd is the firmware's variable template (DIR/VARS.fd): "
                  "the guest would write into every guest's firmware");
}
END_TEST

/* name_VARS.fd longer than a file name may be: check would say ok and
 * run fail to create it. */
START_TEST (test_nvram_name_too_long)
{
  g_autofree char *name = g_strnfill (250, 'n');
  g_autofree char *want = g_strdup_printf ("name: %.60s... (258 bytes) cannot name the guest's "
                                           "UEFI variable file: 258 bytes, and its file system "
                                           "holds names of 255; set bigvm:nvram", name);
  assert_finding (name, "hw_firmware_type = uefi\n", want);
}
END_TEST

/* show prints names: it does not look at the files. */
START_TEST (test_show_does_not_look)
{
  g_autofree char *path = in_dir ("g.flavor");
  ck_assert (g_file_set_contents (path, "name = g\nram = 1G\nvcpus = 1\nbigvm:disk.0 = x.img\n",
                                  -1, NULL));
  BigvmPipelineInput input = { .flavor_path = path, .purpose = BIGVM_PURPOSE_SHOW,
                               .accel = BIGVM_ACCEL_TCG, .host = test_host_new ("intel-46"),
                               .caps = test_caps_new (), .cpu_states = test_cpu_states () };
  g_autoptr (BigvmPipeline) p = bigvm_pipeline_new (&input);
  ck_assert_msg (p->refusal == NULL, "%s", p->refusal ? p->refusal->message : "");
  ck_assert_uint_eq (p->warnings->len, 0);
}
END_TEST

Suite *
suite_files (void)
{
  Suite *s = suite_create ("files");
  TCase *tc = tcase_create ("host");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_all_there);
  tcase_add_test (tc, test_missing);
  tcase_add_test (tc, test_twins);
  tcase_add_test (tc, test_nvram_is_firmware);
  tcase_add_test (tc, test_nvram_name_too_long);
  tcase_add_test (tc, test_show_does_not_look);
  suite_add_tcase (s, tc);
  return s;
}
