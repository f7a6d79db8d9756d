/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli.h"

#include "bounds.h"
#include "errors.h"
#include "util.h"

/* How long each QEMU bigvm starts to ask what it can do may take, unless
 * BIGVM_PROBE_TIMEOUT (seconds) says otherwise. */
#define PROBE_TIMEOUT_S 30

Options opt = { .postcopy = -1 };
const char *cli_uri;
static gboolean opt_version;
static char *opt_bandwidth;
static char *opt_postcopy;
static int opt_downtime = -1;  /* not given */
static int opt_timeout = -1;

static const GOptionEntry common_entries[] = {
  { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &opt.qemu,
    "QEMU binary (default: $BIGVM_QEMU, else qemu-system-x86_64 from PATH)", "PATH" },
  { "accel", 0, 0, G_OPTION_ARG_STRING, &opt.accel,
    "Accelerator: auto (KVM when /dev/kvm is usable), kvm or tcg", "auto|kvm|tcg" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt.verbose, "Say what bigvm decided and why", NULL },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt.quiet, "Print no warnings", NULL },
  { NULL }
};

static const GOptionEntry flavor_entries[] = {
  { "sparse-ram", 0, 0, G_OPTION_ARG_NONE, &opt.sparse_ram,
    "Map guest RAM without reserving host memory (reserve=off)", NULL },
  { NULL }
};

static const GOptionEntry dump_entries[] = {
  { "cpuid-dump", 0, 0, G_OPTION_ARG_FILENAME, &opt.cpuid_dump,
    "Plan for the host whose libcpuid raw CPUID dump FILE is", "FILE" },
  { NULL }
};

static const GOptionEntry format_entries[] = {
  { "format", 0, 0, G_OPTION_ARG_STRING, &opt.format, "Output format", "FORMAT" },
  { NULL }
};

static const GOptionEntry preflight_entries[] = {
  { "preflight", 0, 0, G_OPTION_ARG_NONE, &opt.preflight,
    "Also start QEMU stopped with the real command line, and ask what the guest CPU got",
    NULL },
  { NULL }
};

static const GOptionEntry abi_entries[] = {
  { "diff", 0, 0, G_OPTION_ARG_FILENAME, &opt.diff,
    "Compare the guest with the ABI record FILE (from another host, say)", "FILE" },
  { "update", 0, 0, G_OPTION_ARG_NONE, &opt.update,
    "Accept the guest as it is now: print the differences and rewrite its record", NULL },
  { NULL }
};

static const GOptionEntry incoming_entries[] = {
  { "incoming", 0, 0, G_OPTION_ARG_STRING, &opt.incoming,
    "Start QEMU waiting for the guest's migration on URI (unix:PATH or tcp:HOST:PORT)", "URI" },
  { "abi", 0, 0, G_OPTION_ARG_FILENAME, &opt.abi,
    "With --incoming: the source's ABI record (default: the guest's own)", "FILE" },
  { "tls-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.tls_dir,
    "With --incoming: TLS with the server credentials in DIR", "DIR" },
  { NULL }
};

static const GOptionEntry migrate_entries[] = {
  { "tls-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.tls_dir,
    "TLS with the client credentials in DIR", "DIR" },
  { "tls-hostname", 0, 0, G_OPTION_ARG_STRING, &opt.tls_hostname,
    "The name the destination's certificate must hold", "NAME" },
  { "bandwidth", 0, 0, G_OPTION_ARG_STRING, &opt_bandwidth,
    "At most RATE bytes per second, K, M or G allowed (default: unlimited)", "RATE" },
  { "downtime", 0, 0, G_OPTION_ARG_INT, &opt_downtime,
    "The longest the guest may stop at the end (default: 300)", "MS" },
  { "postcopy", 0, 0, G_OPTION_ARG_STRING, &opt_postcopy,
    "Switch to postcopy when precopy does not converge (default: auto)", "auto|never" },
  { "timeout", 0, 0, G_OPTION_ARG_INT, &opt_timeout,
    "Cancel after SECONDS; the guest runs on here", "SECONDS" },
  { NULL }
};

static const GOptionEntry import_entries[] = {
  { "image", 0, 0, G_OPTION_ARG_FILENAME, &opt.image,
    "The image's properties too, from `openstack image show -f json`", "FILE" },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
    "Write the flavor to FILE, which must not exist", "FILE" },
  { "force", 0, 0, G_OPTION_ARG_NONE, &opt.force, "With -o: replace FILE", NULL },
  { NULL }
};

static const GOptionEntry top_entries[] = {
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print bigvm's version", NULL },
  { NULL }
};

/* bigvm [--version]: no command word.  What is wrong, or NULL when
 * --version was asked and answered. */
static char *
parse_top (int argc, char **argv, const Command *commands, gsize n_commands)
{
  g_autoptr (GOptionContext) context = g_option_context_new ("COMMAND [OPTION...]");
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) summary = g_string_new ("Commands:\n");

  for (gsize i = 0; i < n_commands; i++)
    g_string_append_printf (summary, "  %-8s %s\n", commands[i].name, commands[i].summary);
  g_string_append (summary, "\nbigvm COMMAND --help shows the options. "
                   "See bigvm(1) and bigvm-flavor(5).");
  g_set_prgname ("bigvm");
  g_option_context_set_summary (context, summary->str);
  g_option_context_add_main_entries (context, top_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return g_strdup (error->message);
  if (!opt_version)
    return argc < 2 ? g_strdup ("no command given")
                    : g_strdup_printf ("unknown command \"%s\"", argv[1]);
  puts (PACKAGE_STRING);
  return NULL;
}

/* run --incoming's and migrate's options, each within its bounds. */
static char *
check_migration_options (unsigned takes, const char *uri)
{
  g_autoptr (GError) error = NULL;

  if ((takes & TAKES_INCOMING) && opt.incoming == NULL && (opt.abi != NULL || opt.tls_dir != NULL))
    return g_strdup ("--abi and --tls-dir go with --incoming");
  if (opt.incoming != NULL && !bigvm_migrate_check_uri (opt.incoming, "--incoming", TRUE, &error))
    return g_strdup (error->message);
  if (!(takes & TAKES_MIGRATE))
    return NULL;
  if (!bigvm_migrate_check_uri (uri, "URI", FALSE, &error))
    return g_strdup (error->message);
  if (opt_bandwidth != NULL && !bigvm_parse_rate (opt_bandwidth, &opt.bandwidth, &error))
    return g_strdup_printf ("--bandwidth=%s: %s", opt_bandwidth, error->message);
  if (opt_downtime != -1 && (opt_downtime < 1 || opt_downtime > BIGVM_MIGRATE_MAX_DOWNTIME_MS))
    return g_strdup_printf ("--downtime must be from 1 to %d ms", BIGVM_MIGRATE_MAX_DOWNTIME_MS);
  opt.downtime_ms = MAX (opt_downtime, 0);
  if (opt_timeout != -1 && opt_timeout < 1)
    return g_strdup ("--timeout must be a positive number of seconds");
  opt.timeout_s = MAX (opt_timeout, 0);
  if (opt_postcopy != NULL && !g_str_equal (opt_postcopy, "auto")
      && !g_str_equal (opt_postcopy, "never"))
    return g_strdup ("--postcopy must be auto or never");
  if (opt_postcopy != NULL)
    opt.postcopy = g_str_equal (opt_postcopy, "auto");
  return NULL;
}

/* COMMAND's options, after the command word; the operands are left.
 * What is wrong with them, or NULL: the caller reports it once this
 * function's allocations are freed. */
static char *
parse_command (const Command *command, int *argc, char ***argv, char **qemu_args)
{
  unsigned takes = command->takes;
  g_autofree char *prgname = g_strdup_printf ("bigvm %s", command->name);
  g_autoptr (GOptionContext) context =
    g_option_context_new ((takes & TAKES_QEMU_ARGS) ? "FLAVOR [-- QEMU_ARG...]"
                          : (takes & TAKES_MIGRATE) ? "FLAVOR URI"
                          : (takes & TAKES_IMPORT) ? "[FILE|-]"
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
  if (takes & TAKES_ABI)
    g_option_context_add_main_entries (context, abi_entries, NULL);
  if (takes & TAKES_INCOMING)
    g_option_context_add_main_entries (context, incoming_entries, NULL);
  if (takes & TAKES_MIGRATE)
    g_option_context_add_main_entries (context, migrate_entries, NULL);
  if (takes & TAKES_IMPORT)
    g_option_context_add_main_entries (context, import_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    return g_strdup (error->message);

  int want = (takes & TAKES_MIGRATE) ? 3 : (takes & TAKES_FLAVOR) ? 2 : 1;
  if ((takes & TAKES_IMPORT) && *argc > 2)
    return g_strdup ("more than one FILE given");
  if ((takes & TAKES_IMPORT) && opt.force && opt.output == NULL)
    return g_strdup ("--force goes with -o");
  if (takes & TAKES_IMPORT)
    want = *argc;
  if (*argc < 2 && (takes & TAKES_FLAVOR))
    return g_strdup ("no FLAVOR given");
  if (*argc < want)
    return g_strdup ("no URI given after FLAVOR");
  if (*argc > want)
    return (takes & TAKES_MIGRATE) ? g_strdup ("more than FLAVOR and URI given")
           : (takes & TAKES_FLAVOR) ? g_strdup ("more than one FLAVOR given")
                                    : g_strdup_printf ("%s takes no FLAVOR", prgname);
  if (qemu_args != NULL && !(takes & TAKES_QEMU_ARGS))
    return g_strdup_printf ("%s takes no QEMU arguments", prgname);
  if (opt.verbose && opt.quiet)
    return g_strdup ("--verbose and --quiet exclude each other");
  if (opt.preflight && opt.cpuid_dump != NULL)
    return g_strdup ("--preflight starts QEMU here; it cannot check another host (--cpuid-dump)");
  char *problem = check_migration_options (takes, *argc > 2 ? (*argv)[2] : NULL);
  if (problem != NULL)
    return problem;
  if (opt.update && (opt.diff != NULL || opt.cpuid_dump != NULL))
    return g_strdup ("--update rewrites this guest's own record, here: not with --diff or "
                     "--cpuid-dump");
  if (opt.accel != NULL
      && !g_strv_contains ((const char *const[]) { "auto", "kvm", "tcg", NULL }, opt.accel))
    return g_strdup ("--accel must be auto, kvm or tcg");
  g_auto (GStrv) formats = g_strsplit (command->formats ?: "", ",", -1);
  if (opt.format == NULL)
    opt.format = g_strdup (formats[0] != NULL ? formats[0] : "");
  else if (!g_strv_contains ((const char *const *) formats, opt.format))
    return g_strdup_printf ("--format must be one of: %s", command->formats);
  return NULL;
}

const Command *
cli_parse (int argc, char **argv, const Command *commands, gsize n_commands,
           const char **ret_flavor, char ***ret_qemu_args)
{
  /* QEMU's own arguments follow the first "--"; GOption never sees them. */
  *ret_qemu_args = NULL;
  for (int i = 1; i < argc; i++)
    if (g_str_equal (argv[i], "--"))
      {
        *ret_qemu_args = argv + i + 1;
        argv[i] = NULL;
        argc = i;
        break;
      }
  if (argc < 2 || argv[1][0] == '-')
    {
      char *problem = parse_top (argc, argv, commands, n_commands);
      if (problem != NULL)
        usage_error (NULL, problem);
      close_stdout ();
      exit (0);
    }
  gsize found = 0;
  while (found < n_commands && !g_str_equal (argv[1], commands[found].name))
    found++;
  if (found == n_commands)
    {
      char *message = g_strdup_printf ("unknown command \"%s\"", argv[1]);
      usage_error (NULL, message);
    }
  const Command *command = &commands[found];
  /* Skip the command word; GOption parses what follows it. */
  argv[1] = argv[0];
  argc--;
  argv++;
  char *problem = parse_command (command, &argc, &argv, *ret_qemu_args);
  if (problem != NULL)
    usage_error (command->name, problem);
  cli_probe_timeout_ms ();  /* a bad BIGVM_PROBE_TIMEOUT is a usage error, whatever else */
  *ret_flavor = argc > 1 ? argv[1] : NULL;
  cli_uri = argc > 2 ? argv[2] : NULL;
  return command;
}

guint
cli_probe_timeout_ms (void)
{
  const char *env = g_getenv ("BIGVM_PROBE_TIMEOUT");
  guint64 seconds = PROBE_TIMEOUT_S;

  if (env != NULL && *env != '\0' && !bigvm_parse_uint (env, 1, 3600, &seconds, NULL))
    die (BIGVM_ERROR_USAGE, "BIGVM_PROBE_TIMEOUT=%s: not a number of seconds (1..3600)", env);
  return seconds * 1000;
}

BigvmPipelineInput
cli_pipeline_input (const char *flavor, BigvmPurpose purpose, char **qemu_args)
{
  const char *env_qemu = g_getenv ("BIGVM_QEMU");
  BigvmPipelineInput input = {
    .flavor_path = flavor,
    .purpose = purpose,
    .accel = g_strcmp0 (opt.accel, "kvm") == 0 ? BIGVM_ACCEL_KVM
             : g_strcmp0 (opt.accel, "tcg") == 0 ? BIGVM_ACCEL_TCG : BIGVM_ACCEL_AUTO,
    .sparse_ram = opt.sparse_ram,
    .cpuid_dump = opt.cpuid_dump,
    .qemu = opt.qemu ?: env_qemu != NULL && *env_qemu != '\0' ? env_qemu : "qemu-system-x86_64",
    .probe_timeout_ms = cli_probe_timeout_ms (),
    .qemu_args = (const char *const *) qemu_args,
    .abi_record = opt.diff ?: opt.abi,
    .abi_update = opt.update,
    .incoming = opt.incoming,
    .incoming_tls_dir = opt.tls_dir,
  };
  return input;
}
