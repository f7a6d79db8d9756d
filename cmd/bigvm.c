/* bigvm: launch QEMU guests with very large memory from a flavor file.
 * Each command is one call into lib/ and what it prints; only run execs.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli.h"

#include "argv.h"
#include "errors.h"
#include "explain.h"
#include "fleet.h"
#include "host-report.h"
#include "file-write.h"
#include "launch.h"
#include "libvirt-xml.h"
#include "nvram.h"
#include "openstack.h"
#include "preflight.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>

static int cmd_run (const char *flavor, char **qemu_args);
static int cmd_show (const char *flavor, char **qemu_args);
static int cmd_explain (const char *flavor, char **qemu_args);
static int cmd_check (const char *flavor, char **qemu_args);
static int cmd_host (const char *flavor, char **qemu_args);
static int cmd_abi (const char *flavor, char **qemu_args);
static int cmd_migrate (const char *flavor, char **qemu_args);
static int cmd_import (const char *file, char **qemu_args);

static const Command commands[] = {
  { "run", "Check FLAVOR, then replace bigvm with QEMU running it.", cmd_run, NULL,
    TAKES_FLAVOR | TAKES_QEMU_ARGS | TAKES_INCOMING },
  { "show", "Print the QEMU command line run would execute, or the guest for OpenStack or "
    "libvirt.", cmd_show, "shell,json,openstack,libvirt",
    TAKES_FLAVOR | TAKES_QEMU_ARGS | TAKES_DUMP },
  { "explain", "Print the guest's physical address map and the bits it needs.", cmd_explain,
    "text,json", TAKES_FLAVOR | TAKES_DUMP },
  { "check", "List every check run would make, and how each came out.", cmd_check, "text,json",
    TAKES_FLAVOR | TAKES_QEMU_ARGS | TAKES_DUMP | TAKES_PREFLIGHT },
  { "abi", "Print the ABI the guest gets, compare it with a record, or accept it.", cmd_abi,
    "text,json", TAKES_FLAVOR | TAKES_DUMP | TAKES_ABI },
  { "migrate", "Move the running guest of FLAVOR to the QEMU waiting at URI.", cmd_migrate,
    "text,json", TAKES_FLAVOR | TAKES_MIGRATE },
  { "import", "Print the flavor file of an OpenStack flavor (openstack flavor show -f json).",
    cmd_import, NULL, TAKES_IMPORT },
  { "host", "Describe what this host (or a dumped one) and QEMU offer guests.", cmd_host,
    "text,json", TAKES_DUMP },
};

static BigvmPipeline *
pipeline (const char *flavor, BigvmPurpose purpose, char **qemu_args)
{
  BigvmPipelineInput input = cli_pipeline_input (flavor, purpose, qemu_args);
  return bigvm_pipeline_new (&input);
}

/* ---- the commands ----------------------------------------------------- */

static int
cmd_show (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt.format, "json");
  g_autoptr (BigvmPipeline) p = pipeline (flavor, BIGVM_PURPOSE_SHOW, qemu_args);
  g_autoptr (GPtrArray) unsaid = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;

  /* Nova takes the flavor as it is: a guest this host cannot plan still
   * exports, without what bigvm would have added for it. */
  if (g_str_equal (opt.format, "openstack") && p->flavor != NULL && p->refusal != NULL)
    {
      if (!opt.quiet)
        print_lines (stderr, "bigvm: warning: not planned here, so what bigvm would add is "
                     "not said: ", p->refusal->message);
      g_clear_error (&p->refusal);
    }
  report (p, !json);
  if (g_str_equal (opt.format, "openstack"))
    out = bigvm_openstack_export (p->flavor, p->plan);
  else if (g_str_equal (opt.format, "libvirt"))
    out = bigvm_libvirt_domain_xml (p->plan, p->flavor, p->caps->path, unsaid);
  else
    out = json ? bigvm_argv_to_json (p->argv, p->warnings) : bigvm_argv_to_shell (p->argv);
  for (guint i = 0; i < unsaid->len && !opt.quiet; i++)
    print_lines (stderr, "bigvm: not in the libvirt XML: ", unsaid->pdata[i]);
  fputs (out, stdout);
  if (!g_str_has_suffix (out, "\n"))
    fputc ('\n', stdout);
  close_stdout ();
  return 0;
}

static int
cmd_explain (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt.format, "json");
  g_autoptr (BigvmPipeline) p = pipeline (flavor, BIGVM_PURPOSE_EXPLAIN, qemu_args);

  /* A guest refused for its address map still has one to show. */
  if (p->plan == NULL)
    report (p, TRUE);
  print_notes (p->notes);
  if (!json)
    print_warnings (p->warnings);
  g_autofree char *out = json ? bigvm_explain_json (p->plan, p->warnings, p->refusal)
                              : bigvm_explain_text (p->plan);
  fputs (out, stdout);
  if (json)
    fputc ('\n', stdout);
  close_stdout ();
  if (p->refusal != NULL)
    {
      print_lines (stderr, "bigvm: ", p->refusal->message);
      return bigvm_error_exit_status (p->refusal);
    }
  return 0;
}

/* --cpuid-dump=DIR: the fleet view, held to RECORD (NULL: the guest's
 * own). */
static int
fleet (const char *flavor, BigvmPurpose purpose, const BigvmAbi *record)
{
  BigvmPipelineInput input = cli_pipeline_input (flavor, purpose, NULL);
  g_autoptr (GError) error = NULL;

  input.abi_record = opt.abi;  /* RECORD is what each host is held to, not --diff's */
  g_autoptr (GPtrArray) hosts = bigvm_fleet_check (&input, opt.cpuid_dump, record, &error);

  if (hosts == NULL)
    refuse (error);
  return print_fleet (hosts, g_str_equal (opt.format, "json"));
}

static int
cmd_check (const char *flavor, char **qemu_args)
{
  g_autoptr (BigvmPipeline) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *nvram = NULL;
  g_autofree char *preflight = NULL;

  if (opt.cpuid_dump != NULL && g_file_test (opt.cpuid_dump, G_FILE_TEST_IS_DIR))
    return fleet (flavor, BIGVM_PURPOSE_RUN, NULL);
  if (g_str_equal (opt.format, "json"))
    usage_error ("check", g_strdup ("--format=json is for a folder of CPUID dumps"));
  output_checking = TRUE;
  p = pipeline (flavor, BIGVM_PURPOSE_RUN, qemu_args);
  report (p, TRUE);
  if (!bigvm_nvram_prepare (p->plan, FALSE, &nvram, &error))
    refuse (error);
  print_note (nvram);
  if (opt.preflight)
    {
      gboolean ok = bigvm_preflight_check (p, (const char *const *) qemu_args,
                                           cli_probe_timeout_ms (), &preflight, &error);
      print_note (preflight);
      if (!ok)
        refuse (error);
    }
  close_stdout ();
  return 0;
}

static int
cmd_run (const char *flavor, char **qemu_args)
{
  g_autoptr (BigvmPipeline) p = pipeline (flavor, BIGVM_PURPOSE_RUN, qemu_args);
  g_autoptr (GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  report (p, TRUE);
  if (!bigvm_launch_prepare (p, notes, &error))
    refuse (error);
  print_notes (notes);
  g_autofree char *prealloc = bigvm_launch_prealloc_message (p->plan);
  if (prealloc != NULL && !opt.quiet)
    {
      print_lines (stderr, "bigvm: ", prealloc);
      fflush (stderr);
      if (!bigvm_launch_watch_prealloc (p->plan, STDERR_FILENO, &error))
        refuse (error);
    }
  g_ptr_array_add (p->argv, NULL);
  const char *qemu = p->argv->pdata[0];
  /* What bigvm printed must be out before QEMU owns the streams. */
  if (fflush (stdout) != 0 || fflush (stderr) != 0)
    die (BIGVM_ERROR_INTERNAL, "cannot write to standard output: %s", g_strerror (errno));
  execv (qemu, (char **) p->argv->pdata);
  /* As shells and env(1) report a command they cannot run. */
  int status = errno == ENOENT ? 127 : 126;
  char failed[4096];
  g_snprintf (failed, sizeof failed, "cannot execute %s: %s", qemu, g_strerror (errno));
  g_clear_pointer (&p, bigvm_pipeline_free);
  die (status, "%s", failed);
}

static int
cmd_host (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt.format, "json");
  g_autoptr (BigvmPipeline) p = pipeline (NULL, BIGVM_PURPOSE_SHOW, NULL);
  g_autofree char *out = NULL;

  report (p, TRUE);
  out = json ? bigvm_host_report_json (p->host, p->caps) : bigvm_host_report_text (p->host, p->caps);
  fputs (out, stdout);
  if (json)
    fputc ('\n', stdout);
  close_stdout ();
  return 0;
}

/* The ABI the guest gets here, how it differs from a record, or the
 * record rewritten to it. */
static int
cmd_abi (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt.format, "json");
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmAbi) record = NULL;
  BigvmPipelineInput input = cli_pipeline_input (flavor, BIGVM_PURPOSE_ABI, qemu_args);

  input.cpuid_dump = NULL;  /* this host's guest; the dumps are for the fleet below */
  g_autoptr (BigvmPipeline) p = bigvm_pipeline_new (&input);
  if (opt.cpuid_dump != NULL)
    {
      /* Held to the record given, else the guest's own, else the guest
       * as this host gives it now (which this host must be able to say). */
      BigvmAbi **held = p->record != NULL ? &p->record : &p->abi;
      if (*held == NULL || (opt.diff != NULL && p->record == NULL))
        report (p, TRUE);
      record = g_steal_pointer (held);
      return fleet (flavor, BIGVM_PURPOSE_ABI, record);
    }
  report (p, TRUE);
  if (opt.diff != NULL)
    return print_abi_diff (p, json);
  if (opt.update)
    {
      g_autofree char *note = NULL;
      print_abi_diff (p, FALSE);
      if (!bigvm_record_update (p, &note, &error))
        refuse (error);
      print_lines (stdout, "", note);
      close_stdout ();
      return 0;
    }
  g_autofree char *out = json ? bigvm_abi_to_json (p->abi) : bigvm_abi_to_text (p->abi);
  fputs (out, stdout);
  for (guint i = 0; i < p->abi_changed->len; i++)
    print_lines (stderr, "bigvm: warning: differs from the record: ", p->abi_changed->pdata[i]);
  close_stdout ();
  return 0;
}

/* Moves the running guest, over its own QMP socket, to the QEMU that
 * bigvm run --incoming started at the URI. */
static int
cmd_migrate (const char *flavor_path, char **qemu_args)
{
  gboolean json = g_str_equal (opt.format, "json");
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) flavor = bigvm_flavor_load (flavor_path, &error);
  g_autofree char *lock = bigvm_migrate_lock_path ();
  BigvmMigrateSettings settings = { .uri = cli_uri, .tls_dir = opt.tls_dir,
                                    .tls_hostname = opt.tls_hostname,
                                    .bandwidth = opt.bandwidth, .downtime_ms = opt.downtime_ms,
                                    .timeout_s = opt.timeout_s, .lock_path = lock };
  BigvmMigrateResult result;

  if (flavor == NULL)
    refuse (error);
  print_warnings (flavor->warnings);
  bigvm_migrate_settings_init (&settings, flavor);
  settings.postcopy = opt.postcopy >= 0 ? opt.postcopy : flavor->migrate_postcopy != 0;
  if (settings.qmp == NULL)
    {
      bigvm_flavor_set_error (flavor, &error, BIGVM_ERROR_UNAVAILABLE, "bigvm:qmp",
                              "bigvm migrate talks to the running guest over its QMP socket, "
                              "and the flavor names none");
      refuse (error);
    }
  gboolean moved = bigvm_migrate (&settings, print_migration_sample, print_migration_notice,
                                  GINT_TO_POINTER (json), &result, &error);
  end_migration_progress ();
  if (!moved)
    refuse (error);
  print_migration_result (&result, cli_uri, json);
  close_stdout ();
  return 0;
}

/* An OpenStack flavor or image is a few KiB of JSON. */
#define MAX_OPENSTACK_JSON_BYTES (16 * 1024 * 1024)

/* The flavor file of an OpenStack flavor, on stdout or in a new file. */
static int
cmd_import (const char *file, char **qemu_args)
{
  g_autoptr (GError) error = NULL;
  const char *name = file == NULL || g_str_equal (file, "-") ? "(stdin)" : file;
  g_autofree char *data = NULL;
  g_autofree char *image = NULL;
  gsize len = 0, image_len = 0;

  if (!bigvm_read_input (file, MAX_OPENSTACK_JSON_BYTES, &data, &len, &error)
      || (opt.image != NULL
          && !bigvm_read_input (opt.image, MAX_OPENSTACK_JSON_BYTES, &image, &image_len, &error)))
    refuse (error);
  g_autofree char *flavor = bigvm_openstack_import (data, len, name, image, image_len, opt.image,
                                                    &error);
  if (flavor == NULL)
    refuse (error);
  if (opt.output == NULL)
    {
      fputs (flavor, stdout);
      close_stdout ();
      return 0;
    }
  gboolean created = TRUE;
  if (opt.force ? !bigvm_file_replace (opt.output, "the flavor", flavor, strlen (flavor), &error)
      : !bigvm_file_create_new (opt.output, "the flavor", flavor, strlen (flavor), &created,
                                &error))
    refuse (error);
  if (!created)
    die (BIGVM_ERROR_UNAVAILABLE, "%s exists; --force replaces it", opt.output);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *flavor;
  char **qemu_args;

  /* The character set only: bigvm's output is the same in every locale,
   * and loading all of the locale's categories costs a warm start two
   * dozen file opens. */
  setlocale (LC_CTYPE, "");
  const Command *command = cli_parse (argc, argv, commands, G_N_ELEMENTS (commands), &flavor,
                                      &qemu_args);
  return command->run (flavor, qemu_args);
}
