/* bigvm: launch QEMU guests with very large memory from a flavor file.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "argv.h"
#include "cache.h"
#include "errors.h"
#include "explain.h"
#include "firmware.h"
#include "flavor.h"
#include "host.h"
#include "hostinfo.h"
#include "nvram.h"
#include "plan.h"
#include "preflight.h"
#include "qemu.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How long each QEMU bigvm starts to ask what it can do may take, unless
 * BIGVM_PROBE_TIMEOUT (seconds) says otherwise. */
#define PROBE_TIMEOUT_S 30

typedef enum {
  COMMAND_RUN,
  COMMAND_SHOW,
  COMMAND_EXPLAIN,
  COMMAND_CHECK,
  COMMAND_HOST,
} Command;

/* Which options a command takes. */
enum {
  TAKES_DUMP = 1 << 0,
  TAKES_PREFLIGHT = 1 << 1,
  TAKES_FLAVOR = 1 << 2,
  TAKES_QEMU_ARGS = 1 << 3,
};

static const struct {
  const char *name;
  Command command;
  const char *summary;
  const char *formats;         /* accepted --format values, first is default */
  unsigned takes;
} commands[] = {
  { "run", COMMAND_RUN, "Check FLAVOR, then replace bigvm with QEMU running it.", NULL,
    TAKES_FLAVOR | TAKES_QEMU_ARGS },
  { "show", COMMAND_SHOW, "Print the QEMU command line run would execute.", "shell,json",
    TAKES_FLAVOR | TAKES_DUMP | TAKES_QEMU_ARGS },
  { "explain", COMMAND_EXPLAIN, "Print the guest's physical address map and the bits it needs.",
    "text,json", TAKES_FLAVOR | TAKES_DUMP },
  { "check", COMMAND_CHECK, "List every check run would make, and how each came out.", NULL,
    TAKES_FLAVOR | TAKES_DUMP | TAKES_PREFLIGHT | TAKES_QEMU_ARGS },
  { "host", COMMAND_HOST, "Describe what this host (or a dumped one) and QEMU offer guests.",
    "text,json", TAKES_DUMP },
};

static char *opt_qemu;
static char *opt_accel;
static char *opt_cpuid_dump;
static gboolean opt_sparse_ram;
static char *opt_format;
static gboolean opt_preflight;
static gboolean opt_verbose;
static gboolean opt_quiet;
static gboolean opt_version;

static GOptionEntry option_entries[] = {
  { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &opt_qemu,
    "QEMU binary (default: $BIGVM_QEMU, else qemu-system-x86_64 from PATH)", "PATH" },
  { "accel", 0, 0, G_OPTION_ARG_STRING, &opt_accel,
    "Accelerator: auto (KVM when /dev/kvm is usable), kvm or tcg", "auto|kvm|tcg" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Say what bigvm decided and why", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Print no warnings", NULL },
  { NULL }
};

static GOptionEntry flavor_entries[] = {
  { "sparse-ram", 0, 0, G_OPTION_ARG_NONE, &opt_sparse_ram,
    "Map guest RAM without reserving host memory (reserve=off)", NULL },
  { NULL }
};

static GOptionEntry dump_entries[] = {
  { "cpuid-dump", 0, 0, G_OPTION_ARG_FILENAME, &opt_cpuid_dump,
    "Plan for the host whose libcpuid raw CPUID dump FILE is", "FILE" },
  { NULL }
};

static GOptionEntry format_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format, "Output format", "FORMAT" },
  { NULL }
};

static GOptionEntry preflight_entries[] = {
  { "preflight", 0, 0, G_OPTION_ARG_NONE, &opt_preflight,
    "Also start QEMU stopped with the real command line, and ask what the guest CPU got",
    NULL },
  { NULL }
};

static GOptionEntry top_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print bigvm's version", NULL },
  { NULL }
};

/* check lists every outcome on stdout; the other commands report on
 * stderr, decisions only with -v. */
static gboolean checking;

static void die (int status, const char *format, ...)
  G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN;
static void refuse (const GError *error) G_GNUC_NORETURN;

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

/* "bigvm: " or check's status column before each line of MESSAGE. */
static void
print_lines (FILE *out, const char *prefix, const char *message)
{
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);

  for (char **line = lines; *line != NULL; line++)
    fprintf (out, "%s%s\n", prefix, *line);
}

static void
close_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    die (BIGVM_ERROR_INTERNAL, "cannot write to standard output: %s", g_strerror (errno));
}

/* The end of every refusal: one line per problem, and its exit status. */
static void
refuse (const GError *error)
{
  if (checking)
    {
      print_lines (stdout, "refused  ", error->message);
      close_stdout ();
    }
  else
    print_lines (stderr, "bigvm: ", error->message);
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
report_ok (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
report_ok (const char *format, ...)
{
  va_list args;

  if (!checking && !opt_verbose)
    return;
  va_start (args, format);
  g_autofree char *text = g_strdup_vprintf (format, args);
  va_end (args);
  print_lines (checking ? stdout : stderr, checking ? "ok       " : "bigvm: ", text);
}

static void
report_warnings (const GPtrArray *warnings)
{
  if (opt_quiet && !checking)
    return;
  for (guint i = 0; i < warnings->len; i++)
    print_lines (checking ? stdout : stderr, checking ? "warning  " : "bigvm: warning: ",
                 warnings->pdata[i]);
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
      g_autofree char *message = g_strdup_printf ("--format must be one of: %s", formats);
      usage_error (command, message);
    }
  return g_intern_string (opt_format);
}

static guint
probe_timeout_ms (void)
{
  const char *env = g_getenv ("BIGVM_PROBE_TIMEOUT");
  guint64 seconds = PROBE_TIMEOUT_S;

  if (env != NULL && *env != '\0' && !bigvm_parse_uint (env, 1, 3600, &seconds, NULL))
    die (BIGVM_ERROR_USAGE, "BIGVM_PROBE_TIMEOUT=%s: not a number of seconds (1..3600)", env);
  return seconds * 1000;
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

static BigvmHost *
load_host (BigvmAccel requested, GError **error)
{
  BigvmHost *host = opt_cpuid_dump != NULL
    ? bigvm_host_from_dump (opt_cpuid_dump, error)
    : bigvm_host_probe ("/", requested != BIGVM_ACCEL_TCG, error);
  if (host == NULL)
    return NULL;
  report_ok ("host CPU: %s (%s), %u physical address bits%s, %s", host->model_name,
             host->vendor_id, host->effective_phys_bits,
             host->kernel_phys_bits != 0 && host->kernel_phys_bits < host->phys_bits
             ? " (the kernel's figure; CPUID says more, memory encryption takes the rest)" : "",
             host->source);
  return host;
}

/* QEMU's capabilities under ACCEL, with MODELS expanded: from the cache, or
 * probed and cached.  WARNINGS gets what the cache could not do. */
static BigvmQemuCaps *
load_caps (const char *accel, const char *const *models, GPtrArray *warnings, GError **error)
{
  g_autofree char *name = qemu_name ();
  g_autofree char *qemu = bigvm_qemu_find (name, error);
  g_autofree char *cache_dir = bigvm_cache_dir ();
  gboolean probed;
  BigvmQemuCaps *caps;

  if (qemu == NULL)
    return NULL;
  caps = bigvm_cache_get_caps (qemu, accel, models, cache_dir, probe_timeout_ms (), warnings,
                               &probed, error);
  if (caps == NULL)
    return NULL;
  report_ok ("QEMU: %s %u.%u.%u (%s, probed under %s)", caps->path, caps->version.major,
             caps->version.minor, caps->version.micro,
             probed ? "asked just now" : "capabilities from the cache", accel);
  return caps;
}

typedef struct {
  BigvmFlavor *flavor;
  BigvmHost *host;
  BigvmQemuCaps *caps;
  GPtrArray *firmware;
  BigvmPlan *plan;
  GError *refusal;             /* explain: why the plan cannot run */
} Pipeline;

static void
pipeline_clear (Pipeline *p)
{
  g_clear_pointer (&p->plan, bigvm_plan_free);
  g_clear_pointer (&p->firmware, g_ptr_array_unref);
  g_clear_pointer (&p->caps, bigvm_qemu_caps_free);
  g_clear_pointer (&p->host, bigvm_host_free);
  g_clear_pointer (&p->flavor, bigvm_flavor_free);
  g_clear_error (&p->refusal);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Pipeline, pipeline_clear)

/* A refusal once the flavor is read: its warnings, and the cache's, first. */
static void refuse_warned (const BigvmFlavor *flavor, const GPtrArray *warnings,
                           const GError *error) G_GNUC_NORETURN;

static void
refuse_warned (const BigvmFlavor *flavor, const GPtrArray *warnings, const GError *error)
{
  report_warnings (flavor->warnings);
  report_warnings (warnings);
  refuse (error);
}

/* Everything before the plan: the only stage that reads files and probes. */
static void
make_plan (Pipeline *p, const char *flavor_path, BigvmAccel requested, gboolean partial,
           gboolean refuse_short_host)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *accel_reason = NULL;
  g_autofree char *nvram_dir = g_build_filename (g_get_user_state_dir (), "bigvm", NULL);
  g_autofree char *nvram_dir_abs = g_canonicalize_filename (nvram_dir, NULL);
  BigvmPlanOptions options = { .accel = requested, .sparse_ram = opt_sparse_ram,
                               .nvram_dir = nvram_dir_abs };
  BigvmAccel accel;

  p->flavor = bigvm_flavor_load (flavor_path, &error);
  if (p->flavor == NULL)
    refuse (error);
  report_ok ("flavor: %s, %u keys", flavor_path, g_hash_table_size (p->flavor->lines));
  if (p->flavor->mem_path != NULL)
    options.mem_path_page_size = bigvm_hugetlbfs_page_size (p->flavor->mem_path);

  p->host = load_host (requested, &error);
  if (p->host == NULL || !bigvm_plan_choose_accel (p->host, requested, &accel, &accel_reason, &error))
    refuse_warned (p->flavor, warnings, error);

  /* QEMU is asked under the accelerator the guest will use, except for
   * another host's KVM, which this QEMU cannot see. */
  const char *probe_accel = accel == BIGVM_ACCEL_KVM && p->host->kvm == BIGVM_KVM_USABLE
                            ? "kvm" : "tcg";
  /* "host" says what KVM offers (1 GiB pages, for one). */
  const char *models[] = { bigvm_plan_cpu_model (p->flavor, accel),
                           g_str_equal (probe_accel, "kvm") ? "host" : NULL, NULL };
  p->caps = load_caps (probe_accel, models, warnings, &error);
  if (p->caps == NULL)
    refuse_warned (p->flavor, warnings, error);

  if (p->flavor->firmware == BIGVM_FIRMWARE_UEFI)
    {
      g_auto (GStrv) dirs = bigvm_firmware_search_dirs ();
      p->firmware = bigvm_firmware_load ((const char *const *) dirs, &error);
      if (p->firmware == NULL)
        refuse_warned (p->flavor, warnings, error);
    }
  else
    p->firmware = g_ptr_array_new ();

  /* explain also shows the map of a guest that does not fit. */
  p->plan = partial ? bigvm_plan_explain (p->flavor, p->host, p->caps, p->firmware, &options,
                                          &error)
                    : bigvm_plan_new (p->flavor, p->host, p->caps, p->firmware, &options, &error);
  if (p->plan == NULL)
    refuse_warned (p->flavor, warnings, error);
  p->refusal = g_steal_pointer (&error);
  for (guint i = 0; i < warnings->len; i++)
    g_ptr_array_add (p->plan->warnings, g_strdup (warnings->pdata[i]));
  for (guint i = 0; i < p->plan->notes->len; i++)
    report_ok ("%s", (char *) p->plan->notes->pdata[i]);

  /* What this host lacks: a refusal for run and check, which are about to
   * use it; a warning for show and explain, which only print. */
  if (p->refusal == NULL && !bigvm_plan_check_capacity (p->plan, p->flavor, p->host, &error))
    {
      if (refuse_short_host)
        {
          report_warnings (p->plan->warnings);
          refuse (error);
        }
      g_auto (GStrv) lines = g_strsplit (error->message, "\n", -1);
      for (char **line = lines; *line != NULL; line++)
        g_ptr_array_add (p->plan->warnings, g_strdup (*line));
    }
  else if (p->host->has_memory)
    report_ok ("capacity: the host has the memory this guest needs");
  else
    report_ok ("capacity: not checked (%s is a CPUID dump)", p->host->source);
}

/* The NVRAM file as run will find it; with CREATE, made when missing. */
static void
prepare_nvram (const BigvmPlan *plan, gboolean create)
{
  g_autoptr (GError) error = NULL;
  gboolean exists;

  if (plan->firmware == NULL)
    return;
  if (!bigvm_nvram_check (plan->nvram, &exists, &error))
    refuse (error);
  if (exists)
    report_ok ("UEFI variables: %s, as it is", plan->nvram);
  else if (!create)
    report_ok ("UEFI variables: %s, to be made from %s", plan->nvram,
               plan->firmware->vars_template);
  else if (!bigvm_nvram_create (plan->nvram, plan->firmware->vars_template, &error))
    refuse (error);
  else
    report_ok ("UEFI variables: %s, new from %s", plan->nvram, plan->firmware->vars_template);
}

/* check --preflight: the real QEMU, stopped, with the real command line
 * (a fresh copy of the template stands in for an NVRAM file run would
 * create, so nothing of the guest's is written). */
static void
preflight (BigvmPlan *plan, const BigvmQemuCaps *caps, char **extra)
{
  g_autoptr (GError) error = NULL;
  g_auto (BigvmPreflight) result = { 0 };
  gboolean exists = TRUE;
  g_autofree char *nvram = NULL;
  g_autofree char *scratch = NULL;
  g_autofree char *stand_in = NULL;

  if (plan->firmware != NULL && bigvm_nvram_check (plan->nvram, &exists, NULL) && !exists)
    {
      scratch = g_dir_make_tmp ("bigvm-nvram-XXXXXX", &error);
      stand_in = scratch != NULL ? g_build_filename (scratch, "VARS.fd", NULL) : NULL;
      if (stand_in == NULL
          || !bigvm_nvram_create (stand_in, plan->firmware->vars_template, &error))
        refuse (error);
      nvram = g_steal_pointer (&plan->nvram);
      plan->nvram = g_strdup (stand_in);
    }
  /* A running guest's QMP socket and pidfile are not this QEMU's to take. */
  g_autofree char *qmp = g_steal_pointer (&plan->qmp);
  g_autofree char *pidfile = g_steal_pointer (&plan->pidfile);
  g_autoptr (GPtrArray) argv = bigvm_argv_build (plan, caps->path, (const char *const *) extra);
  plan->qmp = g_steal_pointer (&qmp);
  plan->pidfile = g_steal_pointer (&pidfile);
  /* Huge pages are preallocated first: allow about a second per GiB and
   * thread on top of the probe's time. */
  guint timeout_ms = probe_timeout_ms ();
  if (plan->page_size != 0)
    timeout_ms += (plan->ram_bytes / BIGVM_GiB / plan->prealloc_threads + 1) * 1000;
  gboolean started = bigvm_preflight_run (argv, timeout_ms, &result, &error);
  if (stand_in != NULL)
    {
      unlink (stand_in);
      rmdir (scratch);
      g_free (plan->nvram);
      plan->nvram = g_steal_pointer (&nvram);
    }
  if (!started)
    refuse (error);

  report_ok ("preflight: QEMU started; the guest CPU got %u physical address bits, vendor %s, "
             "%s1 GiB pages", result.phys_bits, result.vendor, result.pdpe1gb ? "" : "no ");
  const char *planned_vendor = plan->guest_vendor == BIGVM_VENDOR_AMD ? "AuthenticAMD"
                               : plan->guest_vendor == BIGVM_VENDOR_INTEL ? "GenuineIntel" : NULL;
  if (result.phys_bits != plan->guest_phys_bits || result.pdpe1gb != plan->guest_pdpe1gb
      || (planned_vendor != NULL && g_strcmp0 (result.vendor, planned_vendor) != 0))
    {
      g_set_error (&error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "preflight: QEMU gave the guest CPU %u bits, vendor %s and %s1 GiB pages; "
                   "the plan was %u bits, vendor %s and %s1 GiB pages", result.phys_bits,
                   result.vendor, result.pdpe1gb ? "" : "no ", plan->guest_phys_bits,
                   planned_vendor != NULL ? planned_vendor : "other",
                   plan->guest_pdpe1gb ? "" : "no ");
      refuse (error);
    }
}

static int
host_command (const char *name, const char *format)
{
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (BigvmHost) host = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  BigvmAccel accel;

  host = load_host (BIGVM_ACCEL_AUTO, &error);
  if (host == NULL || !bigvm_plan_choose_accel (host, parse_accel (name), &accel, &reason, &error))
    refuse (error);
  caps = load_caps (accel == BIGVM_ACCEL_KVM && host->kvm == BIGVM_KVM_USABLE ? "kvm" : "tcg",
                    NULL, warnings, &error);
  if (caps == NULL)
    refuse (error);
  report_warnings (warnings);

  g_autofree char *out = g_str_equal (format, "json") ? bigvm_host_report_json (host, caps)
                                                      : bigvm_host_report_text (host, caps);
  fputs (out, stdout);
  if (g_str_equal (format, "json"))
    fputc ('\n', stdout);
  close_stdout ();
  return 0;
}

static int
run_command (Command command, const char *name, const char *format, const char *flavor_path,
             char **extra)
{
  BigvmAccel accel = parse_accel (name);
  g_auto (Pipeline) p = { 0 };

  checking = command == COMMAND_CHECK;
  make_plan (&p, flavor_path, accel, command == COMMAND_EXPLAIN,
             command == COMMAND_RUN || command == COMMAND_CHECK);

  if (command == COMMAND_EXPLAIN)
    {
      g_autofree char *out = g_str_equal (format, "json") ? bigvm_explain_json (p.plan, p.refusal)
                                                          : bigvm_explain_text (p.plan);
      if (!g_str_equal (format, "json"))
        report_warnings (p.plan->warnings);
      fputs (out, stdout);
      if (g_str_equal (format, "json"))
        fputc ('\n', stdout);
      close_stdout ();
      if (p.refusal != NULL)
        {
          print_lines (stderr, "bigvm: ", p.refusal->message);
          return bigvm_error_exit_status (p.refusal);
        }
      return 0;
    }

  if (command != COMMAND_SHOW || !g_str_equal (format, "json"))
    report_warnings (p.plan->warnings);
  if (command == COMMAND_CHECK)
    {
      prepare_nvram (p.plan, FALSE);
      if (opt_preflight)
        preflight (p.plan, p.caps, extra);
      close_stdout ();
      return 0;
    }

  g_autoptr (GPtrArray) argv = bigvm_argv_build (p.plan, p.caps->path,
                                                 (const char *const *) extra);
  if (command == COMMAND_SHOW)
    {
      if (g_str_equal (format, "json"))
        {
          g_autofree char *json = bigvm_argv_to_json (argv, p.plan->warnings);
          puts (json);
        }
      else
        {
          g_autofree char *line = bigvm_argv_to_shell (argv);
          puts (line);
        }
      close_stdout ();
      return 0;
    }

  prepare_nvram (p.plan, TRUE);
  if (p.plan->page_size != 0 && !opt_quiet)
    {
      g_autofree char *ram = bigvm_format_size_human (p.plan->ram_bytes);
      g_autofree char *page = bigvm_format_size_exact (p.plan->page_size);
      guint64 seconds = (p.plan->ram_bytes / BIGVM_GiB + p.plan->prealloc_threads - 1)
                        / p.plan->prealloc_threads;
      /* Proxmox budgets a second per GiB; a thread does about that. */
      fprintf (stderr, "bigvm: QEMU preallocates %s in %" G_GUINT64_FORMAT " pages of %s "
               "with %u threads before the guest starts: up to about %" G_GUINT64_FORMAT
               " s\n", ram, p.plan->ram_bytes / p.plan->page_size, page,
               p.plan->prealloc_threads, MAX (seconds, G_GUINT64_CONSTANT (1)));
    }
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

  setlocale (LC_ALL, "");

  /* QEMU's own arguments follow the first "--"; GOption never sees them. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        extra = argv + i + 1;
        argv[i] = NULL;
        argc = i;
        break;
      }

  if (argc < 2 || argv[1][0] == '-')
    {
      g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [OPTION...]");
      g_set_prgname ("bigvm");
      g_option_context_set_summary (context,
                                    "Commands:\n"
                                    "  run      Check FLAVOR, then replace bigvm with QEMU running it\n"
                                    "  show     Print the QEMU command line run would execute\n"
                                    "  explain  Print the guest's address map and the bits it needs\n"
                                    "  check    List every check run would make\n"
                                    "  host     Describe what this host and QEMU offer guests\n"
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

      unsigned takes = commands[i].takes;
      g_autofree char *prgname = g_strdup_printf ("bigvm %s", commands[i].name);
      g_autoptr (GOptionContext) context =
        g_option_context_new ((takes & TAKES_QEMU_ARGS) ? "FLAVOR [-- QEMU_ARG...]"
                              : (takes & TAKES_FLAVOR) ? "FLAVOR" : NULL);
      g_set_prgname (prgname);
      g_option_context_set_summary (context, commands[i].summary);
      g_option_context_set_description (context, "See bigvm(1) and bigvm-flavor(5).");
      g_option_context_add_main_entries (context, option_entries, NULL);
      if (takes & TAKES_FLAVOR)
        g_option_context_add_main_entries (context, flavor_entries, NULL);
      if (takes & TAKES_DUMP)
        g_option_context_add_main_entries (context, dump_entries, NULL);
      if (commands[i].formats != NULL)
        g_option_context_add_main_entries (context, format_entries, NULL);
      if (takes & TAKES_PREFLIGHT)
        g_option_context_add_main_entries (context, preflight_entries, NULL);
      /* Skip the command word; GOption parses what follows it. */
      argv[1] = argv[0];
      argc--;
      argv++;
      if (!g_option_context_parse (context, &argc, &argv, &error))
        usage_error (commands[i].name, error->message);

      int want = (takes & TAKES_FLAVOR) ? 2 : 1;
      g_autofree char *problem = NULL;
      if (argc < want)
        problem = g_strdup ("no FLAVOR given");
      else if (argc > want)
        problem = (takes & TAKES_FLAVOR) ? g_strdup ("more than one FLAVOR given")
                                         : g_strdup_printf ("%s takes no FLAVOR", prgname);
      else if (extra != NULL && !(takes & TAKES_QEMU_ARGS))
        problem = g_strdup_printf ("%s takes no QEMU arguments", prgname);
      if (problem != NULL)
        usage_error (commands[i].name, problem);
      if (opt_verbose && opt_quiet)
        usage_error (commands[i].name, "--verbose and --quiet exclude each other");
      if (opt_preflight && opt_cpuid_dump != NULL)
        usage_error (commands[i].name, "--preflight starts QEMU here; it cannot check "
                                       "another host (--cpuid-dump)");
      const char *format = parse_format (commands[i].name, commands[i].formats);
      probe_timeout_ms ();  /* a bad BIGVM_PROBE_TIMEOUT is a usage error, whatever else */
      if (commands[i].command == COMMAND_HOST)
        return host_command (commands[i].name, format);
      return run_command (commands[i].command, commands[i].name, format, argv[1], extra);
    }

  g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
  usage_error (NULL, message);
}
