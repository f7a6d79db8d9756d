/* libFuzzer: what bigvm reads from QEMU's QMP stream, on any bytes: each
 * line classified, and replies read as query-machines and
 * query-cpu-definitions answers.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "qemu.h"
#include "qmp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *p = (const char *) data, *end = p + size;
  g_autoptr (BigvmQemuCaps) caps = bigvm_qemu_caps_new ("/fuzz/qemu", "tcg");

  while (p < end)
    {
      const char *newline = memchr (p, '\n', end - p);
      gsize len = newline != NULL ? (gsize) (newline - p) : (gsize) (end - p);
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonNode) reply = NULL;
      gboolean event;

      if (bigvm_qmp_parse_line (p, len, &event, &reply, &error))
        {
          g_assert (event == (reply == NULL));
          if (reply != NULL)
            {
              g_autoptr (GError) e1 = NULL, e2 = NULL;
              bigvm_qemu_caps_add_reply (caps, "query-machines", reply, &e1);
              bigvm_qemu_caps_add_reply (caps, "query-cpu-definitions", reply, &e2);
            }
        }
      else
        g_assert (error != NULL && reply == NULL);
      p += len + 1;
    }
  /* Whatever was read survives the cache's round trip. */
  g_autoptr (GVariant) variant = bigvm_qemu_caps_to_variant (caps);
  g_autoptr (GError) error = NULL;
  g_autoptr (BigvmQemuCaps) back = bigvm_qemu_caps_from_variant (variant, &error);
  g_assert (back != NULL);
  g_assert (bigvm_qemu_machines (back)->len == bigvm_qemu_machines (caps)->len);
  g_assert (bigvm_qemu_cpu_models (back)->len == bigvm_qemu_cpu_models (caps)->len);
  return 0;
}
