/* bigvm: launch QEMU guests with very large memory from a flavor file.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "argv.h"
#include "errors.h"
#include "explain.h"
#include "firmware.h"
#include "flavor.h"
#include "host.h"
#include "nvram.h"
#include "plan.h"
#include "qemu.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum {
  COMMAND_RUN,
  COMMAND_SHOW,
  COMMAND_EXPLAIN,
} Command;

static const struct {
  const char *name;
  Command command;
  const char *summary;
  const char *formats;         /* accepted --format values, first is default */
} commands[] = {
  { "run", COMMAND_RUN, "Check FLAVOR, then replace bigvm with QEMU running it.", NULL },
  { "show", COMMAND_SHOW, "Print the QEMU command line run would execute.", "shell,json" },
  { "explain", COMMAND_EXPLAIN, "Print the guest's physical address map and the bits it needs.",
    "text,json" },
};

static char *opt_qemu;
static char *opt_accel;
static char *opt_cpuid_dump;
static gboolean opt_sparse_ram;
static char *opt_format;
static gboolean opt_verbose;
static gboolean opt_quiet;
static gboolean opt_version;

static GOptionEntry option_entries[] = {
  { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &opt_qemu,
    "QEMU binary (default: $BIGVM_QEMU, else qemu-system-x86_64 from PATH)", "PATH" },
  { "accel", 0, 0, G_OPTION_ARG_STRING, &opt_accel,
    "Accelerator: auto (KVM when /dev/kvm is usable), kvm or tcg", "auto|kvm|tcg" },
  { "cpuid-dump", 0, 0, G_OPTION_ARG_FILENAME, &opt_cpuid_dump,
    "Plan for the host whose libcpuid raw CPUID dump FILE is", "FILE" },
  { "sparse-ram", 0, 0, G_OPTION_ARG_NONE, &opt_sparse_ram,
    "Map guest RAM without reserving host memory (reserve=off)", NULL },
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format,
    "Output format: shell or json (show), text or json (explain)", "FORMAT" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Say what bigvm decided and why", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Print no warnings", NULL },
  { NULL }
};

static GOptionEntry top_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print bigvm's version", NULL },
  { NULL }
};

static void die (int status, const char *format, ...)
  G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN;
static void die_with_error (const GError *error) G_GNUC_NORETURN;

static void
die (int status, const char *format, ...)
{
  va_list args;

  fputs ("bigvm: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  exit (status);
}

/* One "bigvm: " line per line of the message: a flavor with several
 * problems reports them all. */
static void
print_lines (const char *prefix, const char *message)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);

  for (char **line = lines; *line != NULL; line++)
    fprintf (stderr, "bigvm: %s%s\n", prefix, *line);
}

static void
die_with_error (const GError *error)
{
  print_lines ("", error->message);
  exit (bigvm_error_exit_status (error));
}

static void
usage_error (const char *command, const char *message)
{
  fprintf (stderr, "bigvm: %s\nTry 'bigvm%s%s --help' for more information.\n",
           message, command != NULL ? " " : "", command != NULL ? command : "");
  exit (BIGVM_ERROR_USAGE);
}

static void
verbose (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
verbose (const char *format, ...)
{
  va_list args;

  if (!opt_verbose)
    return;
  fputs ("bigvm: ", stderr);
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
}

static void
print_warnings (const GPtrArray *warnings)
{
  if (opt_quiet)
    return;
  for (guint i = 0; i < warnings->len; i++)
    print_lines ("warning: ", warnings->pdata[i]);
}

static BigvmAccel
parse_accel (const char *command)
{
  if (opt_accel == NULL || g_str_equal (opt_accel, "auto"))
    return BIGVM_ACCEL_AUTO;
  if (g_str_equal (opt_accel, "kvm"))
    return BIGVM_ACCEL_KVM;
  if (g_str_equal (opt_accel, "tcg"))
    return BIGVM_ACCEL_TCG;
  usage_error (command, "--accel must be auto, kvm or tcg");
  g_assert_not_reached ();
}

static const char *
parse_format (const char *command, const char *formats)
{
  g_auto (GStrv) allowed = g_strsplit (formats != NULL ? formats : "", ",", -1);

  if (opt_format == NULL)
    return allowed[0] != NULL ? g_intern_string (allowed[0]) : NULL;
  if (!g_strv_contains ((const char *const *) allowed, opt_format))
    {
      g_autofree char *message = formats != NULL
        ? g_strdup_printf ("--format must be one of: %s", formats)
        : g_strdup_printf ("%s has no --format option", command);
      usage_error (command, message);
    }
  return g_intern_string (opt_format);
}

static char *
qemu_name (void)
{
  const char *env = g_getenv ("BIGVM_QEMU");

  if (opt_qemu != NULL)
    return g_strdup (opt_qemu);
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_strdup ("qemu-system-x86_64");
}

static void
close_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    die (BIGVM_ERROR_INTERNAL, "cannot write to standard output: %s", g_strerror (errno));
}

/* How long each QEMU bigvm starts to ask what it can do may take. */
#define PROBE_TIMEOUT_MS 30000

/* Everything before the plan: the only stage that reads files and probes. */
static BigvmPlan *
make_plan (const char *flavor_path, BigvmFlavor **ret_flavor, BigvmQemuCaps **ret_caps,
           GPtrArray **ret_firmware, BigvmAccel requested, GError **ret_refusal)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) flavor = NULL;
  g_autoptr (BigvmHost) host = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autoptr (GPtrArray) firmware = NULL;
  g_autofree char *qemu = NULL;
  g_autofree char *accel_reason = NULL;
  g_autofree char *nvram_dir = g_build_filename (g_get_user_state_dir (), "bigvm", NULL);
  g_autofree char *nvram_dir_abs = g_canonicalize_filename (nvram_dir, NULL);
  BigvmPlanOptions options = { requested, opt_sparse_ram, nvram_dir_abs };
  BigvmAccel accel;
  BigvmPlan *plan;

  flavor = bigvm_flavor_load (flavor_path, &error);
  if (flavor == NULL)
    die_with_error (error);

  host = opt_cpuid_dump != NULL ? bigvm_host_from_dump (opt_cpuid_dump, &error)
                                : bigvm_host_probe (&error);
  if (host == NULL || !bigvm_plan_choose_accel (host, requested, &accel, &accel_reason, &error))
    die_with_error (error);

  /* QEMU is asked under the accelerator the guest will use, except for
   * another host's KVM, which this QEMU cannot see. */
  const char *probe_accel = accel == BIGVM_ACCEL_KVM && host->kvm == BIGVM_KVM_USABLE
                            ? "kvm" : "tcg";
  const char *models[] = { bigvm_plan_cpu_model (flavor, accel), NULL };
  qemu = bigvm_qemu_find (qemu_name (), &error);
  if (qemu == NULL)
    die_with_error (error);
  caps = bigvm_qemu_probe (qemu, probe_accel, models, PROBE_TIMEOUT_MS, &error);
  if (caps == NULL)
    die_with_error (error);

  if (flavor->firmware == BIGVM_FIRMWARE_UEFI)
    {
      g_auto (GStrv) dirs = bigvm_firmware_search_dirs ();
      firmware = bigvm_firmware_load ((const char *const *) dirs, &error);
      if (firmware == NULL)
        die_with_error (error);
    }
  else
    firmware = g_ptr_array_new ();

  /* explain also shows the map of a guest that does not fit. */
  plan = ret_refusal != NULL ? bigvm_plan_explain (flavor, host, caps, firmware, &options, &error)
                             : bigvm_plan_new (flavor, host, caps, firmware, &options, &error);
  if (plan == NULL)
    die_with_error (error);
  if (ret_refusal != NULL)
    *ret_refusal = g_steal_pointer (&error);
  for (guint i = 0; i < plan->notes->len; i++)
    verbose ("%s", (char *) plan->notes->pdata[i]);

  *ret_flavor = g_steal_pointer (&flavor);
  *ret_caps = g_steal_pointer (&caps);
  *ret_firmware = g_steal_pointer (&firmware);
  return plan;
}

static void
prepare_nvram (const BigvmPlan *plan)
{
  g_autoptr (GError) error = NULL;
  gboolean exists;

  if (plan->firmware == NULL)
    return;
  if (!bigvm_nvram_check (plan->nvram, &exists, &error))
    die_with_error (error);
  if (exists)
    {
      verbose ("UEFI variables in %s", plan->nvram);
      return;
    }
  if (!bigvm_nvram_create (plan->nvram, plan->firmware->vars_template, &error))
    die_with_error (error);
  verbose ("UEFI variables in %s, new from %s", plan->nvram, plan->firmware->vars_template);
}

static int
run_command (Command command, const char *name, const char *formats,
             const char *flavor_path, char **extra)
{
  BigvmAccel accel = parse_accel (name);

  if (command == COMMAND_RUN && opt_cpuid_dump != NULL)
    usage_error (name, "--cpuid-dump plans for another host; run cannot start a guest there");
  const char *format = parse_format (name, formats);
  g_autoptr (BigvmFlavor) flavor = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autoptr (GPtrArray) firmware = NULL;
  g_autoptr (GError) refusal = NULL;
  g_autoptr (BigvmPlan) plan = make_plan (flavor_path, &flavor, &caps, &firmware, accel,
                                          command == COMMAND_EXPLAIN ? &refusal : NULL);

  if (command == COMMAND_EXPLAIN)
    {
      g_autofree char *out = g_str_equal (format, "json") ? bigvm_explain_json (plan, refusal)
                                                          : bigvm_explain_text (plan);
      print_warnings (plan->warnings);
      fputs (out, stdout);
      if (g_str_equal (format, "json"))
        fputc ('\n', stdout);
      close_stdout ();
      if (refusal != NULL)
        die_with_error (refusal);
      return 0;
    }

  g_autoptr (GPtrArray) argv = bigvm_argv_build (plan, caps->path, (const char *const *) extra);
  if (command == COMMAND_SHOW)
    {
      if (g_str_equal (format, "json"))
        {
          g_autofree char *json = bigvm_argv_to_json (argv, plan->warnings);
          puts (json);
        }
      else
        {
          g_autofree char *line = bigvm_argv_to_shell (argv);
          print_warnings (plan->warnings);
          puts (line);
        }
      close_stdout ();
      return 0;
    }

  print_warnings (plan->warnings);
  prepare_nvram (plan);
  g_ptr_array_add (argv, NULL);
  fflush (stdout);
  fflush (stderr);
  execv (argv->pdata[0], (char **) argv->pdata);
  die (BIGVM_ERROR_UNAVAILABLE, "cannot execute %s: %s", (char *) argv->pdata[0],
       g_strerror (errno));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  char **extra = NULL;
  int split = argc;

  setlocale (LC_ALL, "");

  /* QEMU's own arguments follow the first "--"; GOption never sees them. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        split = i;
        extra = argv + i + 1;
        break;
      }
  argv[split] = NULL;
  argc = split;

  if (argc < 2 || argv[1][0] == '-')
    {
      g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [OPTION...] FLAVOR [-- QEMU_ARG...]");
      g_set_prgname ("bigvm");
      g_option_context_set_summary (context,
                                    "Commands:\n"
                                    "  run     Check FLAVOR, then replace bigvm with QEMU running it\n"
                                    "  show    Print the QEMU command line run would execute\n"
                                    "  explain Print the guest's physical address map and the bits it needs\n"
                                    "\nbigvm COMMAND --help shows the options. See bigvm(1) and bigvm-flavor(5).");
      g_option_context_add_main_entries (context, top_entries, NULL);
      if (!g_option_context_parse (context, &argc, &argv, &error))
        usage_error (NULL, error->message);
      if (opt_version)
        {
          puts (PACKAGE_STRING);
          close_stdout ();
          return 0;
        }
      if (argc < 2)
        usage_error (NULL, "no command given");
      g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
      usage_error (NULL, message);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (!g_str_equal (argv[1], commands[i].name))
        continue;

      g_autofree char *prgname = g_strdup_printf ("bigvm %s", commands[i].name);
      g_autoptr (GOptionContext) context = g_option_context_new ("FLAVOR [-- QEMU_ARG...]");
      g_set_prgname (prgname);
      g_option_context_set_summary (context, commands[i].summary);
      g_option_context_set_description (context, "See bigvm(1) and bigvm-flavor(5).");
      g_option_context_add_main_entries (context, option_entries, NULL);
      /* Skip the command word; GOption parses what follows it. */
      argv[1] = argv[0];
      argc--;
      argv++;
      if (!g_option_context_parse (context, &argc, &argv, &error))
        usage_error (commands[i].name, error->message);
      if (argc != 2)
        usage_error (commands[i].name, argc < 2 ? "no FLAVOR given"
                                                : "more than one FLAVOR given");
      if (opt_verbose && opt_quiet)
        usage_error (commands[i].name, "--verbose and --quiet exclude each other");
      return run_command (commands[i].command, commands[i].name, commands[i].formats,
                          argv[1], extra);
    }

  g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
  usage_error (NULL, message);
}
