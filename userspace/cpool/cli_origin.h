/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/* The ORIGIN column of cpool ps and cpool history. */
#ifndef CPOOL_CLI_ORIGIN_H
#define CPOOL_CLI_ORIGIN_H

#include <jansson.h>
#include <stddef.h>

/* "cpool", or "slurm 12.0" / "slurm 12.batch" for a Slurm task: from the job's JSON. */
const char *cli_origin(const json_t *job, char *buf, size_t len);

#endif
