/* libFuzzer: the QEMU firmware descriptor reader, on any bytes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "firmware.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  BigvmFirmware *firmware = bigvm_firmware_parse ("/fuzz/50-fuzz.json", (const char *) data,
                                                  size, &error);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) bigvm_firmware_free);

  g_assert ((firmware == NULL) != (error == NULL));
  if (firmware == NULL)
    return 0;
  g_ptr_array_add (list, firmware);
  const BigvmFirmware *chosen = bigvm_firmware_select (list, "pc-q35-7.2", FALSE);
  if (chosen != NULL)
    g_assert (chosen->code != NULL && chosen->vars_template != NULL);
  bigvm_firmware_select (list, "pc-i440fx-7.2", TRUE);
  return 0;
}
