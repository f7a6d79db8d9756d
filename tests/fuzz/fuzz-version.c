/* libFuzzer: the reader of `qemu --version`, on any bytes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qemu.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr (GError) error = NULL;
  BigvmVersion version;

  if (bigvm_qemu_parse_version (text, &version, &error))
    g_assert (version.major < 1000000 && version.minor < 1000000 && version.micro < 1000000);
  else
    g_assert (error != NULL);
  return 0;
}
