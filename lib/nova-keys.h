/* bigvm: flavor keys Nova knows and bigvm does not act on.
 * SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* Nova's flavor fields, extra specs (the modules in nova/api/validation/extra_specs/)
 * and image properties (nova/objects/image_meta.py ImageMetaProps), minus
 * those bigvm acts on.  Entries with '*' are g_pattern_match_simple()
 * patterns.  NULL-terminated. */
extern const char *const bigvm_nova_keys[];

gboolean bigvm_nova_key_known (const char *key);
