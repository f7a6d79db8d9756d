/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "record.h"

#include "errors.h"

gboolean
bigvm_record_keep (const BigvmPipeline *p, char **ret_note, GError **error)
{
  g_autofree char *digest = bigvm_abi_digest (p->abi);
  gboolean written;

  *ret_note = NULL;
  if (p->record != NULL)
    return TRUE;
  if (!bigvm_abi_write_new (p->abi_path, p->abi, &written, error))
    return FALSE;
  *ret_note = g_strdup_printf ("ABI record: %s, %s (%s)", p->abi_path,
                               written ? "written" : "made meanwhile by another bigvm", digest);
  return TRUE;
}

gboolean
bigvm_record_update (const BigvmPipeline *p, char **ret_note, GError **error)
{
  g_autofree char *digest = bigvm_abi_digest (p->abi);
  gboolean written;

  if (p->abi->cpu == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "the guest CPU is not known "
                   "here, so its record cannot be made here");
      return FALSE;
    }
  if (p->record == NULL)
    {
      if (!bigvm_abi_write_new (p->abi_path, p->abi, &written, error))
        return FALSE;
      *ret_note = g_strdup_printf ("ABI record: %s, written (%s)", p->abi_path, digest);
      return TRUE;
    }
  if (p->abi_changed->len == 0 && p->abi_gained->len == 0)
    {
      *ret_note = g_strdup_printf ("ABI record: %s, unchanged (%s)", p->abi_path, digest);
      return TRUE;
    }
  if (!bigvm_abi_replace (p->abi_path, p->abi, error))
    return FALSE;
  *ret_note = g_strdup_printf ("ABI record: %s, rewritten (%s)", p->abi_path, digest);
  return TRUE;
}
