/* libFuzzer: the flavor parser and validator, on any bytes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "flavor.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmFlavor) flavor = NULL;

  if (size > BIGVM_FLAVOR_MAX_BYTES)
    return 0;
  flavor = bigvm_flavor_parse ("fuzz.flavor", "/fuzz", (const char *) data, size, &error);
  /* Exactly one of a flavor and an error, and a flavor is complete. */
  g_assert ((flavor == NULL) != (error == NULL));
  if (flavor != NULL)
    g_assert (flavor->name != NULL && flavor->ram_bytes > 0 && flavor->vcpus > 0);
  return 0;
}
