/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge-exporter: Prometheus text exposition of one gateway's counters.
 * It is a client of the orchestration socket (control/orch/): each scrape
 * asks `stats` (peers=no unless per-peer series are wanted) and renders the
 * JSON answer, so nothing here runs on a worker or holds the control
 * thread longer than its own streamed answer does.
 */
#ifndef WG_EXPORTER_H
#define WG_EXPORTER_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Reads one answer line from the socket at path; NULL (and errno) on a
 * socket error, a timeout, or an answer that is not JSON. */
json_t *wge_stats_query(const char *path, bool peers);

/*
 * Writes the exposition of a stats answer (NULL: the gateway did not
 * answer, so only wgedge_up 0) for interface ifname. Per-peer series only
 * when per_peer; endpoints are never exported.
 */
void wge_render(FILE *out, const char *ifname, const json_t *stats,
		bool per_peer);

#endif /* WG_EXPORTER_H */
