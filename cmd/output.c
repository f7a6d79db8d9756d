/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli.h"

#include "errors.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>

gboolean output_checking;

void
die (int status, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  char *message = g_strdup_vprintf (format, args);
  va_end (args);
  char *shown = bigvm_escape_control (message);
  fprintf (stderr, "bigvm: %s\n", shown);
  /* Freed, not left to exit: the sanitizer build counts what is left. */
  g_free (shown);
  g_free (message);
  exit (status);
}

void
usage_error (const char *command, char *message)
{
  char *shown = bigvm_escape_control (message);
  fprintf (stderr, "bigvm: %s\nTry 'bigvm%s%s --help' for more information.\n", shown,
           command != NULL ? " " : "", command != NULL ? command : "");
  g_free (shown);
  g_free (message);
  exit (BIGVM_ERROR_USAGE);
}

/* Control characters escaped: file names and flavor values reach the
 * terminal as text, not as commands. */
void
print_lines (FILE *out, const char *prefix, const char *message)
{
  g_autofree char *shown = bigvm_escape_control (message);
  g_auto (GStrv) lines = g_strsplit (shown, "\n", -1);

  for (char **line = lines; *line != NULL; line++)
    fprintf (out, "%s%s\n", prefix, *line);
}

void
close_stdout (void)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    die (BIGVM_ERROR_INTERNAL, "cannot write to standard output: %s", g_strerror (errno));
}

void
print_note (const char *note)
{
  if (note != NULL && (output_checking || opt.verbose))
    print_lines (output_checking ? stdout : stderr, output_checking ? "ok       " : "bigvm: ",
                 note);
}

void
print_notes (const GPtrArray *notes)
{
  for (guint i = 0; i < notes->len; i++)
    print_note (notes->pdata[i]);
}

void
print_warnings (const GPtrArray *warnings)
{
  if (opt.quiet && !output_checking)
    return;
  for (guint i = 0; i < warnings->len; i++)
    print_lines (output_checking ? stdout : stderr,
                 output_checking ? "warning  " : "bigvm: warning: ", warnings->pdata[i]);
}

void
refuse (const GError *error)
{
  if (output_checking)
    {
      print_lines (stdout, "refused  ", error->message);
      close_stdout ();
    }
  else
    print_lines (stderr, "bigvm: ", error->message);
  exit (bigvm_error_exit_status (error));
}

void
report (const BigvmPipeline *p, gboolean warnings)
{
  print_notes (p->notes);
  if (warnings || p->refusal != NULL)
    print_warnings (p->warnings);
  if (p->refusal != NULL)
    refuse (p->refusal);
}
