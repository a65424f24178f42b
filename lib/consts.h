/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Generic time and network constants, one home for each: what is not
 * WireGuard's own (that is in messages.h) but several modules need. Plain
 * C, no EAL. Names follow the RFCs; none clashes with the netinet headers.
 */
#ifndef WG_CONSTS_H
#define WG_CONSTS_H

#define WG_NSEC_PER_SEC 1000000000ULL

#endif /* WG_CONSTS_H */
