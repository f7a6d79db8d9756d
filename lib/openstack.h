/* bigvm: a flavor file to OpenStack Nova and back.  The hw: keys are
 * Nova's flavor extra specs, so a flavor carries over as it is; what Nova
 * keeps on the image (machine type, firmware, Secure Boot) goes to the
 * image's properties; bigvm's own keys have no place in Nova and are said
 * so, never dropped silently.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "flavor.h"
#include "plan.h"

#include <glib.h>

/* The flavor file for FLAVOR_JSON, the output of `openstack flavor show
 * -f json` (read from FLAVOR_NAME, for messages), with the image
 * properties of IMAGE_JSON (`openstack image show -f json`) when not
 * NULL.  Nova keys bigvm does not act on, and keys it does not know, stay
 * in the file as comments saying why.  JSON of the wrong shape, or a value
 * bigvm would refuse in a flavor file: BIGVM_ERROR_FLAVOR naming the JSON
 * key ("properties.hw:numa_nodes").  Pure. */
char *bigvm_openstack_import (const char *flavor_json, gsize flavor_len, const char *flavor_name,
                              const char *image_json, gsize image_len, const char *image_name,
                              GError **error);

/* The `openstack flavor create` command that makes FLAVOR in Nova, each
 * word shell-quoted, then as comments the `openstack image set` of the
 * image properties, the bigvm: keys with why Nova has none, and what
 * PLAN decided that Nova would need told (the 1 GiB pages OVMF needs).
 * Pure. */
char *bigvm_openstack_export (const BigvmFlavor *flavor, const BigvmPlan *plan);
