/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Orchestration requests: a line split into a command and key=value
 * arguments, checked against the command's table, then served. Here too
 * add-peer and expiry; rotate, stats and bulk-add have their own files.
 * Every change goes through one all-or-nothing wg_control_apply(), as a
 * `wg set` would; addresses taken from the pool before it are given back
 * if it fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "orch_priv.h"

struct orch_cmd {
	const char *name;
	/* NULL: bulk-add, which reads more lines (and answers at their end). */
	void (*run)(struct orch_conn *c, const struct orch_req *r);
	const char *const keys[ORCH_MAX_ARGS + 1];	/* NULL-terminated */
};

/* ---- arguments ---------------------------------------------------------- */

const char *
orch_arg(const struct orch_req *r, const char *key)
{
	unsigned int i;

	for (i = 0; i < r->n_args; i++)
		if (strcmp(r->args[i].key, key) == 0)
			return r->args[i].val;
	return NULL;
}

/* Decimal digits only (no sign, no blanks), at most max. */
static int
parse_uint(const char *v, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i, n = strlen(v);

	if (n == 0 || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > max)
		return -EINVAL;
	*out = x;
	return 0;
}

int
orch_parse_family(const char *v, unsigned int *fam)
{
	if (strcmp(v, "4") == 0)
		*fam = ORCH_FAM4;
	else if (strcmp(v, "6") == 0)
		*fam = ORCH_FAM6;
	else if (strcmp(v, "both") == 0)
		*fam = ORCH_FAM4 | ORCH_FAM6;
	else
		return -EINVAL;
	return 0;
}

int
orch_families_check(const struct wg_orch_server *s, unsigned int fam,
		    char msg[ORCH_MSG_LEN])
{
	unsigned int have = orch_pool_families(s), missing = fam & ~have;

	if (have == 0) {
		snprintf(msg, ORCH_MSG_LEN, "no address_pool is configured");
		return -EAFNOSUPPORT;
	}
	if (missing != 0) {
		snprintf(msg, ORCH_MSG_LEN, "the address pool has no %s range",
			 missing & ORCH_FAM4 ? "IPv4" : "IPv6");
		return -EAFNOSUPPORT;
	}
	return 0;
}

int
orch_arg_family(struct orch_conn *c, const struct orch_req *r,
		unsigned int *fam)
{
	const char *v = orch_arg(r, "family");
	char msg[ORCH_MSG_LEN];
	int rc;

	*fam = orch_pool_families(c->srv);
	if (v != NULL && orch_parse_family(v, fam) != 0) {
		orch_fail(c, EINVAL, "family must be 4, 6 or both");
		return -EINVAL;
	}
	rc = orch_families_check(c->srv, *fam, msg);
	if (rc != 0)
		orch_fail(c, -rc, "%s", msg);
	return rc;
}

int
orch_arg_key(struct orch_conn *c, const struct orch_req *r, const char *name,
	     uint8_t key[WG_KEY_LEN], bool required)
{
	const char *v = orch_arg(r, name);

	if (v == NULL && !required)
		return -ENOENT;
	if (v == NULL) {
		orch_fail(c, EINVAL, "%s is required", name);
		return -EINVAL;
	}
	if (wg_key_from_base64(key, v) != 0) {
		orch_fail(c, EINVAL, "%s must be a key: %d base64 characters ending in '='",
			  name, WG_KEY_B64_LEN);
		return -EINVAL;
	}
	return 0;
}

/* Our own key is never a peer (the apply would ignore it silently). */
static bool
is_own_key(const struct wg_control *ctl, const uint8_t key[WG_KEY_LEN])
{
	const struct wg_noise_identity *id =
		wg_device_identity(wg_control_device(ctl));

	return id->has_identity && wg_key_equal(id->static_public, key);
}

void
orch_fail_apply(struct orch_conn *c, int rc)
{
	if (rc == -ENOSPC)
		orch_fail(c, ENOSPC, "the peer table (max_peers) or the route tables are full");
	else
		orch_fail(c, -rc, "the change was refused: %s", strerror(-rc));
}

void
orch_fail_alloc(struct orch_conn *c, int rc, unsigned int failed_fam)
{
	const char *fam = failed_fam == ORCH_FAM4 ? "IPv4" : "IPv6";

	if (rc == -ENOSPC)
		orch_fail(c, ENOSPC, "the %s address pool is exhausted", fam);
	else
		orch_fail(c, -rc, "cannot take an %s address: %s", fam,
			  strerror(-rc));
}

/* ---- expiry ------------------------------------------------------------- */

static void
cmd_expiry(struct orch_conn *c, const struct orch_req *r)
{
	struct wg_control *ctl = c->srv->ctl;
	const char *v = orch_arg(r, "seconds");
	uint64_t s;

	if (v != NULL) {
		if (parse_uint(v, UINT32_MAX, &s) != 0) {
			orch_fail(c, EINVAL, "seconds must be 0..4294967295 (0: off)");
			return;
		}
		wg_control_set_idle_expiry(ctl, (uint32_t)s);
	}
	orch_printf(c, "{\"ok\":true,\"idle_expiry\":%u}\n",
		    wg_control_idle_expiry(ctl));
}

/* ---- add-peer ----------------------------------------------------------- */

struct add_args {
	uint8_t key[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN];	/* secret */
	bool has_psk;
	bool has_keepalive;
	uint16_t keepalive;
	unsigned int fam;
};

static int
add_parse(struct orch_conn *c, const struct orch_req *r, struct add_args *a)
{
	const char *v = orch_arg(r, "persistent_keepalive");
	uint64_t ka;
	int rc;

	if (orch_arg_key(c, r, "public_key", a->key, true) != 0)
		return -EINVAL;
	rc = orch_arg_key(c, r, "preshared_key", a->psk, false);
	if (rc == -EINVAL)
		return rc;
	a->has_psk = rc == 0;
	if (v != NULL) {
		if (parse_uint(v, UINT16_MAX, &ka) != 0) {
			orch_fail(c, EINVAL, "persistent_keepalive must be 0..65535 seconds");
			return -EINVAL;
		}
		a->has_keepalive = true;
		a->keepalive = (uint16_t)ka;
	}
	return orch_arg_family(c, r, &a->fam);
}

static int
add_apply(struct wg_control *ctl, const struct add_args *a,
	  const struct wg_ippool_addr addrs[2])
{
	struct wg_uapi_set s;
	unsigned int i;
	int rc;

	wg_uapi_set_init(&s);
	rc = wg_uapi_set_peer(&s, a->key);
	if (rc == 0 && a->has_psk)
		rc = wg_uapi_set_peer_preshared_key(&s, a->psk);
	if (rc == 0 && a->has_keepalive)
		rc = wg_uapi_set_peer_keepalive(&s, a->keepalive);
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
add_answer(struct orch_conn *c, const uint8_t key[WG_KEY_LEN],
	   const struct wg_ippool_addr addrs[2])
{
	char b64[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(b64, key);
	orch_printf(c, "{\"ok\":true,\"public_key\":\"%s\",\"ipv4\":", b64);
	orch_json_addr(c, &addrs[0]);
	orch_printf(c, ",\"ipv6\":");
	orch_json_addr(c, &addrs[1]);
	orch_write(c, "}\n", 2);
}

static void
cmd_add_peer(struct orch_conn *c, const struct orch_req *r)
{
	struct wg_control *ctl = c->srv->ctl;
	struct wg_ippool_addr addrs[2];
	struct add_args a = { 0 };
	unsigned int failed;
	int rc;

	if (add_parse(c, r, &a) != 0)
		goto out;
	if (is_own_key(ctl, a.key)) {
		orch_fail(c, EINVAL, "public_key is the gateway's own key");
		goto out;
	}
	if (wg_device_peer_lookup(wg_control_device(ctl), a.key) != NULL) {
		orch_fail(c, EEXIST, "the peer exists");
		goto out;
	}
	rc = orch_pool_alloc(ctl, a.fam, addrs, &failed);
	if (rc != 0) {
		orch_fail_alloc(c, rc, failed);
		goto out;
	}
	rc = add_apply(ctl, &a, addrs);
	if (rc != 0) {
		orch_pool_free(ctl, addrs);
		orch_fail_apply(c, rc);
		goto out;
	}
	add_answer(c, a.key, addrs);
out:
	sodium_memzero(&a, sizeof(a));
}

/* ---- dispatch ----------------------------------------------------------- */

/* peers=no leaves the peer list out: an exporter's scrape of a gateway
 * with a million peers then costs the control thread nothing per peer. */
static void
cmd_stats(struct orch_conn *c, const struct orch_req *r)
{
	const char *v = orch_arg(r, "peers");
	bool peers = true;

	if (v != NULL && strcmp(v, "no") == 0)
		peers = false;
	else if (v != NULL && strcmp(v, "yes") != 0) {
		orch_fail(c, EINVAL, "peers must be yes or no");
		return;
	}
	orch_stats_start(c, peers);
}

static const struct orch_cmd orch_cmds[] = {
	{ "stats", cmd_stats, { "peers", NULL } },
	{ "add-peer", cmd_add_peer,
	  { "public_key", "family", "preshared_key", "persistent_keepalive", NULL } },
	{ "rotate", orch_cmd_rotate, { "public_key", "family", NULL } },
	{ "expiry", cmd_expiry, { "seconds", NULL } },
	{ "bulk-add", NULL, { "family", NULL } },
};

enum { N_CMDS = sizeof(orch_cmds) / sizeof(orch_cmds[0]), NAME_ECHO_MAX = 24 };

/*
 * Only a short lowercase word is ever echoed back: anything else could be
 * a key pasted in the wrong place ("KEY=" splits into a name and "").
 */
static const char *
echo_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NAME_ECHO_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if ((name[i] < 'a' || name[i] > 'z') && name[i] != '_' &&
		    name[i] != '-')
			return NULL;
	return name;
}

/* Splits line in place into r. 0, or -EINVAL with msg; r->cmd is set
 * whenever the line holds a word. */
static int
tokenize(char *line, struct orch_req *r, char msg[ORCH_MSG_LEN])
{
	char *p = line, *tok, *eq;

	memset(r, 0, sizeof(*r));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return 0;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (r->cmd == NULL) {
			r->cmd = tok;
			continue;
		}
		eq = strchr(tok, '=');
		if (r->n_args == ORCH_MAX_ARGS || eq == NULL || eq == tok) {
			snprintf(msg, ORCH_MSG_LEN, r->n_args == ORCH_MAX_ARGS ?
				 "too many arguments" :
				 "arguments are key=value, separated by blanks");
			return -EINVAL;
		}
		*eq = '\0';
		r->args[r->n_args].key = tok;
		r->args[r->n_args++].val = eq + 1;
	}
}

static int
check_args(const struct orch_cmd *cmd, const struct orch_req *r,
	   char msg[ORCH_MSG_LEN])
{
	const char *name;
	unsigned int i, j, k;

	for (i = 0; i < r->n_args; i++) {
		for (k = 0; cmd->keys[k] != NULL; k++)
			if (strcmp(cmd->keys[k], r->args[i].key) == 0)
				break;
		name = echo_name(r->args[i].key);
		if (cmd->keys[k] == NULL) {
			snprintf(msg, ORCH_MSG_LEN, "unknown argument%s%s%s for %s",
				 name != NULL ? " '" : "", name != NULL ? name : "",
				 name != NULL ? "'" : "", cmd->name);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(r->args[j].key, r->args[i].key) == 0) {
				snprintf(msg, ORCH_MSG_LEN, "argument '%s' given twice",
					 cmd->keys[k]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static const struct orch_cmd *
find_cmd(const char *name)
{
	unsigned int i;

	for (i = 0; i < N_CMDS; i++)
		if (strcmp(orch_cmds[i].name, name) == 0)
			return &orch_cmds[i];
	return NULL;
}

void
orch_request(struct orch_conn *c, char *line, size_t len)
{
	const struct orch_cmd *cmd;
	char msg[ORCH_MSG_LEN] = "";
	struct orch_req r;
	int rc;

	if (memchr(line, '\0', len) != NULL) {
		orch_fail(c, EINVAL, "the request holds a NUL byte");
		return;
	}
	rc = tokenize(line, &r, msg);
	if (r.cmd == NULL)
		return;		/* an empty line asks nothing */
	cmd = find_cmd(r.cmd);
	if (cmd == NULL) {
		orch_fail(c, EINVAL, "unknown command: use stats, add-peer, rotate, expiry or bulk-add");
		return;
	}
	if (rc == 0)
		rc = check_args(cmd, &r, msg);
	if (cmd->run == NULL)
		orch_bulk_start(c, rc == 0 ? &r : NULL, -rc, msg);
	else if (rc != 0)
		orch_fail(c, -rc, "%s", msg);
	else
		cmd->run(c, &r);
}
