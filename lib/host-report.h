/* bigvm: the report of what a host and its QEMU offer large guests, for
 * `bigvm host` (pure: from the probe's facts).
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "host-probe.h"
#include "qemu.h"

#include <glib.h>

/* The Nova traits this host would report: COMPUTE_ADDRESS_SPACE_EMULATED
 * when QEMU can set phys-bits, COMPUTE_ADDRESS_SPACE_PASSTHROUGH when it
 * can also pass the host's through, which takes KVM. */
GStrv bigvm_host_nova_traits (const BigvmHost *host, const BigvmQemuCaps *caps);

/* The largest hw:maxphysaddr_bits this host allows under KVM (the bits the
 * kernel reports usable), or 0 without KVM. */
guint bigvm_host_max_emulate_bits_kvm (const BigvmHost *host);

char *bigvm_host_report_text (const BigvmHost *host, const BigvmQemuCaps *caps);
char *bigvm_host_report_json (const BigvmHost *host, const BigvmQemuCaps *caps);
