/* bigvm: the flavor file, parsed and validated.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "bounds.h"

#include <glib.h>

typedef enum {
  BIGVM_PHYS_ADDR_DEFAULT,     /* no hw:maxphysaddr_mode */
  BIGVM_PHYS_ADDR_EMULATE,
  BIGVM_PHYS_ADDR_PASSTHROUGH,
} BigvmPhysAddrMode;

typedef enum {
  BIGVM_FIRMWARE_BIOS,
  BIGVM_FIRMWARE_UEFI,
} BigvmFirmwareType;

/* hw:mem_page_size, as Nova reads it (nova/virt/hardware.py
 * _numa_get_pagesize_constraints). */
typedef enum {
  BIGVM_PAGES_UNSET,
  BIGVM_PAGES_SMALL,
  BIGVM_PAGES_LARGE,
  BIGVM_PAGES_ANY,
  BIGVM_PAGES_SIZE,            /* page_size_bytes holds it */
} BigvmPageRequest;

/* A guest NUMA node as the flavor gives it.  With hw:numa_nodes alone
 * the planner splits vCPUs and RAM over the nodes (plan-memory.c). */
typedef struct {
  GArray *cpus;                /* guint, ascending: hw:numa_cpus.N; NULL: split */
  guint64 mem_bytes;           /* hw:numa_mem.N; 0: split */
  GArray *host_nodes;          /* guint: bigvm:numa_host_nodes.N, or empty */
} BigvmNumaNode;

/* bigvm:cpu_check: what QEMU does about CPU features the accelerator
 * cannot give the guest. */
typedef enum {
  BIGVM_CPU_CHECK_ENFORCE,     /* refuse the guest (the default) */
  BIGVM_CPU_CHECK_WARN,        /* start it without them, saying so */
  BIGVM_CPU_CHECK_NONE,        /* start it without them, silently */
} BigvmCpuCheck;

typedef enum {
  BIGVM_DISK_RAW,
  BIGVM_DISK_QCOW2,
} BigvmDiskFormat;

/* "raw" or "qcow2", and back (FALSE for another name). */
const char *bigvm_disk_format_name (BigvmDiskFormat format);
gboolean bigvm_disk_format_parse (const char *name, BigvmDiskFormat *ret_format);

typedef struct {
  guint index;                 /* N of bigvm:disk.N */
  char *path;                  /* absolute */
  BigvmDiskFormat format;
} BigvmDisk;

typedef enum {
  BIGVM_NET_NONE,
  BIGVM_NET_USER,
  BIGVM_NET_TAP,
  BIGVM_NET_BRIDGE,
} BigvmNetKind;

/* One KEY = VALUE line, as written. */
typedef struct {
  char *key;
  char *value;
  guint line;
} BigvmFlavorEntry;

typedef struct {
  char *path;                  /* as given, for messages */
  GHashTable *lines;           /* key -> line (GUINT_TO_POINTER) */
  GPtrArray *entries;          /* BigvmFlavorEntry, in the file's order */
  GPtrArray *warnings;         /* "FILE:LINE: KEY: ..." */

  char *name;
  guint64 ram_bytes;
  guint vcpus;

  BigvmPhysAddrMode phys_addr_mode;
  guint phys_addr_bits;        /* 0 unless emulate */

  char *machine_type;          /* NULL: the default, q35 */
  BigvmFirmwareType firmware;
  char *cpu_model;             /* NULL: chosen by the planner */
  GStrv cpu_flags;             /* "+feature" / "-feature", never NULL */
  BigvmCpuCheck cpu_check;

  guint64 maxmem_bytes;        /* 0: no memory hotplug */
  guint mem_slots;
  char *nvram;                 /* absolute path, or NULL */
  char *abi;                   /* the guest's ABI record: absolute path, or NULL */

  BigvmPageRequest page_request;
  guint64 page_size_bytes;

  GPtrArray *numa_nodes;       /* BigvmNumaNode; empty: no NUMA */
  /* hw:cpu_sockets, hw:cpu_cores, hw:cpu_threads as given (0: not given);
   * the planner chooses the topology from them. */
  guint cpu_sockets, cpu_cores, cpu_threads;

  guint prealloc_threads;      /* 0: the host's CPUs */
  char *mem_path;              /* a hugetlbfs directory, or NULL */
  GPtrArray *disks;            /* BigvmDisk, by index */
  char *cdrom;
  BigvmNetKind net;
  char *net_name;              /* tap or bridge name */
  char *qmp;                   /* a QMP socket path */
  char *pidfile;
  /* bigvm:migrate_*: how bigvm migrate moves this guest, unless its
   * command line says otherwise. */
  char *migrate_tls_dir;       /* NULL: no TLS */
  guint64 migrate_bandwidth;   /* bytes per second; 0: not given (unlimited) */
  guint migrate_downtime_ms;   /* 0: not given */
  int migrate_postcopy;        /* -1 not given, 0 never, 1 auto */
  gboolean secure_boot;        /* os_secure_boot = required */
  const char *secure_boot_key; /* which spelling set it, for messages */
} BigvmFlavor;

/* Reads PATH (a regular file, at most BIGVM_FLAVOR_MAX_BYTES) and parses it.
 * Unreadable: BIGVM_ERROR_NO_INPUT.  Invalid: BIGVM_ERROR_FLAVOR, with every
 * problem found, one "FILE:LINE: KEY: ..." line each. */
BigvmFlavor *bigvm_flavor_load (const char *path, GError **error);

/* Parses DATA; PATH names it in messages and BASE_DIR anchors relative
 * paths in values. */
BigvmFlavor *bigvm_flavor_parse (const char *path, const char *base_dir,
                                 const char *data, gsize len, GError **error);

/* Whether bigvm acts on KEY (an indexed one with its index). */
gboolean bigvm_flavor_key_known (const char *key);

/* Every key bigvm acts on ("hw:numa_cpus.N" for the indexed ones),
 * NULL-terminated; free the array, not the strings. */
const char **bigvm_flavor_keys (void);

void bigvm_flavor_free (BigvmFlavor *flavor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmFlavor, bigvm_flavor_free)

/* Where KEY was set: "FILE:LINE: KEY", or "FILE: KEY" when the flavor
 * leaves it out (messages about defaults). */
char *bigvm_flavor_locate (const BigvmFlavor *flavor, const char *key);

/* A GError in BIGVM_ERROR with CODE, located at KEY. */
void bigvm_flavor_set_error (const BigvmFlavor *flavor, GError **error, int code,
                             const char *key, const char *format, ...)
  G_GNUC_PRINTF (5, 6);

/* Same location rules, for warnings. */
char *bigvm_flavor_message (const BigvmFlavor *flavor, const char *key,
                            const char *format, ...) G_GNUC_PRINTF (3, 4);
