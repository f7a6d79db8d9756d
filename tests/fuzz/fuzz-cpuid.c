/* libFuzzer: the CPUID dump reader (libcpuid's cpuid_deserialize_raw_data
 * and bigvm's checks around it), on any file contents.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "host-probe.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static char *path;
  g_autoptr (GError) error = NULL;

  if (path == NULL)
    path = g_strdup_printf ("%s/bigvm-fuzz-cpuid-%d.test", g_get_tmp_dir (), (int) getpid ());
  if (!g_file_set_contents (path, (const char *) data, size, NULL))
    return 0;
  g_autoptr (BigvmHost) host = bigvm_host_from_dump (path, &error);
  g_assert ((host == NULL) != (error == NULL));
  if (host != NULL)
    g_assert (host->phys_bits <= 255 && host->mem_encrypt_bits_lost <= 63
              && host->effective_phys_bits == host->phys_bits);
  return 0;
}
