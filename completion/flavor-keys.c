/* Prints the flavor keys bigvm acts on, one per line, an index as 0
 * ("hw:numa_cpus.0"): the build writes them into the bash completion, so
 * that it offers what the flavor parser takes.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "flavor.h"

#include <stdio.h>
#include <stdlib.h>

int
main (void)
{
  g_autofree const char **keys = bigvm_flavor_keys ();

  for (const char **key = keys; *key != NULL; key++)
    {
      g_auto (GStrv) parts = g_strsplit (*key, ".N", -1);
      g_autofree char *indexed = g_strjoinv (".0", parts);
      puts (indexed);
    }
  return fflush (stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
