/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge: the gateway daemon.
 *
 *   wgedge [EAL args] -- --config FILE
 *   wgedge --check-config FILE | --version | --help
 *
 * EAL arguments on the command line replace the configuration's eal_args;
 * without -l/-c/--lcores the lcores are taken from the configuration (the
 * control lcore as main lcore, then the workers'). The main lcore runs the
 * control thread; each worker polls its queues on its own lcore. SIGINT and
 * SIGTERM stop it cleanly (the control sockets' files are removed); SIGHUP
 * reads the file again and applies what may change (daemon_reload.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_version.h>
#include <sodium.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "keys.h"
#include "log.h"
#include "orch.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: wgedge [EAL args] -- --config FILE [--log-level LEVEL]\n"
		   "       wgedge --check-config FILE\n"
		   "       wgedge --version\n"
		   "  EAL args given here replace the configuration's eal_args.\n"
		   "  --check-config validates FILE without starting DPDK.\n"
		   "  See wgedge(8) and wgedge.conf(5).\n");
}

static void
print_warnings(const struct wg_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->n_warnings; i++)
		fprintf(stderr, "wgedge: %s\n", cfg->warnings[i]);
}

static void
log_warnings(const struct wg_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->n_warnings; i++)
		wg_log(WG_LOG_WARNING, "%s", cfg->warnings[i]);
}

/* wgedge --check-config FILE: the configuration alone, no EAL, no NIC. */
static int
check_config(const char *path)
{
	struct wg_config cfg;
	char err[512];

	if (wg_config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "wgedge: %s\n", err);
		return 1;
	}
	print_warnings(&cfg);
	printf("%s: OK (interface %s, port %u, %u worker(s), %u static peer(s))\n",
	       path, cfg.interface, cfg.listen_port, cfg.n_workers, cfg.n_peers);
	wg_config_free(&cfg);
	return 0;
}

/* The commands that run without EAL; -1 when argv is none of them. */
static int
early_command(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("wgedge %s (%s, libsodium %s)\n", WG_VERSION, rte_version(),
		       sodium_version_string());
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
			  strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--check-config") == 0) {
		if (argc != 3) {
			usage(stderr);
			return 2;
		}
		return check_config(argv[2]);
	}
	return -1;
}

static int
parse_app_args(int argc, char **argv, const char **config,
	       enum wg_log_level *level, bool *level_set)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (o == 'c') {
			*config = optarg;
		} else if (o == 'L' && wg_log_level_parse(optarg, level) == 0) {
			*level_set = true;
		} else if (o == 'L') {
			fprintf(stderr, "wgedge: --log-level: one of error, warning, info, debug\n");
			return -1;
		} else {
			usage(o == 'h' ? stdout : stderr);
			exit(o == 'h' ? 0 : 2);
		}
	}
	if (*config == NULL || optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static bool
has_lcore_arg(char **args, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(args[i], "-l") || !strcmp(args[i], "-c") ||
		    !strncmp(args[i], "--lcores", 8))
			return true;
	return false;
}

/* argv[0], the EAL args (command line, else the file's), then lcores. */
static int
eal_args(const struct wg_config *cfg, char *prog, char **cli, int n_cli,
	 char **out, int cap, char *lcores, size_t lcap, char *main_lcore)
{
	char **src = n_cli > 0 ? cli : cfg->eal_args;
	int n_src = n_cli > 0 ? n_cli : (int)cfg->n_eal_args, n = 0, i;
	size_t used;

	if (n_src + 5 > cap)
		return -1;
	out[n++] = prog;
	for (i = 0; i < n_src; i++)
		out[n++] = src[i];
	if (!has_lcore_arg(src, n_src)) {
		used = (size_t)snprintf(lcores, lcap, "%u", cfg->control_lcore);
		for (i = 0; i < (int)cfg->n_workers && used < lcap; i++)
			used += (size_t)snprintf(lcores + used, lcap - used, ",%u",
						 cfg->workers[i].lcore);
		out[n++] = "-l";
		out[n++] = lcores;
		snprintf(main_lcore, 16, "%u", cfg->control_lcore);
		out[n++] = "--main-lcore";
		out[n++] = main_lcore;
	}
	return n;
}

struct gateway {
	const char *config_path;
	struct wg_config cfg;
	struct wg_dp *dp;
	struct wg_control *ctl;
	struct wg_neigh_dp neigh;
	unsigned int launched;
};

/* The address pool's ranges, and what it never hands out: our own addresses. */
struct pool_conf {
	struct wg_ippool_prefix v4, v6;
	struct wg_ippool_addr fixed[4];
};

static void
pool_conf(const struct wg_config *cfg, struct pool_conf *pc,
	  struct wg_control_conf *cc)
{
	const struct wg_config_addr *own[] = {
		&cfg->outer.ipv4, &cfg->outer.ipv6, &cfg->clear.ipv4, &cfg->clear.ipv6,
	};
	const struct wg_config_addr *range[2] = { &cfg->pool4, &cfg->pool6 };
	struct wg_ippool_prefix *p[2] = { &pc->v4, &pc->v6 };
	unsigned int i;

	memset(pc, 0, sizeof(*pc));
	for (i = 0; i < 2; i++) {
		if (range[i]->family == WG_AF_NONE)
			continue;
		p[i]->base.family = range[i]->family;
		memcpy(p[i]->base.addr.v6, range[i]->addr, sizeof(p[i]->base.addr.v6));
		p[i]->cidr = range[i]->prefix_len;
	}
	cc->pool_v4 = cfg->pool4.family != WG_AF_NONE ? &pc->v4 : NULL;
	cc->pool_v6 = cfg->pool6.family != WG_AF_NONE ? &pc->v6 : NULL;
	for (i = 0; i < RTE_DIM(own); i++) {
		if (own[i]->family == WG_AF_NONE)
			continue;
		pc->fixed[cc->n_pool_fixed].family = own[i]->family;
		memcpy(pc->fixed[cc->n_pool_fixed++].addr.v6, own[i]->addr, 16);
	}
	cc->pool_fixed = pc->fixed;
}

/* The orchestration socket, on the control thread's server (which closes
 * it when it is destroyed). */
static int
orch_start(struct gateway *g)
{
	struct wg_orch_server_config oc = {
		.server = wg_control_server(g->ctl), .control = g->ctl,
		.ifname = g->cfg.interface,
	};
	struct wg_orch_server *orch;
	char err[256];
	int rc = wg_orch_server_open(&orch, &oc, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "wgedge: orchestration socket: %s\n", err);
	return rc;
}

static int
gateway_start(struct gateway *g)
{
	struct wg_control_conf cc = { 0 };
	struct pool_conf pc;
	struct wg_dp_conf dc;
	char err[256];
	unsigned int k;
	int rc;

	if ((rc = wgd_dp_conf(&g->cfg, &dc, err, sizeof(err))) != 0) {
		wg_log(WG_LOG_ERR, "%s", err);
		return rc;
	}
	g->dp = wg_dp_create(&dc);
	if (g->dp == NULL) {
		wg_log(WG_LOG_ERR, "dataplane: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	wgd_neigh_setup(&g->neigh, g->dp, &g->cfg);
	cc.dp = g->dp;
	cc.ifname = g->cfg.interface;
	cc.serve_socket = true;
	cc.max_peers = g->cfg.max_peers;
	cc.idle_expiry_s = g->cfg.idle_expiry;
	pool_conf(&g->cfg, &pc, &cc);
	if ((rc = wg_control_create(&g->ctl, &cc)) != 0)
		return rc;
	if ((rc = orch_start(g)) != 0)
		return rc;
	if ((rc = wgd_apply_config(g->ctl, &g->cfg)) != 0) {
		wg_log(WG_LOG_ERR, "configuration refused: %s", strerror(-rc));
		return rc;
	}
	for (k = 0; k < g->cfg.n_workers; k++, g->launched++) {
		rc = wg_dp_worker_launch(wg_dp_worker_get(g->dp, k), g->cfg.workers[k].lcore);
		if (rc != 0) {
			wg_log(WG_LOG_ERR, "worker on lcore %u: %s",
				g->cfg.workers[k].lcore, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
gateway_stop(struct gateway *g)
{
	unsigned int k;

	for (k = 0; k < g->launched; k++)
		wg_dp_worker_stop(wg_dp_worker_get(g->dp, k));
	wg_control_destroy(g->ctl);
	if (g->dp != NULL)
		wg_dp_destroy(g->dp);
}

static void
announce(const struct gateway *g)
{
	char pub[WG_KEY_B64_LEN + 1];

	wg_key_to_base64(pub, g->cfg.public_key);
	wg_log(WG_LOG_INFO, "up: public key %s, port %u, %u worker(s), "
	       "%u peer(s); control socket /var/run/wireguard/%s.sock, "
	       "orchestration " WG_ORCH_DIR "/%s.ctl",
	       pub, g->cfg.listen_port, g->cfg.n_workers, g->cfg.n_peers,
	       g->cfg.interface, g->cfg.interface);
}

/* SIGHUP: the file again; what changed is applied, or nothing is. */
static void
reload(struct gateway *g)
{
	struct wg_config cfg;
	char err[512];

	sd_notify(0, "RELOADING=1");
	if (wg_config_load(g->config_path, &cfg, err, sizeof(err)) != 0) {
		wg_log(WG_LOG_ERR, "reload refused: %s", err);
	} else if (wgd_reload(g->ctl, &g->cfg, &cfg, err, sizeof(err)) != 0) {
		wg_log(WG_LOG_ERR, "reload refused: %s", err);
		wg_config_free(&cfg);
	} else {
		log_warnings(&cfg);
		wg_config_free(&g->cfg);
		g->cfg = cfg;
		wg_log(WG_LOG_INFO, "configuration reloaded, %u static peer(s)",
		       g->cfg.n_peers);
	}
	sd_notify(0, "READY=1");
}

static int
run(struct gateway *g)
{
	int rc = gateway_start(g);

	if (rc == 0) {
		announce(g);
		/* Type=notify: both control sockets accept connections now. */
		sd_notifyf(0, "READY=1\nSTATUS=interface %s up, %u peer(s)",
			   g->cfg.interface, g->cfg.n_peers);
		while (!stop_requested) {
			if (reload_requested) {
				reload_requested = 0;
				reload(g);
			}
			wg_control_poll(g->ctl, 1);
			wg_neigh_dp_poll(&g->neigh, wg_dp_clock_ns());
		}
		wg_log(WG_LOG_INFO, "stopping");
		sd_notify(0, "STOPPING=1");
	}
	gateway_stop(g);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	static struct gateway g;
	const char *config = NULL;
	char *eal_argv[128], lcores[512], main_lcore[16], err[512];
	enum wg_log_level log_level = WG_LOG_INFO;
	bool log_level_set = false;
	int n_cli, split, n, rc;

	if ((rc = early_command(argc, argv)) >= 0)
		return rc;
	for (split = 1; split < argc && strcmp(argv[split], "--") != 0; split++)
		;
	n_cli = split - 1;
	if (split >= argc) {
		usage(stderr);
		return 2;
	}
	if (parse_app_args(argc - split, argv + split, &config, &log_level,
			   &log_level_set) != 0)
		return 2;
	g.config_path = config;
	wg_log_setup_stderr(NULL, WG_LOG_INFO);
	if (wg_config_load(config, &g.cfg, err, sizeof(err)) != 0) {
		wg_log(WG_LOG_ERR, "%s", err);
		return 1;
	}
	wg_log_setup_stderr(g.cfg.interface, log_level_set ? log_level : g.cfg.log_level);
	log_warnings(&g.cfg);
	n = eal_args(&g.cfg, argv[0], argv + 1, n_cli, eal_argv, 128, lcores,
		     sizeof(lcores), main_lcore);
	if (n < 0) {
		wg_log(WG_LOG_ERR, "too many EAL arguments");
		return 2;
	}
	if (rte_eal_init(n, eal_argv) < 0) {
		wg_log(WG_LOG_ERR, "EAL: %s", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	rc = run(&g);
	wg_config_free(&g.cfg);
	rte_eal_cleanup();
	return rc;
}
