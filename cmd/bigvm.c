/* bigvm: launch QEMU guests with very large memory from a flavor file.
 * Parses options, prints what the library found, picks the exit status
 * and execs QEMU; everything else is in lib/.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "argv.h"
#include "errors.h"
#include "explain.h"
#include "host-report.h"
#include "launch.h"
#include "nvram.h"
#include "pipeline.h"
#include "preflight.h"
#include "util.h"

#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* How long each QEMU bigvm starts to ask what it can do may take, unless
 * BIGVM_PROBE_TIMEOUT (seconds) says otherwise. */
#define PROBE_TIMEOUT_S 30

/* What a command takes besides the common options. */
enum {
  TAKES_FLAVOR = 1 << 0,
  TAKES_QEMU_ARGS = 1 << 1,
  TAKES_DUMP = 1 << 2,
  TAKES_PREFLIGHT = 1 << 3,
};

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (const char *flavor, char **qemu_args);
  const char *formats;         /* accepted --format values, the first the default */
  unsigned takes;
} Command;

static char *opt_qemu;
static char *opt_accel;
static char *opt_cpuid_dump;
static gboolean opt_sparse_ram;
static char *opt_format;
static gboolean opt_preflight;
static gboolean opt_verbose;
static gboolean opt_quiet;
static gboolean opt_version;

static const Command *command;
/* check lists every outcome on stdout; the other commands report on
 * stderr, decisions only with -v. */
static gboolean checking;

static void die (int status, const char *format, ...) G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN;
static void usage_error (const char *message) G_GNUC_NORETURN;

static void
die (int status, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *shown = bigvm_escape_control (message);
  fprintf (stderr, "bigvm: %s\n", shown);
  exit (status);
}

static void
usage_error (const char *message)
{
  g_autofree char *shown = bigvm_escape_control (message);
  fprintf (stderr, "bigvm: %s\nTry 'bigvm%s%s --help' for more information.\n", shown,
           command != NULL ? " " : "", command != NULL ? command->name : "");
  exit (BIGVM_ERROR_USAGE);
}

/* PREFIX before each line of MESSAGE, control characters escaped: file
 * names and flavor values reach the terminal as text, not as commands. */
static void
print_lines (FILE *out, const char *prefix, const char *message)
{
  g_autofree char *shown = bigvm_escape_control (message);
  g_auto (GStrv) lines = g_strsplit (shown, "\n", -1);

  for (char **line = lines; *line != NULL; line++)
    fprintf (out, "%s%s\n", prefix, *line);
}

static void
close_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    die (BIGVM_ERROR_INTERNAL, "cannot write to standard output: %s", g_strerror (errno));
}

/* A decision or finding: check's "ok" lines, and -v's. */
static void
print_note (const char *note)
{
  if (note != NULL && (checking || opt_verbose))
    print_lines (checking ? stdout : stderr, checking ? "ok       " : "bigvm: ", note);
}

static void
print_notes (const GPtrArray *notes)
{
  for (guint i = 0; i < notes->len; i++)
    print_note (notes->pdata[i]);
}

static void
print_warnings (const GPtrArray *warnings)
{
  if (opt_quiet && !checking)
    return;
  for (guint i = 0; i < warnings->len; i++)
    print_lines (checking ? stdout : stderr, checking ? "warning  " : "bigvm: warning: ",
                 warnings->pdata[i]);
}

/* The end of every refusal: one line per problem, and its exit status. */
static int
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

/* Prints what the pipeline found (decisions, then WARNINGS unless the
 * output holds them) and refuses as it did. */
static void
report (const BigvmPipeline *p, gboolean warnings)
{
  print_notes (p->notes);
  if (warnings || p->refusal != NULL)
    print_warnings (p->warnings);
  if (p->refusal != NULL)
    refuse (p->refusal);
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

static BigvmPipeline *
pipeline (const char *flavor, BigvmPurpose purpose, char **qemu_args)
{
  const char *env_qemu = g_getenv ("BIGVM_QEMU");
  BigvmPipelineInput input = {
    .flavor_path = flavor,
    .purpose = purpose,
    .sparse_ram = opt_sparse_ram,
    .cpuid_dump = opt_cpuid_dump,
    .qemu = opt_qemu ?: env_qemu != NULL && *env_qemu != '\0' ? env_qemu : "qemu-system-x86_64",
    .probe_timeout_ms = probe_timeout_ms (),
    .qemu_args = (const char *const *) qemu_args,
  };

  if (opt_accel == NULL || g_str_equal (opt_accel, "auto"))
    input.accel = BIGVM_ACCEL_AUTO;
  else if (g_str_equal (opt_accel, "kvm"))
    input.accel = BIGVM_ACCEL_KVM;
  else if (g_str_equal (opt_accel, "tcg"))
    input.accel = BIGVM_ACCEL_TCG;
  else
    usage_error ("--accel must be auto, kvm or tcg");
  return bigvm_pipeline_new (&input);
}

/* ---- the commands ----------------------------------------------------- */

static int
cmd_show (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt_format, "json");
  g_autoptr (BigvmPipeline) p = pipeline (flavor, BIGVM_PURPOSE_SHOW, qemu_args);
  g_autofree char *out = NULL;

  report (p, !json);
  out = json ? bigvm_argv_to_json (p->argv, p->warnings) : bigvm_argv_to_shell (p->argv);
  puts (out);
  close_stdout ();
  return 0;
}

static int
cmd_explain (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt_format, "json");
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

static int
cmd_check (const char *flavor, char **qemu_args)
{
  g_autoptr (BigvmPipeline) p = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *nvram = NULL;
  g_autofree char *preflight = NULL;

  checking = TRUE;
  p = pipeline (flavor, BIGVM_PURPOSE_RUN, qemu_args);
  report (p, TRUE);
  if (!bigvm_nvram_prepare (p->plan, FALSE, &nvram, &error))
    refuse (error);
  print_note (nvram);
  if (opt_preflight)
    {
      gboolean ok = bigvm_preflight_check (p->plan, p->caps, (const char *const *) qemu_args,
                                           probe_timeout_ms (), &preflight, &error);
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
  if (prealloc != NULL && !opt_quiet)
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
  die (errno == ENOENT ? 127 : 126, "cannot execute %s: %s", qemu, g_strerror (errno));
}

static int
cmd_host (const char *flavor, char **qemu_args)
{
  gboolean json = g_str_equal (opt_format, "json");
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

static const Command commands[] = {
  { "run", "Check FLAVOR, then replace bigvm with QEMU running it.", cmd_run, NULL,
    TAKES_FLAVOR | TAKES_QEMU_ARGS },
  { "show", "Print the QEMU command line run would execute.", cmd_show, "shell,json",
    TAKES_FLAVOR | TAKES_QEMU_ARGS | TAKES_DUMP },
  { "explain", "Print the guest's physical address map and the bits it needs.", cmd_explain,
    "text,json", TAKES_FLAVOR | TAKES_DUMP },
  { "check", "List every check run would make, and how each came out.", cmd_check, NULL,
    TAKES_FLAVOR | TAKES_QEMU_ARGS | TAKES_DUMP | TAKES_PREFLIGHT },
  { "host", "Describe what this host (or a dumped one) and QEMU offer guests.", cmd_host,
    "text,json", TAKES_DUMP },
};

/* ---- options ---------------------------------------------------------- */

static const GOptionEntry common_entries[] = {
  { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &opt_qemu,
    "QEMU binary (default: $BIGVM_QEMU, else qemu-system-x86_64 from PATH)", "PATH" },
  { "accel", 0, 0, G_OPTION_ARG_STRING, &opt_accel,
    "Accelerator: auto (KVM when /dev/kvm is usable), kvm or tcg", "auto|kvm|tcg" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Say what bigvm decided and why", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Print no warnings", NULL },
  { NULL }
};

static const GOptionEntry flavor_entries[] = {
  { "sparse-ram", 0, 0, G_OPTION_ARG_NONE, &opt_sparse_ram,
    "Map guest RAM without reserving host memory (reserve=off)", NULL },
  { NULL }
};

static const GOptionEntry dump_entries[] = {
  { "cpuid-dump", 0, 0, G_OPTION_ARG_FILENAME, &opt_cpuid_dump,
    "Plan for the host whose libcpuid raw CPUID dump FILE is", "FILE" },
  { NULL }
};

static const GOptionEntry format_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt_format, "Output format", "FORMAT" },
  { NULL }
};

static const GOptionEntry preflight_entries[] = {
  { "preflight", 0, 0, G_OPTION_ARG_NONE, &opt_preflight,
    "Also start QEMU stopped with the real command line, and ask what the guest CPU got",
    NULL },
  { NULL }
};

static const GOptionEntry top_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print bigvm's version", NULL },
  { NULL }
};

/* bigvm [--version]: no command word. */
static int
parse_top (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [OPTION...]");
  g_autoptr (GError) error = NULL;
  GString *summary = g_string_new ("Commands:\n");

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (summary, "  %-8s %s\n", commands[i].name, commands[i].summary);
  g_string_append (summary, "\nbigvm COMMAND --help shows the options. "
                   "See bigvm(1) and bigvm-flavor(5).");
  g_set_prgname ("bigvm");
  g_option_context_set_summary (context, summary->str);
  g_string_free (summary, TRUE);
  g_option_context_add_main_entries (context, top_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    usage_error (error->message);
  if (!opt_version && argc < 2)
    usage_error ("no command given");
  if (!opt_version)
    {
      g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
      usage_error (message);
    }
  puts (PACKAGE_STRING);
  close_stdout ();
  return 0;
}

/* COMMAND's options, after the command word; the operands are left. */
static void
parse_command (int *argc, char ***argv, char **qemu_args)
{
  unsigned takes = command->takes;
  g_autofree char *prgname = g_strdup_printf ("bigvm %s", command->name);
  g_autoptr (GOptionContext) context =
    g_option_context_new ((takes & TAKES_QEMU_ARGS) ? "FLAVOR [-- QEMU_ARG...]"
                          : (takes & TAKES_FLAVOR) ? "FLAVOR" : NULL);
  g_autoptr (GError) error = NULL;

  g_set_prgname (prgname);
  g_option_context_set_summary (context, command->summary);
  g_option_context_set_description (context, "See bigvm(1) and bigvm-flavor(5).");
  g_option_context_add_main_entries (context, common_entries, NULL);
  if (takes & TAKES_FLAVOR)
    g_option_context_add_main_entries (context, flavor_entries, NULL);
  if (takes & TAKES_DUMP)
    g_option_context_add_main_entries (context, dump_entries, NULL);
  if (command->formats != NULL)
    g_option_context_add_main_entries (context, format_entries, NULL);
  if (takes & TAKES_PREFLIGHT)
    g_option_context_add_main_entries (context, preflight_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    usage_error (error->message);

  int want = (takes & TAKES_FLAVOR) ? 2 : 1;
  if (*argc < want)
    usage_error ("no FLAVOR given");
  if (*argc > want)
    {
      g_autofree char *message = (takes & TAKES_FLAVOR)
                                 ? g_strdup ("more than one FLAVOR given")
                                 : g_strdup_printf ("%s takes no FLAVOR", prgname);
      usage_error (message);
    }
  if (qemu_args != NULL && !(takes & TAKES_QEMU_ARGS))
    {
      g_autofree char *message = g_strdup_printf ("%s takes no QEMU arguments", prgname);
      usage_error (message);
    }
  if (opt_verbose && opt_quiet)
    usage_error ("--verbose and --quiet exclude each other");
  if (opt_preflight && opt_cpuid_dump != NULL)
    usage_error ("--preflight starts QEMU here; it cannot check another host (--cpuid-dump)");
  g_auto (GStrv) formats = g_strsplit (command->formats ?: "", ",", -1);
  if (opt_format == NULL)
    opt_format = g_strdup (formats[0] != NULL ? formats[0] : "");
  else if (!g_strv_contains ((const char *const *) formats, opt_format))
    {
      g_autofree char *message = g_strdup_printf ("--format must be one of: %s",
                                                  command->formats);
      usage_error (message);
    }
  probe_timeout_ms ();  /* a bad BIGVM_PROBE_TIMEOUT is a usage error, whatever else */
}

int
main (int argc, char **argv)
{
  char **qemu_args = NULL;

  /* The character set only: bigvm's output is the same in every locale,
   * and loading all of the locale's categories costs a warm start two
   * dozen file opens. */
  setlocale (LC_CTYPE, "");

  /* QEMU's own arguments follow the first "--"; GOption never sees them. */
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        qemu_args = argv + i + 1;
        argv[i] = NULL;
        argc = i;
        break;
      }

  if (argc < 2 || argv[1][0] == '-')
    return parse_top (argc, argv);
  for (gsize i = 0; i < G_N_ELEMENTS (commands) && command == NULL; i++)
    if (g_str_equal (argv[1], commands[i].name))
      command = &commands[i];
  if (command == NULL)
    {
      g_autofree char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
      usage_error (message);
    }
  /* Skip the command word; GOption parses what follows it. */
  argv[1] = argv[0];
  argc--;
  argv++;
  parse_command (&argc, &argv, qemu_args);
  return command->run (argc > 1 ? argv[1] : NULL, qemu_args);
}
