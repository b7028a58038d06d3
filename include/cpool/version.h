/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
#ifndef CPOOL_VERSION_H
#define CPOOL_VERSION_H

#define CPOOL_VERSION "0.1.0"

#endif /* CPOOL_VERSION_H */
