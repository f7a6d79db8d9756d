/* bigvm: UEFI firmware chosen from QEMU's firmware descriptors
 * (QEMU docs/interop/firmware.json).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

typedef struct {
  char *path;                  /* the descriptor file */
  char *description;
  gboolean uefi;               /* "uefi" in interface-types */
  gboolean flash_split;        /* device "flash", mode "split" (the default) */
  char *code;                  /* mapping.executable.filename */
  char *code_format;
  char *vars_template;         /* mapping.nvram-template.filename */
  char *vars_format;
  GStrv x86_64_machines;       /* globs of the x86_64 target; NULL if none */
  GStrv features;
  gboolean code_exists;        /* the files it names are there */
  gboolean vars_template_exists;
} BigvmFirmware;

/* The directories QEMU's firmware.json names, highest priority last:
 * /usr/share/qemu/firmware, /etc/qemu/firmware, $XDG_CONFIG_HOME/qemu/firmware
 * (XDG_CONFIG_HOME defaulting to ~/.config). */
GStrv bigvm_firmware_search_dirs (void);

/* Reads every *.json descriptor in DIRS (NULL-terminated, lowest priority
 * first) as firmware.json says: a file overrides the same name in an
 * earlier directory, an empty file hides it, and the result is sorted by
 * file name, which is the priority order.  A descriptor that cannot be
 * read or is not valid JSON of the right shape is skipped with a line in
 * WARNINGS naming it; it still hides its name. */
GPtrArray *bigvm_firmware_load (const char *const *dirs, GPtrArray *warnings);

/* Parses one descriptor (pure).  PATH names it in messages. */
BigvmFirmware *bigvm_firmware_parse (const char *path, const char *data, gsize len,
                                     GError **error);

/* The first descriptor in FIRMWARE for UEFI on x86_64 from split flash
 * that lists MACHINE (a full machine type name such as pc-q35-7.2) and,
 * with SECURE_BOOT, has Secure Boot with keys enrolled and SMM, or without
 * it, none of them.  NULL when none matches. */
const BigvmFirmware *bigvm_firmware_select (GPtrArray *firmware, const char *machine,
                                            gboolean secure_boot);

gboolean bigvm_firmware_has_feature (const BigvmFirmware *firmware, const char *feature);

void bigvm_firmware_free (BigvmFirmware *firmware);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmFirmware, bigvm_firmware_free)
