/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration loader: the example in configs/ comes out field by
 * field; one fixture per kind of error, each checked for the right
 * FILE:LINE, a word naming the problem, no key material in the message and
 * a zeroed struct after the failure; key files; @include; 10,000 peers in
 * well under a second with duplicates among them found; and a randomized
 * comparison of duplicate detection against a naive quadratic reference.
 * Leaks are LeakSanitizer's to find in the -Dsanitize=true build.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "config.h"

#define MARK "/*E*/"	/* in a fixture: the line the error must name */

enum { B64_BUF = WG_KEY_B64_LEN + 1, ERR_LEN = 512, N_KEYS = 5 };

/* Test keys. Not secret, but handled as if they were: never printed. */
static struct {
	uint8_t priv[WG_KEY_LEN], ownpub[WG_KEY_LEN];
	uint8_t pub1[WG_KEY_LEN], pub2[WG_KEY_LEN], psk[WG_KEY_LEN];
	char b64[N_KEYS][B64_BUF];	/* PRIV OWNPUB PUB1 PUB2 PSK */
} k;
static const char *const tokens[N_KEYS] = {
	"@PRIV@", "@OWNPUB@", "@PUB1@", "@PUB2@", "@PSK@"
};

static char tmpdir[64];

static void
to_b64(char out[B64_BUF], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(out, B64_BUF, key, WG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

/* Deterministic key bytes from a label and a number. */
static void
gen_key(uint8_t key[WG_KEY_LEN], const char *label, unsigned int i)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, WG_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&st, (const uint8_t *)&i, sizeof(i));
	crypto_generichash_final(&st, key, WG_KEY_LEN);
}

static void
setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	gen_key(k.priv, "priv", 0);
	cr_assert_eq(crypto_scalarmult_base(k.ownpub, k.priv), 0);
	gen_key(k.pub1, "pub", 1);
	gen_key(k.pub2, "pub", 2);
	gen_key(k.psk, "psk", 0);
	to_b64(k.b64[0], k.priv);
	to_b64(k.b64[1], k.ownpub);
	to_b64(k.b64[2], k.pub1);
	to_b64(k.b64[3], k.pub2);
	to_b64(k.b64[4], k.psk);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wgcfg.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = setup, .fini = teardown);

/* ---- helpers ---------------------------------------------------------- */

/* Writes tmpdir/name with exactly this mode; returns the path (static). */
static const char *
write_file(const char *name, const char *text, mode_t mode)
{
	static char path[4][256];
	static unsigned int turn;
	char *p = path[turn++ % 4];
	size_t len = strlen(text);
	int fd;

	snprintf(p, 256, "%s/%s", tmpdir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0, "cannot create %s", p);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

/* s with the first `find` replaced by `repl` (s is freed). */
static char *
replace_first(char *s, const char *find, const char *repl, const char *what)
{
	char *at = strstr(s, find), *out;

	cr_assert_not_null(at, "%s: fixture text '%s' not found", what, find);
	cr_assert_geq(asprintf(&out, "%.*s%s%s", (int)(at - s), s, repl,
			       at + strlen(find)), 0);
	free(s);
	return out;
}

static char *
expand_keys(char *s)
{
	unsigned int i;

	for (i = 0; i < N_KEYS; i++)
		while (strstr(s, tokens[i]) != NULL)
			s = replace_first(s, tokens[i], k.b64[i], "keys");
	return s;
}

/* True if any 10-character run of any test key's base64 is in msg. */
static bool
has_key_material(const char *msg)
{
	char win[11];
	unsigned int i, j;

	for (i = 0; i < N_KEYS; i++) {
		for (j = 0; j + 10 <= WG_KEY_B64_LEN; j++) {
			memcpy(win, &k.b64[i][j], 10);
			win[10] = '\0';
			if (strstr(msg, win) != NULL)
				return true;
		}
	}
	return false;
}

static bool
is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

static unsigned int
line_of(const char *text, const char *at)
{
	unsigned int line = 1;

	for (; text < at; text++)
		line += *text == '\n';
	return line;
}

/*
 * Loads path, expects failure at `line` (0: no line, "PATH: ...") with
 * `word` in the message, no key material, and cfg zeroed.
 */
static void
expect_error(const char *what, const char *path, unsigned int line,
	     const char *word)
{
	struct wg_config cfg;
	char err[ERR_LEN], prefix[300];
	const char *shown;
	bool leak;

	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 0, sizeof(err));
	cr_expect_eq(wg_config_load(path, &cfg, err, sizeof(err)), -1,
		     "%s: loaded", what);
	leak = has_key_material(err);
	shown = leak ? "(hidden: holds key material)" : err;
	cr_expect(!leak, "%s: the message holds key material", what);
	if (line > 0)
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	cr_expect(strncmp(err, prefix, strlen(prefix)) == 0,
		  "%s: '%s' does not start with '%s'", what, shown, prefix);
	cr_expect_not_null(strstr(err, word), "%s: '%s' lacks '%s'", what,
			   shown, word);
	cr_expect(is_zero(&cfg, sizeof(cfg)), "%s: cfg not zeroed", what);
}

/* Loads path and asserts success, hiding the message if it holds keys. */
static void
load_ok(const char *path, struct wg_config *cfg)
{
	char err[ERR_LEN] = "";
	int rc = wg_config_load(path, cfg, err, sizeof(err));

	cr_assert_eq(rc, 0, "load failed: %s",
		     has_key_material(err) ? "(hidden)" : err);
}

static void
expect_addr(const struct wg_config_addr *a, const char *text, unsigned int plen)
{
	uint8_t want[16] = { 0 };
	int af = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;

	cr_assert_eq(inet_pton(af, text, want), 1);
	cr_expect_eq(a->family, af == AF_INET ? WG_AF_INET : WG_AF_INET6,
		     "%s: family", text);
	cr_expect_eq(a->prefix_len, plen, "%s: prefix %u", text, a->prefix_len);
	cr_expect_arr_eq(a->addr, want, 16, "%s: bytes", text);
}

static void
expect_key(const uint8_t key[WG_KEY_LEN], const char *b64, const char *what)
{
	uint8_t want[WG_KEY_LEN];
	size_t n = 0;

	cr_assert_eq(sodium_base642bin(want, sizeof(want), b64, strlen(b64),
				       NULL, &n, NULL,
				       sodium_base64_VARIANT_ORIGINAL), 0);
	cr_assert_eq(n, WG_KEY_LEN);
	cr_expect_arr_eq(key, want, WG_KEY_LEN, "%s differs", what);
}

/* ---- the example ------------------------------------------------------ */

#define EXAMPLE WG_SOURCE_ROOT "/configs/wgedge.conf"

static void
expect_example_ports(const struct wg_config *cfg)
{
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 0xfe };

	cr_expect_str_eq(cfg->outer.device, "net_ring0");
	expect_addr(&cfg->outer.ipv4, "192.0.2.1", 24);
	expect_addr(&cfg->outer.ipv6, "2001:db8::1", 64);
	expect_addr(&cfg->outer.gateway4, "192.0.2.254", 32);
	expect_addr(&cfg->outer.gateway6, "2001:db8::fe", 128);
	cr_assert_eq(cfg->outer.n_neighbours, 2);
	expect_addr(&cfg->outer.neighbours[0].ip, "192.0.2.254", 32);
	cr_expect_arr_eq(cfg->outer.neighbours[0].mac, mac, 6);
	expect_addr(&cfg->outer.neighbours[1].ip, "2001:db8::fe", 128);
	cr_expect_arr_eq(cfg->outer.neighbours[1].mac, mac, 6);
	cr_expect_str_eq(cfg->clear.device, "net_ring1");
	expect_addr(&cfg->clear.ipv4, "10.0.0.1", 24);
	expect_addr(&cfg->clear.gateway4, "10.0.0.254", 32);
	cr_expect_eq(cfg->clear.ipv6.family, WG_AF_NONE);
	cr_expect_eq(cfg->clear.gateway6.family, WG_AF_NONE);
	cr_expect_eq(cfg->clear.n_neighbours, 0);
}

static void
expect_example_peers(const struct wg_config *cfg)
{
	const struct wg_config_peer *p = cfg->peers;
	uint8_t v6[16];

	cr_assert_eq(cfg->n_peers, 2);
	expect_key(p[0].public_key, "muQw/9H4M/qncV38mdoDHHZsQstMYpQIfEYGatcyPD8=",
		   "peer 0 public key");
	expect_key(p[0].preshared_key, "/SgtEd8tBuor2nvwlFs00C0DVj1J717BwYMKjtq7f98=",
		   "peer 0 preshared key");
	cr_assert_eq(p[0].n_allowed_ips, 2);
	expect_addr(&p[0].allowed_ips[0], "10.0.1.0", 24);
	expect_addr(&p[0].allowed_ips[1], "fd00::", 64);
	cr_expect_eq(p[0].endpoint.family, WG_AF_INET);
	cr_expect_eq(p[0].endpoint.port, 51820);
	cr_expect_arr_eq(p[0].endpoint.addr.v4, ((uint8_t[]){ 198, 51, 100, 7 }), 4);
	cr_expect_eq(p[0].persistent_keepalive, 25);

	expect_key(p[1].public_key, "g3M8dxsAThUVX/kNQQ6e5mSWoPAUFVZeq8FmPotIkgg=",
		   "peer 1 public key");
	cr_expect(is_zero(p[1].preshared_key, WG_KEY_LEN), "no psk: zeros");
	cr_assert_eq(p[1].n_allowed_ips, 2);
	expect_addr(&p[1].allowed_ips[0], "10.0.2.2", 32);
	expect_addr(&p[1].allowed_ips[1], "fd00:0:0:1::", 64);
	cr_expect_eq(p[1].endpoint.family, WG_AF_INET6);
	cr_expect_eq(p[1].endpoint.port, 51821);
	inet_pton(AF_INET6, "2001:db8:100::7", v6);
	cr_expect_arr_eq(p[1].endpoint.addr.v6, v6, 16);
	cr_expect_eq(p[1].persistent_keepalive, 0);
	cr_expect_lt(p[0].line, p[1].line);
}

Test(config, example_loads_with_every_field)
{
	static const char *const eal[] = { "--no-huge", "--no-shconf", "-m",
		"1024", "--no-pci", "--vdev", "net_ring0", "--vdev", "net_ring1" };
	struct wg_config cfg;
	unsigned int i;

	load_ok(EXAMPLE, &cfg);
	cr_expect_str_eq(cfg.interface, "wge0");
	/* Keys as `wg genkey | tee /dev/stderr | wg pubkey` printed them. */
	expect_key(cfg.private_key, "qGuCUFsOLvOoEvZnJN4Kg1uGPNm8thkIfNtDTOM8b00=",
		   "private key");
	expect_key(cfg.public_key, "C9BtjOX4ciwpZm0xs0XfEJGJ3QUEhu4/sdOyBrCHf10=",
		   "derived public key");
	cr_expect_eq(cfg.listen_port, 51820);
	cr_assert_eq(cfg.n_eal_args, 9);
	for (i = 0; i < 9; i++)
		cr_expect_str_eq(cfg.eal_args[i], eal[i]);
	cr_expect_null(cfg.eal_args[9], "eal_args is NULL-terminated");
	cr_expect_eq(cfg.crypto, WG_CONFIG_CRYPTO_AUTO);
	cr_expect_str_eq(wg_config_crypto_name(cfg.crypto), "auto");
	cr_expect_eq(cfg.mtu, 1420);
	cr_expect_eq(cfg.idle_expiry, 180);
	cr_expect_eq(cfg.log_level, WG_LOG_INFO);
	expect_example_ports(&cfg);
	cr_expect_eq(cfg.control_lcore, 0);
	cr_assert_eq(cfg.n_workers, 2);
	cr_expect_eq(cfg.workers[0].lcore, 1);
	cr_expect_eq(cfg.workers[0].queue, 0);
	cr_expect_eq(cfg.workers[1].lcore, 2);
	cr_expect_eq(cfg.workers[1].queue, 1);
	expect_example_peers(&cfg);
	for (i = 0; i < cfg.n_warnings; i++)
		cr_expect(!has_key_material(cfg.warnings[i]));
	wg_config_free(&cfg);
	cr_expect(is_zero(&cfg, sizeof(cfg)), "wg_config_free zeroes cfg");
}

/* ---- one fixture per kind of error ------------------------------------ */

/*
 * Base fixture, valid. Cases edit it (find -> repl, twice at most) and put
 * MARK on the line the error must name; without a MARK the error is one
 * with no line (a missing top-level setting), unless `line` is given.
 */
#define PORTS_BLOCK \
	"ports = {\n" \
	"  outer = {\n" \
	"    device = \"net_ring0\";\n" \
	"    ipv4 = \"192.0.2.1/24\";\n" \
	"    ipv6 = \"2001:db8::1/64\";\n" \
	"    gateway4 = \"192.0.2.254\";\n" \
	"    neighbours = ( { ip = \"192.0.2.254\"; mac = \"02:00:00:00:00:fe\"; } );\n" \
	"  };\n" \
	"  clear = {\n" \
	"    device = \"net_ring1\";\n" \
	"    ipv4 = \"10.0.0.1/24\";\n" \
	"  };\n" \
	"};\n"

static const char base_conf[] =
	"interface = \"wge0\";\n"
	"private_key = \"@PRIV@\";\n"
	"listen_port = 51820;\n"
	"mtu = 1420;\n"
	PORTS_BLOCK			/* lines 5..17 */
	"control_lcore = 0;\n"

	"workers = (\n"
	"  { lcore = 1; queue = 0; },\n"			/* line 20 */
	"  { lcore = 2; queue = 1; }\n"
	");\n"
	"peers = (\n"
	"  { public_key = \"@PUB1@\";\n"			/* line 24 */
	"    preshared_key = \"@PSK@\";\n"
	"    allowed_ips = [\"10.0.1.0/24\", \"fd00::/64\"];\n"	/* line 26 */
	"    endpoint = \"198.51.100.7:51820\";\n"
	"    persistent_keepalive = 25; },\n"
	"  { public_key = \"@PUB2@\";\n"
	"    allowed_ips = [\"10.0.2.0/24\"]; }\n"		/* line 30 */
	");\n";

struct err_case {
	const char *name;
	const char *find, *repl;
	const char *find2, *repl2;
	const char *word;
	unsigned int line;
};

#define ZERO_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define NONCANON_KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="
#define LP "listen_port = 51820;"
#define PK1 "public_key = \"@PUB1@\";"
#define PK2 "public_key = \"@PUB2@\";"
#define AIP1 "allowed_ips = [\"10.0.1.0/24\", \"fd00::/64\"];"
#define AIP2 "allowed_ips = [\"10.0.2.0/24\"];"
#define EP "endpoint = \"198.51.100.7:51820\";"
#define W2 "{ lcore = 2; queue = 1; }"
#define CLEAR_IP "    ipv4 = \"10.0.0.1/24\";\n"

static const struct err_case err_cases[] = {
	/* Unknown settings, at every level. */
	{ "unknown top", LP, LP " listen_prot = 1; " MARK, NULL, NULL,
	  "unknown setting 'listen_prot' (did you mean 'listen_port'?)" },
	{ "unknown in ports", "  clear = {\n", "  inner = { device = \"x\"; }; " MARK "\n  clear = {\n",
	  NULL, NULL, "unknown setting 'ports.inner'" },
	{ "unknown in port", CLEAR_IP, "    ipv4 = \"10.0.0.1/24\"; netmask = \"255.255.255.0\"; " MARK "\n",
	  NULL, NULL, "unknown setting 'ports.clear.netmask'" },
	{ "unknown in neighbour", "mac = \"02:00:00:00:00:fe\";", "mac = \"02:00:00:00:00:fe\"; lladdr = 1; " MARK,
	  NULL, NULL, "unknown setting 'ports.outer.neighbours[0].lladdr'" },
	{ "unknown in worker", W2, "{ lcore = 2; queue = 1; core = 3; } " MARK,
	  NULL, NULL, "unknown setting 'workers[1].core'" },
	{ "unknown in peer", AIP2, AIP2 " allowed_ip = []; " MARK,
	  NULL, NULL, "unknown setting 'peers[1].allowed_ip' (did you mean 'allowed_ips'?)" },

	/* Wrong types. */
	{ "listen_port string", LP, "listen_port = \"51820\"; " MARK, NULL, NULL,
	  "wrong type: 'listen_port' must be an integer, not a string" },
	{ "mtu float", "mtu = 1420;", "mtu = 1420.0; " MARK, NULL, NULL,
	  "wrong type: 'mtu' must be an integer, not a float" },
	{ "control_lcore array", "control_lcore = 0;", "control_lcore = [0]; " MARK,
	  NULL, NULL, "wrong type" },
	{ "private_key bool", "private_key = \"@PRIV@\";", "private_key = true; " MARK,
	  NULL, NULL, "wrong type: 'private_key' must be a string" },
	{ "public_key int", PK2, "public_key = 12; " MARK, NULL, NULL,
	  "wrong type: 'peers[1].public_key' must be a string" },
	{ "allowed_ips string", AIP2, "allowed_ips = \"10.0.2.0/24\"; " MARK,
	  NULL, NULL, "wrong type: 'peers[1].allowed_ips' must be an array of strings" },
	{ "allowed_ips element", AIP2, "allowed_ips = (\"10.0.2.0/24\",\n 5 " MARK ");",
	  NULL, NULL, "wrong type: 'peers[1].allowed_ips[1]' must be a string" },
	{ "clear port a string", "  clear = {\n    device = \"net_ring1\";\n" CLEAR_IP "  };\n",
	  "  clear = \"net_ring1\"; " MARK "\n", NULL, NULL,
	  "wrong type: 'ports.clear' must be a group { }, not a string" },
	{ "eal_args int", LP, LP "\neal_args = [1, 2]; " MARK, NULL, NULL,
	  "wrong type: 'eal_args[0]' must be a string" },

	/* Numbers out of range (and libconfig's silent 32-bit truncation). */
	{ "listen_port 0", LP, "listen_port = 0; " MARK, NULL, NULL, "out of range (1..65535)" },
	{ "listen_port 65536", LP, "listen_port = 65536; " MARK, NULL, NULL, "out of range" },
	{ "listen_port -1", LP, "listen_port = -1; " MARK, NULL, NULL, "out of range" },
	{ "listen_port 2^32+1", LP, "listen_port = 4294967297; " MARK, NULL, NULL,
	  "out of range: listen_port = 4294967297 does not fit in 32 bits" },
	{ "listen_port hex 2^32+1", LP, "listen_port = 0x100000001; " MARK, NULL, NULL,
	  "out of range: listen_port = 0x100000001 does not fit in 32 bits" },
	{ "listen_port -2^32+1", LP, "listen_port = -4294967295; " MARK, NULL, NULL,
	  "listen_port = -4294967295 does not fit in 32 bits" },
	{ "listen_port 64-bit", LP, "listen_port = 4294967297L; " MARK, NULL, NULL,
	  "out of range" },
	{ "mtu 575", "mtu = 1420;", "mtu = 575; " MARK, NULL, NULL, "out of range (576..9000)" },
	{ "mtu 9001", "mtu = 1420;", "mtu = 9001; " MARK, NULL, NULL, "out of range" },
	{ "mtu below IPv6 minimum", "mtu = 1420;", "mtu = 1279; " MARK, NULL, NULL,
	  "out of range for IPv6: a peer allows IPv6 (line 26)" },
	{ "max_peers 0", LP, LP " max_peers = 0; " MARK, NULL, NULL, "out of range" },
	{ "idle_expiry -1", LP, LP " idle_expiry = -1; " MARK, NULL, NULL, "out of range" },
	{ "control_lcore 128", "control_lcore = 0;", "control_lcore = 128; " MARK, NULL, NULL,
	  "out of range (0..127)" },
	{ "lcore 128", "lcore = 2;", "lcore = 128; " MARK, NULL, NULL, "out of range" },
	{ "queue 2 of 2", W2, "{ lcore = 2; queue = 2; } " MARK, NULL, NULL,
	  "'workers[1].queue' = 2 is out of range (0..1)" },
	{ "lcore wraps, two on a line", "  { lcore = 1; queue = 0; },\n  " W2,
	  "  { lcore = 1; queue = 0; }, { lcore = 4294967298; queue = 1; } " MARK,
	  NULL, NULL, "does not fit in 32 bits" },
	{ "keepalive 65536", "persistent_keepalive = 25;", "persistent_keepalive = 65536; " MARK,
	  NULL, NULL, "out of range (0..65535)" },

	/* Malformed keys: the text is never echoed. */
	{ "public_key short", PK2, "public_key = \"abc\"; " MARK, NULL, NULL, "malformed key" },
	{ "public_key 45 chars", PK2, "public_key = \"@PUB2@=\"; " MARK, NULL, NULL,
	  "malformed key" },
	{ "public_key 43 chars", PK2,
	  "public_key = \"muQw/9H4M/qncV38mdoDHHZsQstMYpQIfEYGatcyPD8\"; " MARK, NULL, NULL,
	  "malformed key: 'peers[1].public_key' must be 44 base64 characters" },
	{ "public_key non-canonical", PK2, "public_key = \"" NONCANON_KEY "\"; " MARK,
	  NULL, NULL, "malformed key" },
	{ "public_key zero", PK2, "public_key = \"" ZERO_KEY "\"; " MARK, NULL, NULL,
	  "malformed key: a peer's public_key cannot be all zero" },
	{ "private_key bad char", "private_key = \"@PRIV@\";",
	  "private_key = \"!@PRIV@\"; " MARK, NULL, NULL, "malformed key: 'private_key'" },
	{ "private_key zero", "private_key = \"@PRIV@\";", "private_key = \"" ZERO_KEY "\"; " MARK,
	  NULL, NULL, "not a usable private key" },
	{ "preshared_key trailing space", "preshared_key = \"@PSK@\";",
	  "preshared_key = \"@PSK@ \"; " MARK, NULL, NULL, "malformed key: 'peers[0].preshared_key'" },
	{ "own public key", PK2, "public_key = \"@OWNPUB@\"; " MARK, NULL, NULL,
	  "this interface's own public key" },
	{ "duplicate peer key", PK2, "public_key = \"@PUB1@\"; " MARK, NULL, NULL,
	  "duplicate peer: this public_key is already used at line 24" },

	/* Allowed IPs and port addresses. */
	{ "host bits v4", AIP2, "allowed_ips = [\"10.0.2.1/24\"]; " MARK, NULL, NULL,
	  "host bits set (did you mean 10.0.2.0/24?)" },
	{ "host bits v6", AIP2, "allowed_ips = [\"fd00:1::1/64\"]; " MARK, NULL, NULL,
	  "host bits set (did you mean fd00:1::/64?)" },
	{ "prefix 33", AIP2, "allowed_ips = [\"10.0.2.0/33\"]; " MARK, NULL, NULL,
	  "prefix length outside 0..32" },
	{ "prefix 129", AIP2, "allowed_ips = [\"fd00:1::/129\"]; " MARK, NULL, NULL,
	  "prefix length outside 0..128" },
	{ "prefix empty", AIP2, "allowed_ips = [\"10.0.2.0/\"]; " MARK, NULL, NULL, "prefix length" },
	{ "prefix signed", AIP2, "allowed_ips = [\"10.0.2.0/+24\"]; " MARK, NULL, NULL, "prefix length" },
	{ "prefix spaced", AIP2, "allowed_ips = [\"10.0.2.0/ 24\"]; " MARK, NULL, NULL, "prefix length" },
	{ "three-octet v4", AIP2, "allowed_ips = [\"10.0.2/24\"]; " MARK, NULL, NULL,
	  "'peers[1].allowed_ips[0]' is not an IPv4 or IPv6 address" },
	{ "empty allowed ip", AIP2, "allowed_ips = [\"\"]; " MARK, NULL, NULL, "not an IPv4 or IPv6" },
	{ "port ipv4 without prefix", CLEAR_IP, "    ipv4 = \"10.0.0.1\"; " MARK "\n", NULL, NULL,
	  "needs a /prefix length" },
	{ "port ipv4 given v6", CLEAR_IP, "    ipv4 = \"fd00::1/64\"; " MARK "\n", NULL, NULL,
	  "must be an IPv4 address/prefix" },
	{ "gateway off-link", CLEAR_IP, CLEAR_IP "    gateway4 = \"10.0.9.254\"; " MARK "\n", NULL, NULL,
	  "not on-link: outside the port's prefix 10.0.0.0/24" },
	{ "gateway with prefix", CLEAR_IP, CLEAR_IP "    gateway4 = \"10.0.0.254/24\"; " MARK "\n",
	  NULL, NULL, "plain address" },
	{ "gateway6 without port ipv6", CLEAR_IP, CLEAR_IP "    gateway6 = \"fd00::fe\"; " MARK "\n",
	  NULL, NULL, "the port has no ipv6 address" },
	{ "gateway4 is IPv6", CLEAR_IP, CLEAR_IP "    gateway4 = \"fd00::fe\"; " MARK "\n",
	  NULL, NULL, "must be an IPv4 address" },
	{ "gateway is own address", CLEAR_IP, CLEAR_IP "    gateway4 = \"10.0.0.1\"; " MARK "\n",
	  NULL, NULL, "'ports.clear.gateway4' is the port's own address" },
	{ "neighbour off-link", "{ ip = \"192.0.2.254\";", "{ ip = \"192.0.3.254\"; " MARK,
	  NULL, NULL, "'ports.outer.neighbours[0].ip' is not on-link: outside the port's prefix 192.0.2.0/24" },
	{ "neighbour MAC multicast", "mac = \"02:00:00:00:00:fe\";", "mac = \"03:00:00:00:00:fe\"; " MARK,
	  NULL, NULL, "unicast" },
	{ "neighbour MAC short", "mac = \"02:00:00:00:00:fe\";", "mac = \"02:00:00:00:00\"; " MARK,
	  NULL, NULL, "malformed MAC" },
	{ "duplicate neighbour", "mac = \"02:00:00:00:00:fe\"; } );",
	  "mac = \"02:00:00:00:00:fe\"; },\n      { ip = \"192.0.2.254\"; mac = \"02:00:00:00:00:fd\"; } " MARK " );",
	  NULL, NULL, "duplicate neighbour 192.0.2.254 (first at line 11)" },

	/* Endpoints: malformed, and never echoed. */
	{ "endpoint no port", EP, "endpoint = \"198.51.100.7\"; " MARK, NULL, NULL, "malformed endpoint" },
	{ "endpoint port 0", EP, "endpoint = \"198.51.100.7:0\"; " MARK, NULL, NULL, "port outside 1..65535" },
	{ "endpoint port 65536", EP, "endpoint = \"198.51.100.7:65536\"; " MARK, NULL, NULL, "port outside" },
	{ "endpoint port junk", EP, "endpoint = \"198.51.100.7:51820x\"; " MARK, NULL, NULL, "port outside" },
	{ "endpoint host name", EP, "endpoint = \"vpn.example.com:51820\"; " MARK, NULL, NULL,
	  "malformed endpoint" },
	{ "endpoint bare v6", EP, "endpoint = \"2001:db8::7:51820\"; " MARK, NULL, NULL, "malformed endpoint" },
	{ "endpoint v6 no port", EP, "endpoint = \"[2001:db8::7]\"; " MARK, NULL, NULL, "malformed endpoint" },
	{ "endpoint bracketed v4", EP, "endpoint = \"[198.51.100.7]:51820\"; " MARK, NULL, NULL,
	  "malformed endpoint" },
	{ "endpoint v6, outer v4 only", EP, "endpoint = \"[2001:db8::7]:51820\"; " MARK,
	  "    ipv6 = \"2001:db8::1/64\";\n", "",
	  "endpoint is IPv6 but 'ports.outer' has no ipv6 address" },

	/* Duplicate allowed IPs: across peers, within one, in other spellings. */
	{ "allowed ip on two peers", AIP2, "allowed_ips = [\"10.0.2.0/24\", \"10.0.1.0/24\"]; " MARK,
	  NULL, NULL, "duplicate allowed IP 10.0.1.0/24: already assigned at line 26" },
	{ "allowed ip, other spelling", AIP2, "allowed_ips = [\"fd00:0:0::0/64\"]; " MARK,
	  NULL, NULL, "duplicate allowed IP fd00::/64" },
	{ "allowed ip twice in a peer", AIP1, "allowed_ips = [\"10.0.1.0/24\", \"fd00::/64\", \"10.0.1.0/024\"]; " MARK,
	  NULL, NULL, "duplicate allowed IP 10.0.1.0/24" },
	{ "host and /32", AIP2, "allowed_ips = [\"10.0.2.5\", \"10.0.2.5/32\"]; " MARK,
	  NULL, NULL, "duplicate allowed IP 10.0.2.5/32" },

	/* Workers. */
	{ "duplicate lcore", "lcore = 2;", "lcore = 1; " MARK, NULL, NULL,
	  "duplicate lcore 1 (first at line 20)" },
	{ "lcore is control_lcore", "lcore = 2;", "lcore = 0; " MARK, NULL, NULL,
	  "it is the control_lcore (line 18)" },
	{ "duplicate queue", W2, "{ lcore = 2; queue = 0; } " MARK, NULL, NULL,
	  "duplicate queue 0 (first at line 20)" },
	{ "no workers", "workers = (\n  { lcore = 1; queue = 0; },\n  " W2 "\n);",
	  "workers = (); " MARK, NULL, NULL, "at least one worker" },

	/* Missing required settings. */
	{ "no interface", "interface = \"wge0\";\n", "", NULL, NULL,
	  "missing required setting 'interface'" },
	{ "no listen_port", LP "\n", "", NULL, NULL, "missing required setting 'listen_port'" },
	{ "no private key", "private_key = \"@PRIV@\";\n", "", NULL, NULL,
	  "missing required setting 'private_key' (or 'private_key_file')" },
	{ "misspelt ports", "ports = {", "portz = { " MARK, NULL, NULL,
	  "unknown setting 'portz' (did you mean 'ports'?)" },
	{ "no ports", PORTS_BLOCK, "", NULL, NULL, "missing required setting 'ports'" },
	{ "no outer device", "    device = \"net_ring0\";\n", "", "  outer = {\n", "  outer = { " MARK "\n",
	  "missing required setting 'ports.outer.device'" },
	{ "no clear port", "  clear = {\n    device = \"net_ring1\";\n" CLEAR_IP "  };\n", "",
	  "ports = {\n", "ports = { " MARK "\n", "missing required setting 'ports.clear'" },
	{ "port without addresses", CLEAR_IP, "", "  clear = {\n", "  clear = { " MARK "\n",
	  "needs ipv4 or ipv6" },
	{ "neighbour without mac", "mac = \"02:00:00:00:00:fe\";", MARK, NULL, NULL,
	  "missing required setting 'ports.outer.neighbours[0].mac'" },
	{ "worker without queue", W2, "{ lcore = 2; } " MARK, NULL, NULL,
	  "missing required setting 'workers[1].queue'" },
	{ "peer without public_key", "  { " PK2 "\n", "  { " MARK "\n", NULL, NULL,
	  "missing required setting 'peers[1].public_key'" },
	{ "no control_lcore", "control_lcore = 0;\n", "", NULL, NULL,
	  "missing required setting 'control_lcore'" },

	/* Both ways of giving our key. */
	{ "private_key and private_key_file", "private_key = \"@PRIV@\";",
	  "private_key = \"@PRIV@\";\nprivate_key_file = \"k\"; " MARK, NULL, NULL,
	  "private_key and private_key_file are mutually exclusive (private_key is at line 2)" },

	/* Other values. */
	{ "interface with space", "\"wge0\";", "\"wg e0\"; " MARK, NULL, NULL,
	  "malformed interface name" },
	{ "interface 16 chars", "\"wge0\";", "\"abcdefghijklmnop\"; " MARK, NULL, NULL,
	  "malformed interface name" },
	{ "interface ..", "\"wge0\";", "\"..\"; " MARK, NULL, NULL, "malformed interface name" },
	{ "interface empty", "\"wge0\";", "\"\"; " MARK, NULL, NULL, "malformed interface name" },
	{ "crypto unknown", LP, LP " crypto = \"avx1024\"; " MARK, NULL, NULL,
	  "'crypto' must be one of auto, mb512, avx512, avx2, sse, sodium" },
	{ "log_level unknown", LP, LP " log_level = \"verbose\"; " MARK, NULL, NULL,
	  "'log_level' must be one of error, warning, info, debug" },
	{ "log_level not a string", LP, LP " log_level = 7; " MARK, NULL, NULL,
	  "'log_level'" },
	{ "same device twice", "device = \"net_ring1\";", "device = \"net_ring0\"; " MARK, NULL, NULL,
	  "same device" },
	{ "device with space", "device = \"net_ring1\";", "device = \"net ring1\"; " MARK, NULL, NULL,
	  "malformed device name" },
	{ "eal_args empty string", LP, LP "\neal_args = [\"--no-huge\", \"\"]; " MARK, NULL, NULL,
	  "'eal_args[1]' is empty" },

	/* libconfig's own errors keep FILE:LINE. */
	{ "syntax error", "mtu = 1420;", "mtu = ; " MARK, NULL, NULL, "syntax error" },
	{ "duplicate setting", "mtu = 1420;", "mtu = 1420; mtu = 1400; " MARK, NULL, NULL,
	  "duplicate setting name" },
	{ "mixed array", AIP2, "allowed_ips = [\"10.0.2.0/24\", 5]; " MARK, NULL, NULL,
	  "mismatched element type" },
	{ "missing include", LP "\n", LP "\n@include \"nope.conf\"\n", NULL, NULL,
	  "cannot open include file", 4 },
};

static void
run_err_case(const struct err_case *tc)
{
	char *text = strdup(base_conf), *mark;
	unsigned int line = tc->line;
	const char *path;

	text = replace_first(text, tc->find, tc->repl, tc->name);
	if (tc->find2 != NULL)
		text = replace_first(text, tc->find2, tc->repl2, tc->name);
	text = expand_keys(text);
	mark = strstr(text, MARK);
	if (mark != NULL && line == 0)
		line = line_of(text, mark);
	path = write_file("wgedge.conf", text, 0600);
	expect_error(tc->name, path, line, tc->word);
	free(text);
}

Test(config, every_error_names_file_line_and_problem)
{
	size_t i;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++)
		run_err_case(&err_cases[i]);
}

Test(config, base_fixture_is_valid)
{
	struct wg_config cfg;
	char *text = expand_keys(strdup(base_conf));

	load_ok(write_file("wgedge.conf", text, 0600), &cfg);
	cr_expect_eq(cfg.n_peers, 2);
	cr_expect_eq(cfg.n_warnings, 0, "0600 file: no warning");
	expect_key(cfg.public_key, k.b64[1], "derived public key");
	wg_config_free(&cfg);
	free(text);
}

/* ---- values at the edges that must load ------------------------------- */

struct ok_case {
	const char *name;
	const char *find, *repl;
};

static const struct ok_case ok_cases[] = {
	{ "listen_port 1", LP, "listen_port = 1;" },
	{ "listen_port 65535", LP, "listen_port = 65535;" },
	{ "listen_port 64-bit literal", LP, "listen_port = 51820L;" },
	{ "listen_port hex", LP, "listen_port = 0xCA6C;" },
	{ "mtu 1280 with IPv6", "mtu = 1420;", "mtu = 1280;" },
	{ "mtu 9000", "mtu = 1420;", "mtu = 9000;" },
	{ "mtu 576 without IPv6", "\"10.0.1.0/24\", \"fd00::/64\"", "\"10.0.1.0/24\"" },
	{ "idle_expiry 0", LP, LP " idle_expiry = 0;" },
	{ "idle_expiry 180", LP, LP " idle_expiry = 180;" },
	{ "idle_expiry 5", LP, LP " idle_expiry = 5;" },
	{ "max_peers 100000", LP, LP " max_peers = 100000;" },
	{ "keepalive 0", "persistent_keepalive = 25;", "persistent_keepalive = 0;" },
	{ "keepalive 65535", "persistent_keepalive = 25;", "persistent_keepalive = 65535;" },
	{ "control_lcore 127", "control_lcore = 0;", "control_lcore = 127;" },
	{ "default routes", AIP2, "allowed_ips = [\"0.0.0.0/0\", \"::/0\"];" },
	{ "overlapping prefixes", AIP2, "allowed_ips = [\"10.0.0.0/8\", \"10.0.1.128/25\"];" },
	{ "no allowed_ips", AIP2, "" },
	{ "empty allowed_ips", AIP2, "allowed_ips = [];" },
	{ "allowed_ips as a list", AIP2, "allowed_ips = (\"10.0.2.0/24\");" },
	{ "endpoint v6", EP, "endpoint = \"[2001:db8::7]:1\";" },
	{ "endpoint port 65535", EP, "endpoint = \"198.51.100.7:65535\";" },
	{ "no peers", "peers = (", "xpeers = (" },
	{ "workers, other order", "{ lcore = 1; queue = 0; },\n  " W2,
	  "{ queue = 1; lcore = 7; },\n  { queue = 0; lcore = 3; }" },
	{ "interface 15 chars", "\"wge0\"", "\"a=b+c.d-e_f0123\"" },
	{ "crypto sodium", LP, LP " crypto = \"sodium\";" },
	{ "neighbours empty", "( { ip = \"192.0.2.254\"; mac = \"02:00:00:00:00:fe\"; } )", "()" },
	{ "comment with a number", LP, LP " # listen_port was 4294967297 once" },
};

Test(config, edge_values_load)
{
	struct wg_config cfg;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		text = replace_first(strdup(base_conf), ok_cases[i].find,
				     ok_cases[i].repl, ok_cases[i].name);
		/* "no peers": drop the whole peers list. */
		if (strstr(text, "xpeers") != NULL)
			text[strstr(text, "xpeers") - text] = '\0';
		text = expand_keys(text);
		load_ok(write_file("wgedge.conf", text, 0600), &cfg);
		wg_config_free(&cfg);
		free(text);
	}
}

Test(config, edge_values_come_out_right)
{
	struct wg_config cfg;
	char *text = strdup(base_conf);

	text = replace_first(text, AIP2, "allowed_ips = [\"10.0.2.5\", \"::/0\"];", "t");
	text = replace_first(text, LP, "listen_port = 0xCA6C; idle_expiry = 0; crypto = \"avx512\";", "t");
	text = expand_keys(text);
	load_ok(write_file("wgedge.conf", text, 0600), &cfg);
	cr_expect_eq(cfg.listen_port, 51820);
	cr_expect_eq(cfg.idle_expiry, 0);
	cr_expect_eq(cfg.crypto, WG_CONFIG_CRYPTO_AVX512);
	cr_expect_null(cfg.eal_args, "no eal_args setting: NULL");
	cr_expect_eq(cfg.n_eal_args, 0);
	expect_addr(&cfg.peers[1].allowed_ips[0], "10.0.2.5", 32);
	expect_addr(&cfg.peers[1].allowed_ips[1], "::", 0);
	cr_expect_eq(cfg.peers[1].endpoint.family, WG_AF_NONE);
	expect_key(cfg.peers[0].preshared_key, k.b64[4], "psk");
	cr_expect_eq(cfg.peers[0].line, 24);
	cr_expect_eq(cfg.peers[1].line, 29);
	wg_config_free(&cfg);
	free(text);
}

/* ---- private_key_file, inline key warnings, @include ------------------- */

/* The base fixture with private_key_file = ref instead of the inline key. */
static const char *
write_keyfile_conf(const char *ref)
{
	char *text = strdup(base_conf), *line;
	const char *path;

	cr_assert_geq(asprintf(&line, "private_key_file = \"%s\";", ref), 0);
	text = expand_keys(replace_first(text, "private_key = \"@PRIV@\";", line, "kf"));
	path = write_file("wgedge.conf", text, 0600);
	free(line);
	free(text);
	return path;
}

Test(config, private_key_file_loads)
{
	static const char *const forms[] = { "%s\n", "%s", "  %s \r\n", "%s\n\n" };
	char content[128], dir[300], cwd[512];
	struct wg_config cfg;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/keys", tmpdir);
	cr_assert_eq(mkdir(dir, 0700), 0);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir("/"), 0, "relative to the config file, not cwd");
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(content, sizeof(content), forms[i], k.b64[0]);
		write_file("keys/wge0.key", content, 0600);
		load_ok(write_keyfile_conf("keys/wge0.key"), &cfg);
		cr_expect_arr_eq(cfg.private_key, k.priv, WG_KEY_LEN, "form %zu", i);
		cr_expect_arr_eq(cfg.public_key, k.ownpub, WG_KEY_LEN, "form %zu", i);
		cr_expect_eq(cfg.n_warnings, 0);
		wg_config_free(&cfg);
	}
	/* An absolute path works the same. */
	snprintf(content, sizeof(content), "%s/keys/wge0.key", tmpdir);
	load_ok(write_keyfile_conf(content), &cfg);
	cr_expect_arr_eq(cfg.private_key, k.priv, WG_KEY_LEN);
	wg_config_free(&cfg);
	cr_assert_eq(chdir(cwd), 0);
}

struct keyfile_case {
	const char *name;
	const char *content;	/* NULL: make a directory, not a file */
	mode_t mode;
	const char *word;
	uid_t owner;		/* 0: ours; else chown (needs root) */
};

enum { NOBODY = 65534 };

Test(config, private_key_file_errors)
{
	static const struct keyfile_case cases[] = {
		{ "group-readable", "@PRIV@\n", 0640, "accessible by group or others (mode 0640); chmod 600" },
		{ "world-readable", "@PRIV@\n", 0604, "(mode 0604)" },
		{ "group-writable", "@PRIV@\n", 0620, "(mode 0620)" },
		{ "a directory", NULL, 0700, "is not a regular file" },
		{ "empty", "", 0600, "malformed key: private_key_file" },
		{ "not base64", "not a key\n", 0600, "must hold one base64 key line" },
		{ "two keys", "@PRIV@\n@PSK@\n", 0600, "must hold one base64 key line" },
		{ "key and junk", "@PRIV@ x\n", 0600, "must hold one base64 key line" },
		{ "key, long tail", "@PRIV@                                                                                                                                  \n",
		  0600, "must hold one base64 key line" },
		{ "zero key", ZERO_KEY "\n", 0600, "not a usable private key" },
		{ "owned by another user", "@PRIV@\n", 0600,
		  "is owned by uid 65534, not by the user running wgedge (uid 0); chown it",
		  NOBODY },
	};
	char path[300];
	char *content;
	size_t i;

	snprintf(path, sizeof(path), "%s/wge0.key", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		remove(path);
		if (cases[i].owner != 0 && geteuid() != 0)
			continue;	/* only root gives a file away */
		if (cases[i].content == NULL) {
			cr_assert_eq(mkdir(path, cases[i].mode), 0);
		} else {
			content = expand_keys(strdup(cases[i].content));
			write_file("wge0.key", content, cases[i].mode);
			free(content);
		}
		if (cases[i].owner != 0)
			cr_assert_eq(chown(path, cases[i].owner, (gid_t)-1), 0);
		expect_error(cases[i].name, write_keyfile_conf("wge0.key"), 2,
			     cases[i].word);
	}
	remove(path);
	expect_error("missing", write_keyfile_conf("wge0.key"), 2,
		     "cannot open: No such file or directory");
}

Test(config, private_key_file_unreadable)
{
	if (geteuid() == 0) {
		teardown();	/* a skipped test gets no .fini */
		cr_skip_test("root reads a mode 0000 file");
	}
	write_file("wge0.key", k.b64[0], 0000);
	expect_error("unreadable", write_keyfile_conf("wge0.key"), 2,
		     "cannot open: Permission denied");
}

Test(config, inline_key_in_readable_file_warns)
{
	struct wg_config cfg;
	char *text = expand_keys(strdup(base_conf));
	const char *path = write_file("wgedge.conf", text, 0644);

	load_ok(path, &cfg);
	cr_assert_eq(cfg.n_warnings, 1);
	cr_expect(!has_key_material(cfg.warnings[0]));
	cr_expect_not_null(strstr(cfg.warnings[0], ":2: warning: "));
	cr_expect_not_null(strstr(cfg.warnings[0], "group or others (mode 0644)"));
	wg_config_free(&cfg);
	cr_assert_eq(chmod(path, 0600), 0);
	load_ok(path, &cfg);
	cr_expect_eq(cfg.n_warnings, 0);
	wg_config_free(&cfg);
	free(text);
}

/* Loads path; the error must be "INC:LINE: ..." with word in it. */
static void
expect_include_error(const char *path, const char *inc, unsigned int line,
		     const char *word)
{
	struct wg_config cfg;
	char err[ERR_LEN], *prefix;

	cr_expect_eq(wg_config_load(path, &cfg, err, sizeof(err)), -1);
	cr_assert_geq(asprintf(&prefix, "%s:%u: ", inc, line), 0);
	cr_expect(!has_key_material(err));
	cr_expect(strncmp(err, prefix, strlen(prefix)) == 0 &&
		  strstr(err, word) != NULL, "'%s' is not '%s...%s'",
		  has_key_material(err) ? "(hidden)" : err, prefix, word);
	free(prefix);
}

Test(config, include_is_relative_and_named_in_errors)
{
	static const char peers_file[] =
		"# peers, kept apart\n"
		"peers = (\n"
		"  { public_key = \"@PUB1@\"; allowed_ips = [\"10.0.1.0/24\"]; },\n"
		"  { public_key = \"@PUB2@\"; allowed_ips = [\"10.0.2.0/24\"];\n"
		"    persistent_keepalive = 25; }\n"
		");\n";
	char *main_text, *inc, inc_path[300], cwd[512];
	struct wg_config cfg;
	const char *path;

	main_text = replace_first(strdup(base_conf), "peers = (", "@include \"peers.inc\"\nxpeers = (", "inc");
	main_text[strstr(main_text, "xpeers") - main_text] = '\0';
	main_text = expand_keys(main_text);
	path = write_file("wgedge.conf", main_text, 0600);
	inc = expand_keys(strdup(peers_file));
	write_file("peers.inc", inc, 0600);
	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(chdir("/"), 0);
	load_ok(path, &cfg);
	cr_expect_eq(cfg.n_peers, 2);
	cr_expect_eq(cfg.peers[1].persistent_keepalive, 25);
	cr_expect_eq(cfg.peers[1].line, 4);
	wg_config_free(&cfg);

	/* Errors inside the included file name it and its own lines. */
	snprintf(inc_path, sizeof(inc_path), "%s/peers.inc", tmpdir);
	free(inc);
	inc = expand_keys(replace_first(strdup(peers_file), "10.0.2.0/24", "10.0.1.0/24", "inc"));
	write_file("peers.inc", inc, 0600);
	expect_include_error(path, inc_path, 4,
			     "duplicate allowed IP 10.0.1.0/24: already assigned at line 3");
	free(inc);
	/* libconfig truncates here too; the include's text is re-read. */
	inc = expand_keys(replace_first(strdup(peers_file), "= 25;", "= 4294967297;", "inc"));
	write_file("peers.inc", inc, 0600);
	expect_include_error(path, inc_path, 5, "does not fit in 32 bits");
	free(inc);
	/* A syntax error in the include. */
	inc = expand_keys(replace_first(strdup(peers_file), "= 25;", "= ;", "inc"));
	write_file("peers.inc", inc, 0600);
	expect_include_error(path, inc_path, 5, "syntax error");
	cr_assert_eq(chdir(cwd), 0);
	free(inc);
	free(main_text);
}

Test(config, missing_config_file)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	expect_error("missing config", path, 0, "cannot read: No such file or directory");
	expect_error("directory as config", tmpdir, 0, "cannot read: Is a directory");
}

Test(config, error_buffer_may_be_small_or_absent)
{
	struct wg_config cfg;
	char err[8];
	char *text = expand_keys(replace_first(strdup(base_conf), LP, "listen_port = 0;", "t"));
	const char *path = write_file("wgedge.conf", text, 0600);

	cr_expect_eq(wg_config_load(path, &cfg, NULL, 0), -1);
	cr_expect_eq(wg_config_load(path, &cfg, err, sizeof(err)), -1);
	cr_expect_eq(strlen(err), sizeof(err) - 1, "truncated, NUL-terminated");
	free(text);
}

Test(config, duplicate_across_files_names_the_other_file)
{
	char *main_text, *inc, *want, *inc_path;
	const char *path;

	main_text = replace_first(strdup(base_conf), "    allowed_ips = [\"10.0.2.0/24\"]; }\n",
				  "    allowed_ips = [\"10.0.2.0/24\"]; },\n@include \"more.inc\"\n", "x");
	main_text = expand_keys(main_text);
	path = write_file("wgedge.conf", main_text, 0600);
	inc = expand_keys(strdup("# more peers\n  { public_key = \"@PUB1@\"; }\n"));
	write_file("more.inc", inc, 0600);
	cr_assert_geq(asprintf(&inc_path, "%s/more.inc", tmpdir), 0);
	cr_assert_geq(asprintf(&want, "duplicate peer: this public_key is already used at %s:24",
			       path), 0);
	expect_include_error(path, inc_path, 2, want);
	free(want);
	free(inc_path);
	free(inc);
	free(main_text);
}

/* ---- many peers --------------------------------------------------------- */

enum { MANY = 10000 };

/* The base fixture's head (everything before "peers"), then n generated
 * peers, one a line; *first_line gets the line of peer 0. */
static char *
many_peers_conf(unsigned int n, unsigned int *first_line)
{
	char *head = expand_keys(strdup(base_conf)), *buf, *p;
	char b64[B64_BUF];
	uint8_t key[WG_KEY_LEN];
	size_t cap = strlen(head) + (size_t)n * 200 + 16;
	unsigned int i;

	*strstr(head, "peers = (") = '\0';
	/* One line more than the head: the table is sized for n peers. */
	*first_line = line_of(head, head + strlen(head)) + 2;
	buf = malloc(cap);
	cr_assert_not_null(buf);
	p = buf + sprintf(buf, "%smax_peers = %u;\npeers = (\n", head, n);
	for (i = 0; i < n; i++) {
		gen_key(key, "many", i);
		to_b64(b64, key);
		p += sprintf(p, "  { public_key = \"%s\"; allowed_ips = [\"10.%u.%u.0/24\", \"fd00:%x::/32\"]; "
			     "endpoint = \"198.51.100.%u:%u\"; persistent_keepalive = %u; }%s\n",
			     b64, 64 + (i >> 8), i & 255, i, i % 250 + 1, 1024 + i,
			     i % 60, i + 1 < n ? "," : "");
	}
	sprintf(p, ");\n");
	free(head);
	return buf;
}

Test(config, ten_thousand_peers_load_right)
{
	const struct wg_config_peer *p;
	struct wg_config cfg;
	unsigned int first, i;
	uint8_t key[WG_KEY_LEN];
	char ip[32];
	char *text = many_peers_conf(MANY, &first);
	const char *path = write_file("wgedge.conf", text, 0600);

	/* How fast is bench/'s business (peer scale), not a timed test's. */
	load_ok(path, &cfg);
	cr_assert_eq(cfg.n_peers, MANY);
	for (i = 0; i < MANY; i++) {
		p = &cfg.peers[i];
		gen_key(key, "many", i);
		cr_assert_arr_eq(p->public_key, key, WG_KEY_LEN, "peer %u", i);
		cr_assert_eq(p->n_allowed_ips, 2);
		snprintf(ip, sizeof(ip), "10.%u.%u.0", 64 + (i >> 8), i & 255);
		expect_addr(&p->allowed_ips[0], ip, 24);
		cr_assert_eq(p->allowed_ips[1].addr[2] << 8 | p->allowed_ips[1].addr[3], i);
		cr_assert_eq(p->endpoint.port, 1024 + i);
		cr_assert_eq(p->endpoint.addr.v4[3], i % 250 + 1);
		cr_assert_eq(p->persistent_keepalive, i % 60);
		cr_assert_eq(p->line, first + i);
	}
	wg_config_free(&cfg);
	free(text);
}

/* A generated file may come on one line: no scan of the line per value. */
Test(config, ten_thousand_peers_on_one_line)
{
	struct wg_config cfg;
	unsigned int first;
	char *text = many_peers_conf(MANY, &first), *nl, *bad;
	const char *path;

	for (nl = text; *nl != '\0'; nl++)
		if (*nl == '\n')
			*nl = ' ';
	path = write_file("wgedge.conf", text, 0600);
	load_ok(path, &cfg);
	cr_expect_eq(cfg.n_peers, MANY);
	cr_expect_eq(cfg.peers[MANY - 1].persistent_keepalive, (MANY - 1) % 60);
	wg_config_free(&cfg);
	/* The truncation check still sees a bad number far along the line:
	 * the last peer's 39 becomes 2^32 + 39, which libconfig reads as 39. */
	nl = strrchr(text, '{');		/* the last peer */
	nl = strstr(nl, "persistent_keepalive = ");
	cr_assert_eq(strncmp(nl, "persistent_keepalive = 39;", 26), 0);
	nl += strlen("persistent_keepalive = ");
	cr_assert_geq(asprintf(&bad, "%.*s4294967335%s", (int)(nl - text), text,
			       nl + 2), 0);
	expect_error("2^32 + 39", write_file("wgedge.conf", bad, 0600), 1,
		     "out of range: persistent_keepalive = 4294967335 does not fit in 32 bits");
	free(bad);
	free(text);
}

/* Peer `dup` gets the public key (or first allowed IP) of peer `orig`,
 * written over its own in place (same length, so lines stay put). */
static void
expect_many_dup(bool ip, unsigned int orig, unsigned int dup)
{
	unsigned int first, i;
	char *text = many_peers_conf(MANY, &first), *line, *field, *want;
	char repl[B64_BUF];
	uint8_t key[WG_KEY_LEN];

	line = text;
	for (i = 1; i < first + dup; i++)
		line = strchr(line, '\n') + 1;
	if (ip) {
		field = strstr(line, "\"10.") + 1;
		snprintf(repl, sizeof(repl), "10.%u.%u.0/24", 64 + (orig >> 8), orig & 255);
		cr_assert_eq(strchr(field, '"') - field, (ptrdiff_t)strlen(repl));
		cr_assert_geq(asprintf(&want, "duplicate allowed IP %s: already assigned at line %u",
				       repl, first + orig), 0);
	} else {
		field = strchr(line, '"') + 1;
		gen_key(key, "many", orig);
		to_b64(repl, key);
		cr_assert_geq(asprintf(&want, "duplicate peer: this public_key is already used at line %u",
				       first + orig), 0);
	}
	memcpy(field, repl, strlen(repl));
	expect_error(want, write_file("wgedge.conf", text, 0600), first + dup, want);
	free(want);
	free(text);
}

Test(config, duplicates_among_ten_thousand_are_found)
{
	expect_many_dup(false, 1234, 9999);
	expect_many_dup(false, 0, 1);
	expect_many_dup(true, 17, 9000);
	expect_many_dup(true, 9998, 9999);
}

/* ---- randomized: duplicate detection against a naive reference ---------- */

/* Spellings of prefixes; equal `id` means the same prefix. */
static const struct {
	const char *text;
	unsigned int id;
} pool[] = {
	{ "10.0.0.0/24", 0 }, { "10.0.0.0/024", 0 }, { "10.0.1.0/24", 1 },
	{ "10.0.0.0/16", 2 }, { "10.0.0.5", 3 }, { "10.0.0.5/32", 3 },
	{ "0.0.0.0/0", 4 }, { "fd00::/64", 5 }, { "fd00:0::0/64", 5 },
	{ "fd00:0:0:0::/64", 5 }, { "fd00::/48", 6 }, { "fd00::1", 7 },
	{ "fd00::1/128", 7 }, { "fd00:0::1", 7 }, { "::/0", 8 },
	{ "10.0.2.0/23", 9 }, { "192.168.0.0/16", 10 }, { "fd01::/16", 11 },
};
enum { POOL = sizeof(pool) / sizeof(pool[0]), MAX_R = 40, IDS = 12 };

struct rpeer {
	unsigned int key;		/* index into the key pool */
	unsigned int n_ips, ip[3];	/* indices into pool[] */
};

static uint32_t rng_state;

static uint32_t
rng(uint32_t bound)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % bound;
}

/*
 * The naive answer, in file order as the loader reads: each peer's key,
 * then its allowed IPs in order, each compared with everything before it.
 * Returns the index of the failing peer (n: none); *first the peer it
 * collides with, *is_ip which set.
 */
static unsigned int
naive_first_dup(const struct rpeer *p, unsigned int n, unsigned int *first,
		bool *is_ip)
{
	unsigned int i, j, a, b;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (p[j].key == p[i].key) {
				*first = j;
				*is_ip = false;
				return i;
			}
		}
		for (a = 0; a < p[i].n_ips; a++) {
			for (j = 0; j <= i; j++) {
				for (b = 0; b < (j == i ? a : p[j].n_ips); b++) {
					if (pool[p[j].ip[b]].id == pool[p[i].ip[a]].id) {
						*first = j;
						*is_ip = true;
						return i;
					}
				}
			}
		}
	}
	return n;
}

static char *
random_conf(const struct rpeer *p, unsigned int n, unsigned int *first_line)
{
	char *text = expand_keys(strdup(base_conf)), *out, *tmp;
	uint8_t key[WG_KEY_LEN];
	char b64[B64_BUF];
	unsigned int i, a;

	*strstr(text, "peers = (") = '\0';
	*first_line = line_of(text, text + strlen(text)) + 1;
	cr_assert_geq(asprintf(&out, "%speers = (\n", text), 0);
	for (i = 0; i < n; i++) {
		gen_key(key, "rand", p[i].key);
		to_b64(b64, key);
		tmp = out;
		cr_assert_geq(asprintf(&out, "%s  { public_key = \"%s\"; allowed_ips = [", tmp, b64), 0);
		free(tmp);
		for (a = 0; a < p[i].n_ips; a++) {
			tmp = out;
			cr_assert_geq(asprintf(&out, "%s%s\"%s\"", tmp, a > 0 ? ", " : "",
					       pool[p[i].ip[a]].text), 0);
			free(tmp);
		}
		tmp = out;
		cr_assert_geq(asprintf(&out, "%s]; }%s\n", tmp, i + 1 < n ? "," : ""), 0);
		free(tmp);
	}
	tmp = out;
	cr_assert_geq(asprintf(&out, "%s);\n", tmp), 0);
	free(tmp);
	free(text);
	return out;
}

/* 0: loaded; 1: duplicate key found; 2: duplicate IP found. */
static unsigned int
random_round(unsigned int round)
{
	struct rpeer p[MAX_R];
	unsigned int n = 1 + rng(MAX_R), i, a, first = 0, bad, line0;
	struct wg_config cfg;
	char err[ERR_LEN], *text, want[64];
	bool is_ip = false;

	for (i = 0; i < n; i++) {
		/* Rare collisions, so that some rounds load and failures come
		 * at every position. */
		p[i].key = i > 0 && rng(3 * n) == 0 ? p[rng(i)].key : i;
		p[i].n_ips = rng(6) == 0 ? 1 + rng(3) : 0;
		for (a = 0; a < p[i].n_ips; a++)
			p[i].ip[a] = rng(POOL);
	}
	bad = naive_first_dup(p, n, &first, &is_ip);
	text = random_conf(p, n, &line0);
	memset(err, 0, sizeof(err));
	if (bad == n) {
		cr_assert_eq(wg_config_load(write_file("wgedge.conf", text, 0600), &cfg,
					    err, sizeof(err)), 0,
			     "round %u: %s", round, err);
		cr_assert_eq(cfg.n_peers, n);
		for (i = 0; i < n; i++)
			cr_assert_eq(cfg.peers[i].n_allowed_ips, p[i].n_ips);
		wg_config_free(&cfg);
	} else {
		snprintf(want, sizeof(want), "%s", is_ip ? "duplicate allowed IP" :
			 "duplicate peer");
		expect_error(want, write_file("wgedge.conf", text, 0600),
			     line0 + bad, want);
		snprintf(want, sizeof(want), "at line %u", line0 + first);
		expect_error(want, write_file("wgedge.conf", text, 0600),
			     line0 + bad, want);
	}
	free(text);
	return bad == n ? 0 : is_ip ? 2 : 1;
}

Test(config, duplicates_match_a_naive_reference)
{
	unsigned int round, outcome[3] = { 0 };

	rng_state = 20240601;
	for (round = 0; round < 300; round++)
		outcome[random_round(round)]++;
	/* The rounds must cover all three outcomes to mean anything. */
	cr_expect_gt(outcome[0], 30, "%u rounds loaded", outcome[0]);
	cr_expect_gt(outcome[1], 30, "%u rounds had a duplicate key", outcome[1]);
	cr_expect_gt(outcome[2], 30, "%u rounds had a duplicate IP", outcome[2]);
}

/* ---- memory ------------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define HAVE_LSAN 1
#else
#include <malloc.h>
#endif

enum { N_ERR = sizeof(err_cases) / sizeof(err_cases[0]) };

/* Fixture files for every path: each error case, the example, a key file,
 * a key file with a bad mode, an inline key with a warning. */
static char **
write_everything(size_t *n)
{
	char **paths = calloc(N_ERR + 4, sizeof(*paths)), name[32], *text;
	size_t i;

	cr_assert_not_null(paths);
	for (i = 0; i < N_ERR; i++) {
		text = replace_first(strdup(base_conf), err_cases[i].find,
				     err_cases[i].repl, err_cases[i].name);
		if (err_cases[i].find2 != NULL)
			text = replace_first(text, err_cases[i].find2,
					     err_cases[i].repl2, err_cases[i].name);
		text = expand_keys(text);
		snprintf(name, sizeof(name), "case%zu.conf", i);
		paths[i] = strdup(write_file(name, text, 0600));
		free(text);
	}
	paths[i++] = strdup(EXAMPLE);
	write_file("good.key", k.b64[0], 0600);
	write_file("open.key", k.b64[0], 0644);
	text = expand_keys(replace_first(strdup(base_conf), "private_key = \"@PRIV@\";",
					 "private_key_file = \"good.key\";", "m"));
	paths[i++] = strdup(write_file("keyfile.conf", text, 0600));
	free(text);
	text = expand_keys(replace_first(strdup(base_conf), "private_key = \"@PRIV@\";",
					 "private_key_file = \"open.key\";", "m"));
	paths[i++] = strdup(write_file("openkey.conf", text, 0600));
	free(text);
	text = expand_keys(strdup(base_conf));
	paths[i++] = strdup(write_file("warn.conf", text, 0644));
	free(text);
	*n = i;
	return paths;
}

/* No assertions inside: Criterion's own bookkeeping stays out of it. */
static unsigned int
load_everything(char **paths, size_t n)
{
	struct wg_config cfg;
	char err[ERR_LEN];
	unsigned int ok = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (wg_config_load(paths[i], &cfg, err, sizeof(err)) == 0)
			ok++;
		wg_config_free(&cfg);
	}
	return ok;
}

#ifndef HAVE_LSAN
#define NO_TCACHE "GLIBC_TUNABLES=glibc.malloc.tcache_count=0"

/*
 * mallinfo2() counts chunks parked in glibc's per-thread cache as in use,
 * so heap-in-use only balances exactly with the cache off, which a tunable
 * does at process start: run this one test again in a process that has it.
 */
static bool
rerun_without_tcache(void)
{
	char *const argv[] = { "test_config",
		"--filter=config/loader_leaves_no_memory_behind", NULL };
	char *const envp[] = { NO_TCACHE, NULL };
	const char *t = getenv("GLIBC_TUNABLES");
	pid_t pid;
	int status;

	if (t != NULL && strstr(t, "tcache_count=0") != NULL)
		return false;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the loader left memory behind (see the run above)");
	return true;
}
#endif

Test(config, loader_leaves_no_memory_behind)
{
	size_t n, i;
	unsigned int ok;
	char **paths;

#ifndef HAVE_LSAN
	size_t before, after;

	if (rerun_without_tcache())
		return;
#endif
	paths = write_everything(&n);
	load_everything(paths, n);	/* warm-up: libc's first-use allocations */
#ifdef HAVE_LSAN
	ok = load_everything(paths, n);
	cr_expect_eq(__lsan_do_recoverable_leak_check(), 0,
		     "LeakSanitizer found memory the loader left behind");
#else
	before = mallinfo2().uordblks;
	ok = load_everything(paths, n);
	after = mallinfo2().uordblks;
	cr_expect_eq(after, before, "%zd bytes left behind",
		     (ssize_t)(after - before));
#endif
	cr_expect_eq(ok, 3, "example, key file, warning");
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
