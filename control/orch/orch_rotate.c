/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rotate: a peer's pool addresses (its /32 and /128 allowed IPs that the
 * pool handed out or reserved) replaced by fresh ones in ONE apply with
 * replace_allowed_ips, so that the new address routes and the old one stops
 * at the same moment, and the peer's other allowed IPs never leave the
 * tables (the device keeps prefixes a replace lists again). The old
 * addresses go back to the pool inside the apply, as their prefixes leave
 * the table (control_peers.c): only if it succeeds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "orch_priv.h"

/* A peer's allowed IPs split: those that stay (in their order), and the
 * pool addresses of the families being rotated. */
struct rotate_plan {
	struct wg_uapi_allowed_ip *keep, *old;
	size_t n_keep, n_old;
};

static int
rotate_split(const struct wg_orch_server *s, const struct wg_device_peer *p,
	     unsigned int fam, struct rotate_plan *pl)
{
	const struct wg_device_allowed_ip *a;
	unsigned int f;

	pl->keep = calloc(p->n_allowed_ips + 1, sizeof(*pl->keep));
	pl->old = calloc(p->n_allowed_ips + 1, sizeof(*pl->old));
	if (pl->keep == NULL || pl->old == NULL)
		return -ENOMEM;
	for (a = p->allowed_ips; a != NULL; a = a->next) {
		f = a->prefix.family == WG_AF_INET ? ORCH_FAM4 : ORCH_FAM6;
		if (orch_is_pool_prefix(s, &a->prefix) && (fam & f))
			pl->old[pl->n_old++] = a->prefix;
		else
			pl->keep[pl->n_keep++] = a->prefix;
	}
	return 0;
}

/* Which families to rotate: as asked, else those the peer has pool
 * addresses in, else all the pool offers. */
static int
rotate_families(struct orch_conn *c, const struct orch_req *r,
		const struct wg_device_peer *p, unsigned int *fam)
{
	const struct wg_device_allowed_ip *a;
	char msg[ORCH_MSG_LEN];
	int rc;

	if (orch_arg(r, "family") != NULL)
		return orch_arg_family(c, r, fam);
	*fam = 0;
	for (a = p->allowed_ips; a != NULL; a = a->next)
		if (orch_is_pool_prefix(c->srv, &a->prefix))
			*fam |= a->prefix.family == WG_AF_INET ? ORCH_FAM4 : ORCH_FAM6;
	if (*fam == 0)
		*fam = orch_pool_families(c->srv);
	rc = orch_families_check(c->srv, *fam, msg);
	if (rc != 0)
		orch_fail(c, -rc, "%s", msg);
	return rc;
}

static int
rotate_apply(struct wg_control *ctl, const uint8_t key[WG_KEY_LEN],
	     const struct rotate_plan *pl, const struct wg_ippool_addr addrs[2])
{
	struct wg_uapi_set s;
	unsigned int i;
	int rc;

	wg_uapi_set_init(&s);
	rc = wg_uapi_set_peer(&s, key);
	if (rc == 0)
		rc = wg_uapi_set_peer_update_only(&s);
	if (rc == 0)
		rc = wg_uapi_set_peer_replace_allowed_ips(&s);
	for (i = 0; rc == 0 && i < pl->n_keep; i++)
		rc = wg_uapi_set_peer_allowed_ip(&s, &pl->keep[i]);
	for (i = 0; rc == 0 && i < 2; i++)
		if (addrs[i].family != WG_AF_NONE)
			rc = orch_set_pool_addr(&s, &addrs[i]);
	if (rc == 0)
		rc = wg_uapi_set_end(&s);
	if (rc == 0)
		rc = wg_control_apply(ctl, &s);
	wg_uapi_set_free(&s);
	return rc;
}

static void
json_old(struct orch_conn *c, const char *name, const struct rotate_plan *pl,
	 uint8_t family)
{
	char text[ORCH_ADDR_STRLEN], *slash;
	bool first = true;
	size_t i;

	orch_printf(c, ",\"%s\":[", name);
	for (i = 0; i < pl->n_old; i++) {
		if (pl->old[i].family != family)
			continue;
		orch_prefix_text(text, &pl->old[i]);
		slash = strchr(text, '/');
		if (slash != NULL)
			*slash = '\0';
		orch_printf(c, "%s\"%s\"", first ? "" : ",", text);
		first = false;
	}
	orch_write(c, "]", 1);
}

static void
rotate_answer(struct orch_conn *c, const uint8_t key[WG_KEY_LEN],
	      const struct rotate_plan *pl, const struct wg_ippool_addr addrs[2])
{
	char b64[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(b64, key);
	orch_printf(c, "{\"ok\":true,\"public_key\":\"%s\",\"ipv4\":", b64);
	orch_json_addr(c, &addrs[0]);
	orch_printf(c, ",\"ipv6\":");
	orch_json_addr(c, &addrs[1]);
	json_old(c, "old_ipv4", pl, WG_AF_INET);
	json_old(c, "old_ipv6", pl, WG_AF_INET6);
	orch_write(c, "}\n", 2);
}

void
orch_cmd_rotate(struct orch_conn *c, const struct orch_req *r)
{
	struct wg_control *ctl = c->srv->ctl;
	const struct wg_device_peer *p;
	struct rotate_plan pl = { 0 };
	struct wg_ippool_addr addrs[2];
	uint8_t key[WG_KEY_LEN];
	unsigned int fam, failed;
	int rc;

	if (orch_arg_key(c, r, "public_key", key, true) != 0)
		return;
	p = wg_device_peer_lookup(wg_control_device(ctl), key);
	if (p == NULL) {
		orch_fail(c, ENOENT, "no such peer");
		return;
	}
	if (rotate_families(c, r, p, &fam) != 0)
		return;
	if (rotate_split(c->srv, p, fam, &pl) != 0) {
		orch_fail(c, ENOMEM, "out of memory");
		goto out;
	}
	rc = orch_pool_alloc(ctl, fam, addrs, &failed);
	if (rc != 0) {
		orch_fail_alloc(c, rc, failed);
		goto out;
	}
	/* The old addresses go back to the pool inside the apply. */
	rc = rotate_apply(ctl, key, &pl, addrs);
	if (rc != 0) {
		orch_pool_free(ctl, addrs);
		orch_fail_apply(c, rc);
		goto out;
	}
	rotate_answer(c, key, &pl, addrs);
out:
	free(pl.keep);
	free(pl.old);
}
