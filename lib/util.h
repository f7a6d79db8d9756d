/* bigvm: numbers, sizes and QEMU option values.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#define BIGVM_KiB (G_GUINT64_CONSTANT (1) << 10)
#define BIGVM_MiB (G_GUINT64_CONSTANT (1) << 20)
#define BIGVM_GiB (G_GUINT64_CONSTANT (1) << 30)
#define BIGVM_TiB (G_GUINT64_CONSTANT (1) << 40)

/* Decimal digits only (no sign, blanks or base prefix), within [min, max].
 * The error message says what is wrong with TEXT, without naming it. */
gboolean bigvm_parse_uint (const char *text, guint64 min, guint64 max,
                           guint64 *ret_value, GError **error);

/* A size: digits with an optional binary suffix K, M, G or T; without a
 * suffix the number counts DEFAULT_UNIT bytes.  Results above MAX bytes,
 * and overflow, are errors. */
gboolean bigvm_parse_size (const char *text, guint64 default_unit, guint64 max,
                           guint64 *ret_bytes, GError **error);

/* A migration rate: bytes per second with an optional binary suffix K, M
 * or G ("1G"), from BIGVM_MIGRATE_MIN_BANDWIDTH to
 * BIGVM_MIGRATE_MAX_BANDWIDTH (bounds.h). */
gboolean bigvm_parse_rate (const char *text, guint64 *ret_bytes, GError **error);

/* Exact size in the largest binary unit that divides it, QEMU's syntax:
 * "1T", "1010G", "1536M", "4K", or plain bytes. */
char *bigvm_format_size (guint64 bytes);

/* Size for people: "1 TiB", "1010 GiB", "1.5 GiB". */
char *bigvm_format_size_human (guint64 bytes);

/* Exact size for people, in the largest unit that divides it: "1022 GiB". */
char *bigvm_format_size_exact (guint64 bytes);

/* A value inside a QEMU "key=value,..." option, with every comma doubled,
 * which is how QEMU's option parser reads a literal comma (util/qemu-option.c
 * get_opt_value()). */
char *bigvm_qemu_opt_escape (const char *value);

/* The number of bits needed to hold ADDRESS (bit length; 0 for 0). */
guint bigvm_bit_length (guint64 address);

/* TEXT as a message echoes it: whole up to BIGVM_MAX_ECHO_CHARS
 * characters, otherwise its start and how long it is, so that a 200 KB
 * key or line does not fill the terminal. */
char *bigvm_echo (const char *text);

/* TEXT for a terminal: C0 controls but newline, DEL, C1 controls
 * (U+0080..U+009F) and bytes that are not UTF-8 as \xHH, so that a file
 * name or flavor value is shown, never obeyed. */
char *bigvm_escape_control (const char *text);

/* LIST (ascending guint: CPUs, nodes) as ranges: "0-3", "8". */
GStrv bigvm_list_ranges (GArray *list);

/* LIST as the kernel and libvirt write it: "0-3,8". */
char *bigvm_format_list (GArray *list);

/* Edit distance, for "did you mean" suggestions. */
guint bigvm_edit_distance (const char *a, const char *b);

/* For g_ptr_array_sort() of strings, whose elements it passes by
 * address (g_strcmp0 itself would compare the addresses). */
int bigvm_compare_strings (gconstpointer a, gconstpointer b);

/* All LEN bytes of DATA written to FD, through short writes and EINTR;
 * FALSE with errno set when write fails. */
gboolean bigvm_write_all (int fd, const char *data, gsize len);

/* What FD holds up to its end or LIMIT bytes, whichever comes first,
 * NUL-terminated; unreadable is BIGVM_ERROR_NO_INPUT naming NAME. */
gboolean bigvm_read_fd (int fd, const char *name, gsize limit, char **ret_data, gsize *ret_len,
                        GError **error);

/* The contents of PATH, or of standard input for NULL or "-",
 * NUL-terminated, read only up to MAX_BYTES: more, or unreadable, is
 * BIGVM_ERROR_NO_INPUT naming it. */
gboolean bigvm_read_input (const char *path, gsize max_bytes, char **ret_data, gsize *ret_len,
                           GError **error);
