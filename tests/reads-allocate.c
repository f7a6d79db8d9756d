/* Whether reading never-written anonymous memory makes it resident on
 * this host (exit 0) or maps the shared zero page (exit 1).  A migration
 * reads every page of the guest on both sides, so where reads allocate,
 * a sparse guest becomes resident twice over and the migration tests
 * size it to what the host holds.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_BYTES (64ul << 20)

static long
resident_pages (void)
{
  long size = 0, resident = 0;
  FILE *statm = fopen ("/proc/self/statm", "r");
  if (statm == NULL || fscanf (statm, "%ld %ld", &size, &resident) != 2)
    resident = -1;
  if (statm != NULL)
    fclose (statm);
  return resident;
}

int
main (void)
{
  volatile char *memory = mmap (NULL, PROBE_BYTES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS
                                | MAP_NORESERVE, -1, 0);
  long page = sysconf (_SC_PAGESIZE), before = resident_pages ();
  char sum = 0;

  if (memory == MAP_FAILED || before < 0)
    return 2;
  for (unsigned long i = 0; i < PROBE_BYTES; i += page)
    sum += memory[i];
  long grown = (resident_pages () - before) * page;
  printf ("reading %lu MiB of untouched memory made %ld MiB resident%s\n", PROBE_BYTES >> 20,
          grown >> 20, sum != 0 ? " (and it was not zero)" : "");
  return grown > (long) (PROBE_BYTES / 2) ? 0 : 1;
}
