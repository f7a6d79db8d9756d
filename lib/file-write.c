/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "file-write.h"

#include "errors.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

static gboolean
fail_errno (GError **error, int saved_errno, const char *what, const char *path)
{
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s %s: %s", what, path,
               g_strerror (saved_errno));
  return FALSE;
}

gboolean
bigvm_file_create_new (const char *path, const char *what, const char *data, gsize len,
                       gboolean *ret_created, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  g_autofree char *writing = g_strdup_printf ("cannot write %s", what);

  *ret_created = FALSE;
  if (g_mkdir_with_parents (dir, 0700) < 0)
    return fail_errno (error, errno, "cannot create directory", dir);
  int fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return fail_errno (error, errno, "cannot create a file in", dir);
  if (!bigvm_write_all (fd, data, len) || fsync (fd) < 0)
    {
      int saved_errno = errno;
      close (fd);
      unlink (tmp);
      return fail_errno (error, saved_errno, writing, path);
    }
  if (close (fd) < 0)
    {
      int saved_errno = errno;
      unlink (tmp);
      return fail_errno (error, saved_errno, writing, path);
    }
  /* link() fails rather than replace: a file that appeared meanwhile
   * wins. */
  if (link (tmp, path) < 0)
    {
      int saved_errno = errno;
      unlink (tmp);
      if (saved_errno == EEXIST)
        return TRUE;
      return fail_errno (error, saved_errno, "cannot create", path);
    }
  unlink (tmp);
  *ret_created = TRUE;
  return TRUE;
}

gboolean
bigvm_file_replace (const char *path, const char *what, const char *data, gsize len,
                    GError **error)
{
  g_autoptr (GError) local_error = NULL;

  /* G_FILE_SET_CONTENTS_CONSISTENT: a temporary file, fsync, rename. */
  if (g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                &local_error))
    return TRUE;
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "cannot write %s: %s", what,
               local_error->message);
  return FALSE;
}
