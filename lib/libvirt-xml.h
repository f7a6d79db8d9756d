/* bigvm: the libvirt domain XML that starts the same guest under
 * libvirt, for the operator who moves on to libvirt or Nova.  Written for
 * libvirt 9.0 (Debian 12), whose schema tests/e2e/libvirt.sh validates
 * it against, and whose libvirtd it boots under.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "flavor.h"
#include "plan.h"

#include <glib.h>

/* The <domain> for PLAN (from FLAVOR), with EMULATOR as QEMU (pure).
 * What libvirt 9.0 cannot say, or says otherwise, is left out of the XML
 * and told in UNSAID, one line each, for stderr: the XML is never
 * invalid, and never silently another guest. */
char *bigvm_libvirt_domain_xml (const BigvmPlan *plan, const BigvmFlavor *flavor,
                                const char *emulator, GPtrArray *unsaid);
