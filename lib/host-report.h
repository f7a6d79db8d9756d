/* bigvm: what a host and its QEMU offer large guests, for `bigvm host`
 * (pure).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "host.h"
#include "qemu.h"

#include <glib.h>

/* TARGET_PHYS_ADDR_SPACE_BITS for x86_64 (target/i386/cpu-param.h): the
 * most phys-bits QEMU gives a guest under TCG. */
#define BIGVM_TCG_MAX_PHYS_BITS 52

/* The Nova traits this host would report: COMPUTE_ADDRESS_SPACE_EMULATED
 * when QEMU can set phys-bits, COMPUTE_ADDRESS_SPACE_PASSTHROUGH when it
 * can also pass the host's through, which takes KVM. */
GStrv bigvm_host_nova_traits (const BigvmHost *host, const BigvmQemuCaps *caps);

/* The largest hw:maxphysaddr_bits this host allows under KVM (the bits the
 * kernel reports usable), or 0 without KVM. */
guint bigvm_host_max_emulate_bits_kvm (const BigvmHost *host);

char *bigvm_host_report_text (const BigvmHost *host, const BigvmQemuCaps *caps);
char *bigvm_host_report_json (const BigvmHost *host, const BigvmQemuCaps *caps);
