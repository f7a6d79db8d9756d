/* Records what a QEMU binary can do, in bigvm's capability format, for
 * tests/data/: probe-caps QEMU ACCEL MODEL... > FILE
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
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

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
  root = bigvm_qemu_caps_to_json (caps);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  g_autofree char *text = json_generator_to_data (generator, NULL);
  puts (text);
  return EXIT_SUCCESS;
}
