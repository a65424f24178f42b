/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bulk-add: public keys are collected line by line (nothing is touched
 * while they arrive, so other connections' requests interleave freely),
 * then, at the empty line, checked as a whole, given addresses, and added
 * in ONE wg_control_apply(): all of them or, on any error, none, with
 * every address given back. The answer lists each peer's addresses and is
 * streamed as the socket drains. Memory is bounded by the peer table:
 * more keys than it has room for are refused as they arrive.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch_priv.h"

enum { BULK_INITIAL_CAP = 256 };

void
orch_bulk_free(struct orch_bulk *b)
{
	free(b->keys);
	free(b->addrs);
	memset(b, 0, sizeof(*b));
}

/* Only the first error is answered; the line it was on is the last read. */
static void
bulk_error(struct orch_bulk *b, int err, const char *msg)
{
	if (b->err != 0)
		return;
	b->err = err;
	b->err_line = b->lines;
	snprintf(b->msg, sizeof(b->msg), "%s", msg);
}

void
orch_bulk_start(struct orch_conn *c, const struct orch_req *r, int err,
		const char *msg)
{
	const struct wg_device *dev = wg_control_device(c->srv->ctl);
	struct orch_bulk *b = &c->bulk;
	char m[ORCH_MSG_LEN];
	const char *v;
	int rc;

	orch_bulk_free(b);
	c->state = ORCH_CONN_BULK;
	b->limit = wg_device_max_peers(dev) - wg_device_peer_count(dev);
	if (r == NULL) {
		bulk_error(b, err, msg);
		return;
	}
	b->families = orch_pool_families(c->srv);
	v = orch_arg(r, "family");
	if (v != NULL && orch_parse_family(v, &b->families) != 0) {
		bulk_error(b, EINVAL, "family must be 4, 6 or both");
		return;
	}
	rc = orch_families_check(c->srv, b->families, m);
	if (rc != 0)
		bulk_error(b, -rc, m);
}

static bool
bulk_grow(struct orch_bulk *b)
{
	size_t cap = b->cap != 0 ? b->cap * 2 : BULK_INITIAL_CAP;
	void *p;

	if (b->n < b->cap)
		return true;
	p = realloc(b->keys, cap * sizeof(*b->keys));
	if (p == NULL)
		return false;
	b->keys = p;
	b->cap = cap;
	return true;
}

/* "public_key=B64", blanks around it tolerated. */
static void
bulk_take(struct orch_bulk *b, char *line, size_t len, bool overlong)
{
	static const char name[] = "public_key=";
	char *v = line, *end = line + len;

	if (overlong || memchr(line, '\0', len) != NULL) {
		bulk_error(b, overlong ? EMSGSIZE : EINVAL, overlong ?
			   "line too long" : "the line holds a NUL byte");
		return;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strncmp(v, name, sizeof(name) - 1) != 0) {
		bulk_error(b, EINVAL, "expected public_key=<base64 key>");
		return;
	}
	if (b->n == b->limit) {
		bulk_error(b, ENOSPC, "more peers than the peer table has room for (max_peers)");
		return;
	}
	if (!bulk_grow(b)) {
		bulk_error(b, ENOMEM, "out of memory");
		return;
	}
	if (wg_key_from_base64(b->keys[b->n], v + sizeof(name) - 1) != 0) {
		bulk_error(b, EINVAL, "public_key must be a key: 44 base64 characters ending in '='");
		return;
	}
	b->n++;
}

static int
key_cmp(const void *x, const void *y, void *ctx)
{
	const uint8_t (*keys)[WG_KEY_LEN] = ctx;
	uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	int d = memcmp(keys[i], keys[j], WG_KEY_LEN);

	return d != 0 ? d : i < j ? -1 : i > j;
}

/* A key given twice: the later line is named. */
static void
bulk_check_duplicates(struct orch_bulk *b)
{
	uint32_t *idx = malloc(b->n * sizeof(*idx));
	size_t i;

	if (idx == NULL) {
		bulk_error(b, ENOMEM, "out of memory");
		return;
	}
	for (i = 0; i < b->n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, b->n, sizeof(*idx), key_cmp, b->keys);
	for (i = 1; i < b->n; i++) {
		if (memcmp(b->keys[idx[i - 1]], b->keys[idx[i]], WG_KEY_LEN) == 0) {
			b->lines = idx[i] + 1;
			bulk_error(b, EINVAL, "this public key is given twice");
			break;
		}
	}
	free(idx);
}

static void
bulk_check(struct orch_conn *c)
{
	const struct wg_device *dev = wg_control_device(c->srv->ctl);
	const struct wg_noise_identity *id = wg_device_identity(dev);
	struct orch_bulk *b = &c->bulk;
	size_t i;

	for (i = 0; i < b->n && b->err == 0; i++) {
		b->lines = i + 1;
		if (id->has_identity && wg_key_equal(id->static_public, b->keys[i]))
			bulk_error(b, EINVAL, "public_key is the gateway's own key");
		else if (wg_device_peer_lookup(dev, b->keys[i]) != NULL)
			bulk_error(b, EEXIST, "the peer exists");
	}
	if (b->err == 0 && b->n > 1)
		bulk_check_duplicates(b);
}

static void
bulk_release(struct wg_control *ctl, struct orch_bulk *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		orch_pool_free(ctl, b->addrs[i]);
	free(b->addrs);
	b->addrs = NULL;
}

static void
bulk_alloc(struct orch_conn *c)
{
	struct wg_control *ctl = c->srv->ctl;
	struct orch_bulk *b = &c->bulk;
	char msg[ORCH_MSG_LEN];
	unsigned int failed;
	size_t i;
	int rc;

	b->lines = 0;
	b->addrs = calloc(b->n != 0 ? b->n : 1, sizeof(*b->addrs));
	if (b->addrs == NULL) {
		bulk_error(b, ENOMEM, "out of memory");
		return;
	}
	for (i = 0; i < b->n; i++) {
		rc = orch_pool_alloc(ctl, b->families, b->addrs[i], &failed);
		if (rc == 0)
			continue;
		snprintf(msg, sizeof(msg), rc == -ENOSPC ?
			 "the %s address pool is exhausted after %zu of %zu peers" :
			 "cannot take an %s address (%zu of %zu peers)",
			 failed == ORCH_FAM4 ? "IPv4" : "IPv6", i, b->n);
		bulk_error(b, -rc, msg);
		bulk_release(ctl, b, i);
		return;
	}
}

static int
bulk_feed(struct orch_bulk *b, struct wg_uapi_set *s)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < b->n; i++) {
		rc = wg_uapi_set_peer(s, b->keys[i]);
		if (rc == 0 && b->addrs[i][0].family != WG_AF_NONE)
			rc = orch_set_pool_addr(s, &b->addrs[i][0]);
		if (rc == 0 && b->addrs[i][1].family != WG_AF_NONE)
			rc = orch_set_pool_addr(s, &b->addrs[i][1]);
	}
	return rc == 0 ? wg_uapi_set_end(s) : rc;
}

static void
bulk_apply(struct orch_conn *c)
{
	struct wg_control *ctl = c->srv->ctl;
	struct orch_bulk *b = &c->bulk;
	char msg[ORCH_MSG_LEN];
	struct wg_uapi_set s;
	int rc;

	wg_uapi_set_init(&s);
	rc = bulk_feed(b, &s);
	if (rc == 0)
		rc = wg_control_apply(ctl, &s);
	wg_uapi_set_free(&s);
	if (rc == 0)
		return;
	snprintf(msg, sizeof(msg), rc == -ENOSPC ?
		 "the peer table (max_peers) or the route tables are full" :
		 "the change was refused: %s", strerror(-rc));
	bulk_error(b, -rc, msg);
	bulk_release(ctl, b, b->n);
}

static bool
bulk_chunk(struct orch_conn *c)
{
	struct orch_bulk *b = &c->bulk;
	size_t end = b->cursor + ORCH_CHUNK < b->n ? b->cursor + ORCH_CHUNK : b->n;
	char b64[WG_KEY_B64_LEN + 1];

	for (; b->cursor < end; b->cursor++) {
		wg_key_to_base64(b64, b->keys[b->cursor]);
		orch_printf(c, "%s{\"public_key\":\"%s\",\"ipv4\":",
			    b->cursor == 0 ? "" : ",", b64);
		orch_json_addr(c, &b->addrs[b->cursor][0]);
		orch_printf(c, ",\"ipv6\":");
		orch_json_addr(c, &b->addrs[b->cursor][1]);
		orch_write(c, "}", 1);
	}
	if (b->cursor < b->n)
		return false;
	orch_write(c, "]}\n", 3);
	orch_bulk_free(b);
	return true;
}

static void
bulk_finish(struct orch_conn *c)
{
	struct orch_bulk *b = &c->bulk;

	if (b->err == 0)
		bulk_check(c);
	if (b->err == 0)
		bulk_alloc(c);
	if (b->err == 0)
		bulk_apply(c);
	if (b->err != 0) {
		orch_fail_at(c, b->err, b->err_line, b->msg);
		orch_bulk_free(b);
		return;
	}
	orch_printf(c, "{\"ok\":true,\"count\":%zu,\"peers\":[", b->n);
	b->cursor = 0;
	c->stream = bulk_chunk;
}

void
orch_bulk_line(struct orch_conn *c, char *line, size_t len, bool overlong)
{
	struct orch_bulk *b = &c->bulk;

	if (!overlong && len == 0) {
		c->state = ORCH_CONN_CMD;
		bulk_finish(c);
		return;
	}
	b->lines++;
	if (b->err == 0)
		bulk_take(b, line, len, overlong);
}
