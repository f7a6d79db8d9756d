/* bigvm: the guest's ABI, what it can see of its machine: the machine
 * type, its CPU as QEMU built it, topology, memory and firmware.  Written
 * once, at the guest's first run, as its record; every later run is held
 * to it, so that a QEMU upgrade or another host does not change the guest
 * under it unannounced.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "cpu-probe.h"
#include "plan.h"
#include "qemu.h"

#include <glib.h>

#define BIGVM_ABI_FORMAT "bigvm-guest-abi/1"

typedef struct {
  char *id;                    /* QEMU's memory backend id: ram0 */
  guint64 size;
} BigvmAbiBlock;

typedef struct {
  guint node;
  char *cpus;                  /* "0-3,8" */
  guint64 memory;
} BigvmAbiNode;

typedef struct {
  /* Compared: what the guest sees, and what a migration needs equal. */
  char *machine;
  BigvmCpuState *cpu;          /* its lost features are not part of it */
  guint vcpus, sockets, cores, threads;
  guint64 ram, maxmem, page_size;
  guint slots;
  GPtrArray *blocks;           /* BigvmAbiBlock */
  GPtrArray *nodes;            /* BigvmAbiNode; empty without NUMA */
  char *firmware;              /* "bios" or "uefi" */
  char *firmware_descriptor;   /* UEFI: the descriptor's path, description */
  char *firmware_description;  /* and code file; NULL for BIOS */
  char *firmware_code;

  /* Not compared: who recorded it. */
  char *recorded_bigvm, *recorded_qemu, *recorded_accel, *recorded_cpu, *recorded_host;
  char *recorded_time;
} BigvmAbi;

void bigvm_abi_free (BigvmAbi *abi);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BigvmAbi, bigvm_abi_free)

/* The ABI of the guest PLAN starts, with the CPU QEMU builds for it
 * (pure).  HOST and CAPS name who records it; TIME is its time. */
BigvmAbi *bigvm_abi_new (const BigvmPlan *plan, const BigvmCpuState *cpu,
                         const BigvmQemuCaps *caps, const BigvmHost *host, GDateTime *time);

/* Where the guest's record is: bigvm:abi, or STATE_DIR/NAME.abi.  A name
 * with '/' and no bigvm:abi: BIGVM_ERROR_FLAVOR naming the key. */
char *bigvm_abi_path (const BigvmFlavor *flavor, const char *state_dir, GError **error);

/* "sha256:..." over the compared part, whatever the JSON's layout. */
char *bigvm_abi_digest (const BigvmAbi *abi);

/* The record, as written (pretty JSON, newline-terminated), and as read
 * back.  A file that is not a record: BIGVM_ERROR_FLAVOR (a data error)
 * naming PATH and what is wrong; unreadable: BIGVM_ERROR_NO_INPUT. */
char *bigvm_abi_to_json (const BigvmAbi *abi);
BigvmAbi *bigvm_abi_parse (const char *path, const char *data, gsize len, GError **error);
BigvmAbi *bigvm_abi_load (const char *path, GError **error);

/* For people: one "what: value" line each. */
char *bigvm_abi_to_text (const BigvmAbi *abi);

/* RECORDED against NOW: every difference that changes the guest, one
 * line each, to CHANGED ("phys-bits: recorded 46, now 42"; "CPU feature
 * avx512f: recorded, missing now"), and what the guest would gain to
 * GAINED (it runs, but could not move back).  A CPU that is not known
 * (NULL in NOW) is not compared. */
void bigvm_abi_compare (const BigvmAbi *recorded, const BigvmAbi *now, GPtrArray *changed,
                        GPtrArray *gained);

/* Writes ABI to PATH as a new file (mode 0600, complete or not at all),
 * never replacing one: *RET_WRITTEN is FALSE when PATH existed. */
gboolean bigvm_abi_write_new (const char *path, const BigvmAbi *abi, gboolean *ret_written,
                              GError **error);

/* Replaces PATH with ABI atomically (bigvm abi --update). */
gboolean bigvm_abi_replace (const char *path, const BigvmAbi *abi, GError **error);

/* What a CPUID dump of another host (HOST) proves about the guest of ABI
 * under KVM there, one line each to PROVEN: under KVM a named model
 * takes the host's vendor and host/max its family, model and stepping
 * (target/i386/host-cpu.c), the guest cannot have more address bits, and
 * KVM gives no CPUID feature bit the host lacks, except those it
 * emulates.  An empty PROVEN proves nothing either way: KVM can hide
 * what the dump shows. */
void bigvm_abi_check_host (const BigvmAbi *abi, const BigvmHost *host, GPtrArray *proven);
