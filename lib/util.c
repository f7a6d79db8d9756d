/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "util.h"

#include "bounds.h"
#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static gboolean
all_digits (const char *text, gsize len)
{
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  return TRUE;
}

gboolean
bigvm_parse_uint (const char *text, guint64 min, guint64 max,
                  guint64 *ret_value, GError **error)
{
  guint64 value;

  if (!all_digits (text, strlen (text)))
    {
      g_autofree char *shown = bigvm_echo (text);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a whole number", shown);
      return FALSE;
    }
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, NULL))
    {
      g_autofree char *shown = bigvm_echo (text);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s is out of range (%" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT ")",
                   shown, min, max);
      return FALSE;
    }
  *ret_value = value;
  return TRUE;
}

gboolean
bigvm_parse_size (const char *text, guint64 default_unit, guint64 max,
                  guint64 *ret_bytes, GError **error)
{
  gsize len = strlen (text);
  guint64 unit = default_unit;
  guint64 count;

  if (len > 0)
    {
      switch (text[len - 1])
        {
        case 'K': unit = BIGVM_KiB; len--; break;
        case 'M': unit = BIGVM_MiB; len--; break;
        case 'G': unit = BIGVM_GiB; len--; break;
        case 'T': unit = BIGVM_TiB; len--; break;
        default: break;
        }
    }
  if (!all_digits (text, len))
    {
      g_autofree char *shown = bigvm_echo (text);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "\"%s\" is not a size (a whole number, optionally with K, M, G or T)",
                   shown);
      return FALSE;
    }

  g_autofree char *digits = g_strndup (text, len);
  if (!g_ascii_string_to_unsigned (digits, 10, 0, max / unit, &count, NULL))
    {
      g_autofree char *limit = bigvm_format_size_human (max);
      g_autofree char *shown = bigvm_echo (text);
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s is too large (at most %s)", shown, limit);
      return FALSE;
    }
  *ret_bytes = count * unit;
  return TRUE;
}

char *
bigvm_format_size (guint64 bytes)
{
  static const struct { guint64 unit; char suffix; } units[] = {
    { BIGVM_TiB, 'T' }, { BIGVM_GiB, 'G' }, { BIGVM_MiB, 'M' }, { BIGVM_KiB, 'K' },
  };

  if (bytes != 0)
    for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
      if (bytes % units[i].unit == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT "%c", bytes / units[i].unit,
                                units[i].suffix);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, bytes);
}

char *
bigvm_format_size_human (guint64 bytes)
{
  static const struct { guint64 unit; const char *name; } units[] = {
    { BIGVM_TiB, "TiB" }, { BIGVM_GiB, "GiB" }, { BIGVM_MiB, "MiB" }, { BIGVM_KiB, "KiB" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      if (bytes < units[i].unit)
        continue;
      if (bytes % units[i].unit == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes / units[i].unit,
                                units[i].name);
      /* Tenths, computed in integers so no locale puts a comma in. */
      guint64 whole = bytes / units[i].unit;
      guint64 tenth = (bytes % units[i].unit * 10 + units[i].unit / 2) / units[i].unit;
      if (tenth == 10)
        {
          whole++;
          tenth = 0;
        }
      return g_strdup_printf ("%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " %s",
                              whole, tenth, units[i].name);
    }
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
}

char *
bigvm_format_size_exact (guint64 bytes)
{
  static const struct { guint64 unit; const char *name; } units[] = {
    { BIGVM_TiB, "TiB" }, { BIGVM_GiB, "GiB" }, { BIGVM_MiB, "MiB" }, { BIGVM_KiB, "KiB" },
  };

  if (bytes != 0)
    for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
      if (bytes % units[i].unit == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes / units[i].unit,
                                units[i].name);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
}

char *
bigvm_qemu_opt_escape (const char *value)
{
  GString *out = g_string_sized_new (strlen (value) + 4);

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append_c (out, ',');
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

guint
bigvm_bit_length (guint64 address)
{
  return address == 0 ? 0 : 64 - (guint) __builtin_clzll (address);
}

char *
bigvm_echo (const char *text)
{
  gsize len = strlen (text);
  gsize cut = BIGVM_MAX_ECHO_CHARS - 20;

  if (g_utf8_validate (text, len, NULL))
    {
      if (g_utf8_strlen (text, len) <= BIGVM_MAX_ECHO_CHARS)
        return g_strdup (text);
      cut = g_utf8_offset_to_pointer (text, cut) - text;
    }
  else if (len <= BIGVM_MAX_ECHO_CHARS)
    return g_strdup (text);
  return g_strdup_printf ("%.*s... (%" G_GSIZE_FORMAT " bytes)", (int) cut, text, len);
}

char *
bigvm_escape_control (const char *text)
{
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0';)
    {
      gunichar c = g_utf8_get_char_validated (p, -1);
      gboolean valid = c != (gunichar) -1 && c != (gunichar) -2;
      gsize len = valid ? (gsize) (g_utf8_next_char (p) - p) : 1;

      if (valid && (c == '\n' || (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f))))
        g_string_append_len (out, p, len);
      else
        for (gsize i = 0; i < len; i++)
          g_string_append_printf (out, "\\x%02x", (guchar) p[i]);
      p += len;
    }
  return g_string_free (out, FALSE);
}

guint
bigvm_edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];
      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + cost);
          diagonal = above;
        }
    }
  return row[lb];
}

int
bigvm_compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
bigvm_parse_rate (const char *text, guint64 *ret_bytes, GError **error)
{
  guint64 bytes;

  if (!bigvm_parse_size (text, 1, BIGVM_MIGRATE_MAX_BANDWIDTH, &bytes, error))
    return FALSE;
  if (bytes < BIGVM_MIGRATE_MIN_BANDWIDTH)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_FLAVOR,
                   "%s bytes per second is below the 1K bigvm takes", text);
      return FALSE;
    }
  *ret_bytes = bytes;
  return TRUE;
}

gboolean
bigvm_write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

gboolean
bigvm_read_fd (int fd, const char *name, gsize limit, char **ret_data, gsize *ret_len,
               GError **error)
{
  g_autoptr (GByteArray) data = g_byte_array_new ();
  guint8 buf[65536];

  /* No more than LIMIT: /dev/zero never ends. */
  while (data->len < limit)
    {
      ssize_t n = read (fd, buf, MIN (sizeof buf, limit - data->len));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;
          g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s: %s", name,
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, buf, n);
    }
  *ret_len = data->len;
  g_byte_array_append (data, (const guint8 *) "", 1);
  *ret_data = (char *) g_byte_array_free (g_steal_pointer (&data), FALSE);
  return TRUE;
}

gboolean
bigvm_read_input (const char *path, gsize max_bytes, char **ret_data, gsize *ret_len,
                  GError **error)
{
  gboolean stdin_ = path == NULL || g_str_equal (path, "-");
  const char *name = stdin_ ? "standard input" : path;
  int fd = stdin_ ? 0 : open (path, O_RDONLY | O_CLOEXEC);
  g_autofree char *data = NULL;
  gsize len;

  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s: %s", name,
                   g_strerror (saved_errno));
      return FALSE;
    }
  gboolean read_all = bigvm_read_fd (fd, name, max_bytes + 1, &data, &len, error);
  if (!stdin_)
    close (fd);
  if (!read_all)
    return FALSE;
  if (len > max_bytes)
    {
      g_set_error (error, BIGVM_ERROR, BIGVM_ERROR_NO_INPUT, "%s: too large", name);
      return FALSE;
    }
  *ret_len = len;
  *ret_data = g_steal_pointer (&data);
  return TRUE;
}

GStrv
bigvm_list_ranges (GArray *list)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < list->len;)
    {
      guint first = g_array_index (list, guint, i), last = first;
      while (++i < list->len && g_array_index (list, guint, i) == last + 1)
        last++;
      g_ptr_array_add (out, first == last ? g_strdup_printf ("%u", first)
                                          : g_strdup_printf ("%u-%u", first, last));
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (out, FALSE);
}

char *
bigvm_format_list (GArray *list)
{
  g_auto (GStrv) ranges = bigvm_list_ranges (list);
  return g_strjoinv (",", ranges);
}
