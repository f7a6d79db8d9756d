/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "errors.h"

G_DEFINE_QUARK (bigvm-error-quark, bigvm_error)

int
bigvm_error_exit_status (const GError *error)
{
  if (error != NULL && error->domain == BIGVM_ERROR)
    return error->code;
  return BIGVM_ERROR_INTERNAL;
}
