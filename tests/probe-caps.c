/* Records what a QEMU binary can do, in bigvm's capability format as
 * GVariant text, for tests/data/: probe-caps QEMU ACCEL MODEL... > FILE
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qemu.h"

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmQemuCaps) caps = NULL;
  g_autoptr (GVariant) variant = NULL;

  if (argc < 3)
    {
      fprintf (stderr, "usage: probe-caps QEMU ACCEL [MODEL...]\n");
      return EXIT_FAILURE;
    }
  caps = bigvm_qemu_probe (argv[1], argv[2], (const char *const *) argv + 3, 60000, &error);
  if (caps == NULL)
    {
      fprintf (stderr, "probe-caps: %s\n", error->message);
      return EXIT_FAILURE;
    }
  variant = bigvm_qemu_caps_to_variant (caps);
  g_autofree char *text = g_variant_print (variant, TRUE);
  puts (text);
  return EXIT_SUCCESS;
}
