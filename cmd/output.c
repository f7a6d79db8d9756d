/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "cli.h"

#include "errors.h"
#include "json-out.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
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

/* ---- migrate ------------------------------------------------------------ */

static char *
sample_line (const BigvmMigrateSample *s)
{
  g_autofree char *sent = bigvm_format_size_human (s->transferred);
  g_autofree char *total = bigvm_format_size_human (s->total);
  g_autofree char *left = bigvm_format_size_human (s->remaining);
  GString *line = g_string_new (NULL);

  if (g_str_equal (s->status, "setup"))
    return g_strdup ("setup");
  g_string_append_printf (line, "%s, pass %" G_GUINT64_FORMAT ", %s sent of %s, %s left "
                          "(%" G_GUINT64_FORMAT " zero and %" G_GUINT64_FORMAT " normal pages), "
                          "dirtying %" G_GUINT64_FORMAT " pages/s, %.0f Mbit/s", s->status, s->pass,
                          sent, total, left, s->zero_pages, s->normal_pages, s->dirty_rate, s->mbps);
  if (s->expected_downtime_ms >= 0 && g_str_equal (s->status, "active"))
    g_string_append_printf (line, ", downtime %" G_GINT64_FORMAT " ms %s %u ms",
                            s->expected_downtime_ms,
                            s->expected_downtime_ms > (gint64) s->downtime_limit_ms ? ">" : "<=",
                            s->downtime_limit_ms);
  if (g_str_has_prefix (s->status, "postcopy"))
    g_string_append_printf (line, ", %" G_GUINT64_FORMAT " pages asked for by the destination",
                            s->postcopy_requests);
  return g_string_free (line, FALSE);
}

/* The bar on the terminal is a line without its end until the migration
 * ends: a message after it starts a line of its own. */
static gboolean bar_open;

void
end_migration_progress (void)
{
  if (bar_open)
    fputc ('\n', stderr);
  bar_open = FALSE;
}

void
print_migration_sample (const BigvmMigrateSample *s, gpointer json)
{
  static gint64 last_line_ms = -1;
  static char last_status[32];

  if (GPOINTER_TO_INT (json))
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      bigvm_json_add_int (b, "elapsed-ms", s->elapsed_ms);
      bigvm_json_add_string (b, "status", s->status);
      bigvm_json_add_int (b, "pass", s->pass);
      bigvm_json_add_int (b, "total", s->total);
      bigvm_json_add_int (b, "transferred", s->transferred);
      bigvm_json_add_int (b, "remaining", s->remaining);
      bigvm_json_add_int (b, "zero-pages", s->zero_pages);
      bigvm_json_add_int (b, "normal-pages", s->normal_pages);
      bigvm_json_add_int (b, "dirty-pages-rate", s->dirty_rate);
      json_builder_set_member_name (b, "mbps");
      json_builder_add_double_value (b, s->mbps);
      bigvm_json_add_int (b, "expected-downtime-ms", s->expected_downtime_ms);
      bigvm_json_add_int (b, "downtime-limit-ms", s->downtime_limit_ms);
      bigvm_json_add_int (b, "postcopy-requests", s->postcopy_requests);
      json_builder_end_object (b);
      g_autofree char *out = bigvm_json_to_string (b);
      puts (out);
      fflush (stdout);
      return;
    }
  if (opt.quiet)
    return;
  g_autofree char *line = sample_line (s);
  if (isatty (STDERR_FILENO))
    {
      /* One line, rewritten in place; it ends with the migration. */
      g_autofree char *shown = bigvm_escape_control (line);
      gboolean last = g_str_equal (s->status, "completed");
      fprintf (stderr, "\r\033[Kbigvm: migrating: %s%s", shown, last ? "\n" : "");
      bar_open = !last;
    }
  else if (last_line_ms < 0 || s->elapsed_ms - last_line_ms >= 5000
           || !g_str_equal (last_status, s->status))
    {
      print_lines (stderr, "bigvm: migrating: ", line);
      last_line_ms = s->elapsed_ms;
    }
  g_strlcpy (last_status, s->status, sizeof last_status);
  fflush (stderr);
}

void
print_migration_notice (const char *message, gpointer json)
{
  end_migration_progress ();
  print_lines (stderr, "bigvm: ", message);
  fflush (stderr);
}

void
print_migration_result (const BigvmMigrateResult *r, const char *uri, gboolean json)
{
  const char *mode = r->postcopy ? "postcopy" : "precopy";

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      bigvm_json_add_string (b, "result", "completed");
      bigvm_json_add_string (b, "mode", mode);
      bigvm_json_add_int (b, "total-time-ms", r->total_time_ms);
      bigvm_json_add_int (b, "downtime-ms", r->downtime_ms);
      bigvm_json_add_int (b, "transferred", r->transferred);
      json_builder_end_object (b);
      g_autofree char *out = bigvm_json_to_string (b);
      puts (out);
      return;
    }
  g_autofree char *sent = bigvm_format_size_human (r->transferred);
  g_autofree char *line = g_strdup_printf ("migrated to %s in %.1f s (%s), the guest stopped "
                                           "for %" G_GINT64_FORMAT " ms, %s sent; this QEMU "
                                           "has quit", uri, r->total_time_ms / 1000.0, mode,
                                           r->downtime_ms, sent);
  print_lines (stdout, "", line);
}
