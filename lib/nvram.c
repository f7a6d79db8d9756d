/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "nvram.h"

#include "errors.h"
#include "file-write.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean
fail_errno (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

gboolean
bigvm_nvram_check (const char *nvram, gboolean *ret_exists, GError **error)
{
  struct stat st;

  if (lstat (nvram, &st) < 0)
    {
      if (errno != ENOENT)
        return fail_errno (error, errno, "UEFI variable file", nvram);
      *ret_exists = FALSE;
      return TRUE;
    }
  if (S_ISLNK (st.st_mode))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "UEFI variable file %s is a symbolic link; name the file itself "
                   "in bigvm:nvram", nvram);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "UEFI variable file %s is not a regular file", nvram);
      return FALSE;
    }
  /* QEMU opens it read-write; opening it so here changes nothing. */
  int fd = open (nvram, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail_errno (error, errno, "cannot open UEFI variable file", nvram);
  close (fd);
  *ret_exists = TRUE;
  return TRUE;
}

gboolean
bigvm_nvram_create (const char *nvram, const char *template, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  gboolean created, exists;
  g_autoptr (GError) read_error = NULL;

  if (!g_file_get_contents (template, &data, &len, &read_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "cannot read UEFI variable template: %s", read_error->message);
      return FALSE;
    }
  if (len == 0 || len > BIGVM_NVRAM_MAX_BYTES)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "UEFI variable template %s is %s", template,
                   len == 0 ? "empty" : "too large to be one");
      return FALSE;
    }
  if (!bigvm_file_create_new (nvram, "UEFI variable file", data, len, &created, error))
    return FALSE;
  /* One that appeared meanwhile is used if it passes the same checks. */
  return created || bigvm_nvram_check (nvram, &exists, error);
}

gboolean
bigvm_nvram_prepare (const BigvmPlan *plan, gboolean create, char **ret_note, GError **error)
{
  gboolean exists;

  *ret_note = NULL;
  if (plan->firmware == NULL)
    return TRUE;
  if (!bigvm_nvram_check (plan->nvram, &exists, error))
    return FALSE;
  if (exists)
    *ret_note = g_strdup_printf ("UEFI variables: %s, as it is", plan->nvram);
  else if (!create)
    *ret_note = g_strdup_printf ("UEFI variables: %s, to be made from %s", plan->nvram,
                                 plan->firmware->vars_template);
  else if (!bigvm_nvram_create (plan->nvram, plan->firmware->vars_template, error))
    return FALSE;
  else
    *ret_note = g_strdup_printf ("UEFI variables: %s, new from %s", plan->nvram,
                                 plan->firmware->vars_template);
  return TRUE;
}
