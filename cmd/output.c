/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli.h"

#include "errors.h"
#include "json-out.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int
print_fleet (const GPtrArray *hosts, gboolean json)
{
  int width = 0;

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "hosts");
      json_builder_begin_array (b);
      for (guint i = 0; i < hosts->len; i++)
        {
          const BigvmFleetHost *host = hosts->pdata[i];
          json_builder_begin_object (b);
          bigvm_json_add_string (b, "host", host->host);
          bigvm_json_add_string (b, "verdict", bigvm_fleet_verdict_name (host->verdict));
          bigvm_json_add_string (b, "reason", host->reason);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      g_autofree char *out = bigvm_json_to_string (b);
      puts (out);
    }
  else
    {
      for (guint i = 0; i < hosts->len; i++)
        width = MAX (width, (int) strlen (((BigvmFleetHost *) hosts->pdata[i])->host));
      for (guint i = 0; i < hosts->len; i++)
        {
          const BigvmFleetHost *host = hosts->pdata[i];
          g_autofree char *line = g_strdup_printf ("%-*s  %s%s%s", width, host->host,
                                                   bigvm_fleet_verdict_name (host->verdict),
                                                   host->reason != NULL ? ": " : "",
                                                   host->reason ?: "");
          print_lines (stdout, "", line);
        }
    }
  close_stdout ();
  return bigvm_fleet_any_fits (hosts) ? 0 : BIGVM_ERROR_UNAVAILABLE;
}

int
print_abi_diff (const BigvmPipeline *p, gboolean json)
{
  gboolean same = p->abi_changed->len == 0 && p->abi_gained->len == 0;

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      bigvm_json_add_bool (b, "same", same);
      bigvm_json_add_strings (b, "changed", (const char *const *) p->abi_changed->pdata,
                              p->abi_changed->len);
      bigvm_json_add_strings (b, "gained", (const char *const *) p->abi_gained->pdata,
                              p->abi_gained->len);
      json_builder_end_object (b);
      g_autofree char *out = bigvm_json_to_string (b);
      puts (out);
    }
  else
    {
      for (guint i = 0; i < p->abi_changed->len; i++)
        print_lines (stdout, "changed  ", p->abi_changed->pdata[i]);
      for (guint i = 0; i < p->abi_gained->len; i++)
        print_lines (stdout, "gained   ", p->abi_gained->pdata[i]);
      if (same)
        puts ("same     the guest is the one the record holds");
    }
  close_stdout ();
  return same ? 0 : BIGVM_ERROR_UNAVAILABLE;
}
