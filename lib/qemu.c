/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qemu.h"

#include "errors.h"
#include "spawn.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static gboolean
parse_component (const char **p, guint *ret)
{
  guint64 value = 0;
  const char *start = *p;

  while (g_ascii_isdigit (**p) && *p - start < 6)
    value = value * 10 + (guint) (*(*p)++ - '0');
  if (*p == start || g_ascii_isdigit (**p))
    return FALSE;
  *ret = value;
  return TRUE;
}

gboolean
bigvm_qemu_parse_version (const char *output, BigvmVersion *ret_version,
                          GError **error)
{
  const char *newline = strchr (output, '\n');
  g_autofree char *first_line = newline != NULL ? g_strndup (output, newline - output)
                                                : g_strdup (output);
  const char *p = strstr (first_line, " version ");
  BigvmVersion version = { 0, 0, 0 };

  /* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)";
   * the micro part is optional in old releases ("0.15"). */
  if (g_str_has_prefix (first_line, "QEMU ") && p != NULL)
    {
      p += strlen (" version ");
      if (parse_component (&p, &version.major) && *p++ == '.'
          && parse_component (&p, &version.minor)
          && (*p != '.' || (p++, parse_component (&p, &version.micro))))
        {
          *ret_version = version;
          return TRUE;
        }
    }
  g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
               "--version printed \"%.60s\", not \"QEMU emulator version X.Y.Z\"",
               g_strchomp (first_line));
  return FALSE;
}

char *
bigvm_qemu_find (const char *name, GError **error)
{
  g_autofree char *path = strchr (name, '/') != NULL ? g_strdup (name)
                                                     : g_find_program_in_path (name);

  if (path == NULL)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s: not found in PATH (install qemu-system-x86, or use --qemu)",
                   name);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || access (path, X_OK) != 0)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s: not an executable file", path);
      return NULL;
    }
  return g_canonicalize_filename (path, NULL);
}

BigvmQemuCaps *
bigvm_qemu_probe (const char *path, guint timeout_ms, GError **error)
{
  const char *argv[] = { path, "--version", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) parse_error = NULL;
  int wait_status;
  BigvmVersion version;

  if (!bigvm_spawn_capture (argv, timeout_ms, &out, &err, &wait_status, error))
    return NULL;
  if (!WIFEXITED (wait_status) || WEXITSTATUS (wait_status) != 0)
    {
      g_autofree char *how = bigvm_describe_wait_status (wait_status);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s --version %s", path, how);
      return NULL;
    }
  if (!bigvm_qemu_parse_version (out, &version, &parse_error))
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE, "%s: %s", path,
                   parse_error->message);
      return NULL;
    }
  if (BIGVM_VERSION_TO_CODE (version) < BIGVM_QEMU_MIN_VERSION)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_UNAVAILABLE,
                   "%s is QEMU %u.%u.%u; bigvm needs 2.7.0 or newer (the first "
                   "with phys-bits)", path, version.major, version.minor,
                   version.micro);
      return NULL;
    }

  BigvmQemuCaps *caps = g_new0 (BigvmQemuCaps, 1);
  caps->path = g_strdup (path);
  caps->version = version;
  return caps;
}

void
bigvm_qemu_caps_free (BigvmQemuCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->path);
  g_free (caps);
}
