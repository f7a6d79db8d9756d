/* bigvm's command line: the commands and options (cli.c), and how
 * findings, warnings and refusals are printed (output.c).  Only cmd/
 * prints and exits.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "fleet.h"
#include "migrate.h"
#include "pipeline.h"

#include <glib.h>
#include <stdio.h>

/* What a command takes besides the common options. */
enum {
  TAKES_FLAVOR = 1 << 0,
  TAKES_QEMU_ARGS = 1 << 1,
  TAKES_DUMP = 1 << 2,
  TAKES_PREFLIGHT = 1 << 3,
  TAKES_ABI = 1 << 4,          /* --diff, --update */
  TAKES_INCOMING = 1 << 5,     /* run --incoming, --abi, --tls-dir */
  TAKES_MIGRATE = 1 << 6,      /* migrate's options, and a URI after FLAVOR */
  TAKES_IMPORT = 1 << 7,       /* import's options, and FILE or nothing for FLAVOR */
};

typedef struct {
  const char *name;
  const char *summary;
  int (*run) (const char *flavor, char **qemu_args);
  const char *formats;         /* accepted --format values, the first the default */
  unsigned takes;
} Command;

/* The options, as parsed. */
typedef struct {
  char *qemu;
  char *accel;
  char *cpuid_dump;
  gboolean sparse_ram;
  char *format;                /* one of the command's formats, never NULL */
  gboolean preflight;
  char *diff;                  /* abi --diff=FILE */
  gboolean update;             /* abi --update */
  char *incoming;              /* run --incoming=URI */
  char *abi;                   /* run --abi=FILE */
  char *tls_dir;               /* run, migrate --tls-dir=DIR */
  char *tls_hostname;          /* migrate */
  guint64 bandwidth;           /* migrate --bandwidth, bytes/s; 0: not given */
  guint downtime_ms;           /* 0: not given */
  int postcopy;                /* -1 not given, 0 never, 1 auto */
  guint timeout_s;             /* 0: none */
  char *image;                 /* import --image=FILE */
  char *output;                /* import -o FILE */
  gboolean force;              /* import --force */
  gboolean verbose;
  gboolean quiet;
} Options;

extern Options opt;

/* The command ARGV names among COMMANDS, with its options parsed into
 * opt; *RET_FLAVOR is its FLAVOR operand, or NULL; *QEMU_ARGS what follows
 * "--".  bigvm --version is answered here; a bad command line is a usage
 * error (exit 64). */
const Command *cli_parse (int argc, char **argv, const Command *commands, gsize n_commands,
                          const char **ret_flavor, char ***ret_qemu_args);

/* migrate's URI operand, after FLAVOR. */
extern const char *cli_uri;

/* The pipeline's input from the options and the environment (BIGVM_QEMU,
 * BIGVM_PROBE_TIMEOUT). */
BigvmPipelineInput cli_pipeline_input (const char *flavor, BigvmPurpose purpose,
                                       char **qemu_args);

/* BIGVM_PROBE_TIMEOUT in milliseconds, or the default. */
guint cli_probe_timeout_ms (void);

/* ---- output.c --------------------------------------------------------- */

/* check lists every outcome on stdout; the other commands report on
 * stderr, decisions only with -v. */
extern gboolean output_checking;

void die (int status, const char *format, ...) G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN;
/* Takes MESSAGE, and frees it before exiting with status 64. */
void usage_error (const char *command, char *message) G_GNUC_NORETURN;

/* PREFIX before each line of MESSAGE, control characters escaped. */
void print_lines (FILE *out, const char *prefix, const char *message);
void close_stdout (void);

/* A decision or finding: check's "ok" lines, and -v's; NULL prints none. */
void print_note (const char *note);
void print_notes (const GPtrArray *notes);
void print_warnings (const GPtrArray *warnings);

/* migrate's output: each sample as a bar on a terminal, a line every few
 * seconds otherwise, or one JSON object per line on stdout; the notices
 * on stderr. */
void print_migration_sample (const BigvmMigrateSample *sample, gpointer json);
void print_migration_notice (const char *message, gpointer json);
void print_migration_result (const BigvmMigrateResult *result, const char *uri, gboolean json);
/* Ends the bar's line, if a bar is on the terminal. */
void end_migration_progress (void);

/* The fleet view: one line per host (or JSON), and its exit status. */
int print_fleet (const GPtrArray *hosts, gboolean json);

/* How the guest differs from a record: each line on stdout (or JSON),
 * and its exit status: 0 the same, 69 not. */
int print_abi_diff (const BigvmPipeline *pipeline, gboolean json);

/* The end of every refusal: one line per problem, and its exit status. */
void refuse (const GError *error) G_GNUC_NORETURN;

/* What the pipeline found: its decisions, then WARNINGS (unless the
 * output holds them, and there is no refusal), then its refusal. */
void report (const BigvmPipeline *pipeline, gboolean warnings);
