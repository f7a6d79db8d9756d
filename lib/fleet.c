/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "fleet.h"

#include "errors.h"
#include "util.h"

#include <string.h>

const char *
bigvm_fleet_verdict_name (BigvmFleetVerdict verdict)
{
  static const char *const names[] = { "fits", "may fit", "refused" };
  return names[verdict];
}

static void
host_free (gpointer data)
{
  BigvmFleetHost *host = data;
  g_free (host->host);
  g_free (host->reason);
  g_free (host);
}

static char *
joined (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  return g_strjoinv ("; ", lines);
}

/* One host: planned as the guest would be there, then held to RECORD. */
static BigvmFleetHost *
check_host (const BigvmPipelineInput *input, const char *dir, const char *name,
            const BigvmAbi *record)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  BigvmPipelineInput one = *input;
  BigvmFleetHost *host = g_new0 (BigvmFleetHost, 1);
  g_autoptr (GPtrArray) proven = g_ptr_array_new_with_free_func (g_free);

  one.cpuid_dump = path;
  /* Each host is probed from its own dump: facts given in INPUT would be
   * taken over by the first pipeline. */
  g_return_val_if_fail (input->host == NULL && input->caps == NULL && input->firmware == NULL,
                        NULL);
  g_autoptr (BigvmPipeline) p = bigvm_pipeline_new (&one);
  host->host = g_strdup (name);
  if (p->refusal != NULL)
    {
      host->verdict = BIGVM_FLEET_REFUSED;
      host->reason = joined (p->refusal->message);
      return host;
    }
  const BigvmAbi *held = record ?: p->record;
  if (held != NULL && p->cpu != NULL)
    {
      /* This QEMU built the guest CPU as that host would (TCG): the
       * record and the guest there compare in full. */
      g_autoptr (GPtrArray) gained = g_ptr_array_new_with_free_func (g_free);
      bigvm_abi_compare (held, p->abi, proven, gained);
    }
  else if (held != NULL)
    {
      /* The rest compares here; the CPU is the dump's to prove. */
      g_autoptr (GPtrArray) gained = g_ptr_array_new_with_free_func (g_free);
      bigvm_abi_compare (held, p->abi, proven, gained);
      bigvm_abi_check_host (held, p->host, proven);
    }
  if (proven->len > 0)
    {
      g_ptr_array_add (proven, NULL);
      host->verdict = BIGVM_FLEET_REFUSED;
      host->reason = g_strjoinv ("; ", (char **) proven->pdata);
    }
  else if (p->cpu == NULL)
    {
      host->verdict = BIGVM_FLEET_MAY_FIT;
      host->reason = g_strdup ("KVM there decides the guest CPU: confirm with bigvm check "
                               "--preflight on that host");
    }
  else
    host->verdict = BIGVM_FLEET_FITS;
  return host;
}

GPtrArray *
bigvm_fleet_check (const BigvmPipelineInput *input, const char *dir, const BigvmAbi *record,
                   GError **error)
{
  g_autoptr (GError) open_error = NULL;
  g_autoptr (GDir) listing = g_dir_open (dir, 0, &open_error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *hosts;
  const char *name;

  if (listing == NULL && g_file_test (dir, G_FILE_TEST_IS_REGULAR))
    {
      /* One dump: the fleet of one host. */
      g_autofree char *parent = g_path_get_dirname (dir);
      g_autofree char *base = g_path_get_basename (dir);
      hosts = g_ptr_array_new_with_free_func (host_free);
      g_ptr_array_add (hosts, check_host (input, parent, base, record));
      return hosts;
    }
  if (listing == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s", open_error->message);
      return NULL;
    }
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (name[0] != '.' && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (names, g_strdup (name));
    }
  if (names->len == 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s holds no CPUID dump", dir);
      return NULL;
    }
  g_ptr_array_sort (names, bigvm_compare_strings);
  hosts = g_ptr_array_new_with_free_func (host_free);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (hosts, check_host (input, dir, names->pdata[i], record));
  return hosts;
}

gboolean
bigvm_fleet_any_fits (const GPtrArray *hosts)
{
  for (guint i = 0; i < hosts->len; i++)
    if (((BigvmFleetHost *) hosts->pdata[i])->verdict != BIGVM_FLEET_REFUSED)
      return TRUE;
  return FALSE;
}
