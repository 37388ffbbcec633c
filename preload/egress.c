/*
 * egress: [net] mode = egress (egress.h gives the order of the calls).
 *
 * The stack is pasta (Debian's passt package), run by the supervisor as its
 * own child, outside the jail, and attached to init's network namespace. The
 * filter is an nftables table that init loads into that namespace through
 * libnftables, dlopen()ed by prepare (so only egress runs pay for loading it,
 * and init needs no file of the host once its root is built). Why pasta, why
 * libnftables and what each rule is for: docs/network.md.
 *
 * What reaches what:
 *   the jail -> its own loopback: yes (as in mode = loopback)
 *   the jail -> the resolver, port 53: yes, even inside a denied range
 *   the jail -> a denied address: refused in the kernel, inside the jail's
 *               namespace (TCP reset, ICMP host unreachable); an unreachable
 *               route for each denied range makes connect() itself fail
 *   the jail -> anything else: through pasta, which opens a socket on the host
 *   anything -> the jail: dropped unless it belongs to a connection the jail
 *               opened; pasta forwards no port (-t/-u/-T/-U none)
 */
#include "egress.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The jail's interface, named by us so that the rules need not guess. */
#define EGRESS_IFNAME "eth0"
/* Where the jail sends DNS when the host's resolver is the host itself (on
 * its loopback or one of its addresses): pasta answers there for the host's
 * first resolver (pasta(1), --dns-forward). A link-local address, so it never
 * shadows a real destination, and refused like its range but for UDP 53. */
#define EGRESS_DNS_FORWARD "169.254.1.1"
/* pasta reports ready in some 30 ms; a stack that is not up after this is
 * stuck, and the run fails rather than waits. */
#define EGRESS_START_TIMEOUT_MS 10000
#define EGRESS_LINK_TIMEOUT_MS 5000
#define EGRESS_STOP_TIMEOUT_MS 1000
#define EGRESS_MAX_RESOLVERS 3 /* glibc's MAXNS */

static const char *const pasta_paths[] = {"/usr/bin/pasta", "/usr/local/bin/pasta",
					  "/usr/sbin/pasta"};

/* Never reachable from the jail (issue 5, and RFC 6890's non-global
 * ranges). The host's own addresses and networks are added at run time. */
static const char *const denied_v4[] = {
	"0.0.0.0/8",	  "10.0.0.0/8",	    "100.64.0.0/10",  "127.0.0.0/8",   "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4",	"240.0.0.0/4",
};
static const char *const denied_v6[] = {
	"::1/128",	 /* loopback */
	"::/96",	 /* unspecified and the deprecated IPv4-compatible form */
	"::ffff:0:0/96", /* IPv4-mapped: every IPv4 address in IPv6 form */
	"64:ff9b:1::/48", /* local-use NAT64 (RFC 8215) */
	"fc00::/7",	 /* unique local */
	"fe80::/10",	 /* link-local */
	"ff00::/8",	 /* multicast */
};

/* The few entry points of libnftables(3) we use; its ABI is versioned by
 * the soname, so no header is needed at build time. */
struct nft_api {
	void *lib;
	void *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(void *ctx);
	int (*run_cmd_from_buffer)(void *ctx, const char *buf);
	int (*ctx_buffer_output)(void *ctx);
	int (*ctx_buffer_error)(void *ctx);
	const char *(*ctx_get_error_buffer)(void *ctx);
};

struct prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	int len;
};

struct allowed {
	struct prefix p;
	int port; /* 0 = any */
};

struct sbx_egress {
	enum sbx_log_level log;
	const char *pasta;
	bool keep_root;	  /* the caller is root: pasta stays uid 0 (see start) */
	bool dns_forward; /* the jail's resolver is pasta's forwarder */

	struct prefix *deny;
	size_t n_deny;
	struct allowed *allow;
	size_t n_allow;
	bool allowlist; /* the policy has allow lines (even if none resolved) */
	struct prefix resolver[EGRESS_MAX_RESOLVERS];
	size_t n_resolver;

	char *ruleset; /* nft(8) syntax */
	char resolv_conf[256];
	struct nft_api nft;

	pid_t pasta_pid; /* 0 until started */
	int nl_fd;	 /* rtnetlink socket in the jail's namespace, for byte counts */
};

/* ---- small helpers ---- */


#define egress_log(eg, level, fmt, ...) sbx_log((eg)->log, (level), "net: " fmt, ##__VA_ARGS__)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* For the debug lines that say where the start-up time goes. */
static double since_ms(int64_t t0_us)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - t0_us) / 1000.0;
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int full_len(int family)
{
	return family == AF_INET ? 32 : 128;
}

static void prefix_mask(struct prefix *p)
{
	for (int bit = p->len; bit < full_len(p->family); bit++)
		p->addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
}

static int prefix_parse(const char *text, struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	p->len = slash ? atoi(slash + 1) : full_len(p->family);
	if (p->len < 0 || p->len > full_len(p->family))
		return -1;
	prefix_mask(p);
	return 0;
}

static const char *prefix_text(const struct prefix *p, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	if (p->len == full_len(p->family))
		snprintf(buf, size, "%s", addr);
	else
		snprintf(buf, size, "%s/%d", addr, p->len);
	return buf;
}

/* Is inner wholly inside outer? */
static bool prefix_within(const struct prefix *inner, const struct prefix *outer)
{
	if (inner->family != outer->family || inner->len < outer->len)
		return false;
	for (int bit = 0; bit < outer->len; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));
		if ((inner->addr[bit / 8] & m) != (outer->addr[bit / 8] & m))
			return false;
	}
	return true;
}

static bool is_loopback(const struct prefix *p)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (p->family == AF_INET)
		return p->addr[0] == 127;
	return memcmp(p->addr, v6_loopback, 16) == 0;
}

static int prefix_from_sockaddr(const struct sockaddr *sa, struct prefix *p)
{
	memset(p, 0, sizeof(*p));
	if (sa->sa_family == AF_INET) {
		p->family = AF_INET;
		memcpy(p->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		p->len = 32;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		p->family = AF_INET6;
		memcpy(p->addr, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		p->len = 128;
		return 0;
	}
	return -1;
}

static int mask_len(const struct sockaddr *sa)
{
	struct prefix m;
	int len = 0;

	if (!sa || prefix_from_sockaddr(sa, &m) < 0)
		return -1;
	while (len < m.len && (m.addr[len / 8] & (0x80 >> (len % 8))))
		len++;
	return len;
}

/*
 * Is p the host itself: loopback, or one of its addresses? Inside the jail
 * such an address is the jail's own (pasta gives the jail the host's address),
 * so a resolver there must be reached through pasta's forwarder.
 */
static bool on_host(const struct prefix *p)
{
	struct ifaddrs *list, *ifa;
	bool found = false;

	if (is_loopback(p))
		return true;
	if (getifaddrs(&list) < 0)
		return false;
	for (ifa = list; ifa && !found; ifa = ifa->ifa_next) {
		struct prefix a;
		found = ifa->ifa_addr && prefix_from_sockaddr(ifa->ifa_addr, &a) == 0 &&
			a.family == p->family && memcmp(a.addr, p->addr, sizeof(a.addr)) == 0;
	}
	freeifaddrs(list);
	return found;
}

/* ---- prepare: the plan ---- */

/* Add p to the denied set: 1, or 0 when a range there holds it already. */
static int add_deny(struct sbx_egress *eg, const struct prefix *p, struct sbx_err *err)
{
	struct prefix *grown;

	for (size_t i = 0; i < eg->n_deny; i++)
		if (prefix_within(p, &eg->deny[i]))
			return 0;
	grown = realloc(eg->deny, (eg->n_deny + 1) * sizeof(*grown));
	if (!grown)
		return sbx_fail(err, SBX_STEP_NET, ENOMEM, "the denied ranges");
	eg->deny = grown;
	eg->deny[eg->n_deny++] = *p;
	return 1;
}

/*
 * An IPv4 range also has IPv6 spellings that a host with NAT64 (64:ff9b::/96,
 * RFC 6052) or 6to4 (2002::/16, RFC 3056) would carry back to it over IPv4;
 * the IPv4-mapped form is denied whole. Deny those spellings too.
 */
static int add_deny_v4(struct sbx_egress *eg, const struct prefix *p, struct sbx_err *err)
{
	struct prefix nat64 = {.family = AF_INET6, .len = 96 + p->len};
	struct prefix sixto4 = {.family = AF_INET6, .len = 16 + p->len};

	nat64.addr[1] = 0x64;
	nat64.addr[2] = 0xff;
	nat64.addr[3] = 0x9b;
	memcpy(nat64.addr + 12, p->addr, 4);
	sixto4.addr[0] = 0x20;
	sixto4.addr[1] = 0x02;
	memcpy(sixto4.addr + 2, p->addr, 4);
	int added = add_deny(eg, p, err);
	if (added < 0 || add_deny(eg, &nat64, err) < 0 || add_deny(eg, &sixto4, err) < 0)
		return -1;
	return added;
}

static int add_deny_any(struct sbx_egress *eg, const struct prefix *p, struct sbx_err *err)
{
	return p->family == AF_INET ? add_deny_v4(eg, p, err) : add_deny(eg, p, err);
}

/*
 * The host's own addresses, and the networks they sit on (its LAN, its
 * gateway): pasta connects from the host, so without these the jail would
 * reach the host's services on any address they listen on.
 * getifaddrs(3) lists every interface of the supervisor's (the host's)
 * network namespace.
 */
static int deny_host_addresses(struct sbx_egress *eg, struct sbx_err *err)
{
	struct ifaddrs *list, *ifa;
	char text[INET6_ADDRSTRLEN + 8];

	if (getifaddrs(&list) < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "list the host's addresses (getifaddrs)");
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		struct prefix p;
		int len;

		int added;

		if (!ifa->ifa_addr || prefix_from_sockaddr(ifa->ifa_addr, &p) < 0)
			continue;
		added = add_deny_any(eg, &p, err);
		if (added < 0)
			goto fail;
		if (added)
			egress_log(eg, SBX_LOG_DEBUG, "deny %s (an address of the host, on %s)",
				   prefix_text(&p, text, sizeof(text)), ifa->ifa_name);
		/* A network wider than /8 (/16 for IPv6) is no LAN: keep the
		 * address alone rather than refuse a slice of the internet. */
		len = mask_len(ifa->ifa_netmask);
		if (len < (p.family == AF_INET ? 8 : 16) || len >= p.len)
			continue;
		p.len = len;
		prefix_mask(&p);
		added = add_deny_any(eg, &p, err);
		if (added < 0)
			goto fail;
		if (added)
			egress_log(eg, SBX_LOG_DEBUG, "deny %s (a network of the host, on %s)",
				   prefix_text(&p, text, sizeof(text)), ifa->ifa_name);
	}
	freeifaddrs(list);
	return 0;
fail:
	freeifaddrs(list);
	return -1;
}

static const char *rule_origin(const struct sbx_net_rule *r, char *buf, size_t size)
{
	if (r->origin.file && r->origin.line > 0)
		snprintf(buf, size, "%s:%d", r->origin.file, r->origin.line);
	else
		snprintf(buf, size, "%s", r->origin.file ? r->origin.file : "policy");
	return buf;
}

static int add_allowed(struct sbx_egress *eg, const struct prefix *p, int port, struct sbx_err *err)
{
	struct allowed *grown = realloc(eg->allow, (eg->n_allow + 1) * sizeof(*grown));

	if (!grown)
		return sbx_fail(err, SBX_STEP_NET, ENOMEM, "the allowed destinations");
	eg->allow = grown;
	eg->allow[eg->n_allow].p = *p;
	eg->allow[eg->n_allow].port = port;
	eg->n_allow++;
	return 0;
}

/* The denied range that swallows p, if any: the denied set wins over allow. */
static const struct prefix *denied_by(const struct sbx_egress *eg, const struct prefix *p)
{
	for (size_t i = 0; i < eg->n_deny; i++)
		if (prefix_within(p, &eg->deny[i]))
			return &eg->deny[i];
	return NULL;
}

/*
 * [net] allow: addresses as given; host names resolved now, by the host's
 * resolver, once (a name that later moves is not followed). A name that does
 * not resolve fails the run: an allowlist missing an entry would only fail
 * later and more obscurely.
 */
static int plan_allow(struct sbx_egress *eg, const struct sbx_policy *pol, struct sbx_err *err)
{
	char where[300], text[INET6_ADDRSTRLEN + 8], port[16];

	eg->allowlist = pol->net.n_allow > 0;
	for (size_t i = 0; i < pol->net.n_allow; i++) {
		const struct sbx_net_rule *r = &pol->net.allow[i];
		char got[400] = "";
		size_t got_len = 0;
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
		struct addrinfo *res = NULL, *ai;
		int rc;

		rule_origin(r, where, sizeof(where));
		port[0] = '\0';
		if (r->port)
			snprintf(port, sizeof(port), ":%d", r->port);
		if (!r->host) {
			struct prefix p = {.family = r->family, .len = r->prefix_len};
			const struct prefix *d;

			memcpy(p.addr, r->addr, sizeof(p.addr));
			prefix_mask(&p);
			d = denied_by(eg, &p);
			if (d) {
				char dt[INET6_ADDRSTRLEN + 8];
				egress_log(eg, SBX_LOG_WARN,
					   "allow %s%s (%s) lies in the denied range %s: it stays refused",
					   prefix_text(&p, text, sizeof(text)), port, where,
					   prefix_text(d, dt, sizeof(dt)));
				continue;
			}
			if (add_allowed(eg, &p, r->port, err) < 0)
				return -1;
			egress_log(eg, SBX_LOG_INFO, "allow %s%s (%s)", prefix_text(&p, text, sizeof(text)),
				   port, where);
			continue;
		}
		rc = getaddrinfo(r->host, NULL, &hints, &res);
		if (rc != 0)
			return sbx_fail(err, SBX_STEP_NET, rc == EAI_SYSTEM ? errno : 0,
					"allow %s%s (%s): cannot resolve the name: %s", r->host, port, where,
					rc == EAI_SYSTEM ? "system error" : gai_strerror(rc));
		for (ai = res; ai; ai = ai->ai_next) {
			struct prefix p;
			bool seen = false;

			if (prefix_from_sockaddr(ai->ai_addr, &p) < 0)
				continue;
			for (size_t j = 0; j < eg->n_allow; j++)
				if (eg->allow[j].port == r->port &&
				    prefix_within(&p, &eg->allow[j].p) && p.len == eg->allow[j].p.len)
					seen = true;
			if (seen)
				continue;
			inet_ntop(p.family, p.addr, text, sizeof(text));
			if (denied_by(eg, &p)) {
				egress_log(eg, SBX_LOG_WARN,
					   "allow %s%s (%s): %s is in a denied range: it stays refused",
					   r->host, port, where, text);
				continue;
			}
			if (add_allowed(eg, &p, r->port, err) < 0) {
				freeaddrinfo(res);
				return -1;
			}
			if (got_len < sizeof(got))
				got_len += (size_t)snprintf(got + got_len, sizeof(got) - got_len, "%s%s",
							    got_len ? " " : "", text);
		}
		freeaddrinfo(res);
		/* "The rule says so": which addresses a name became. */
		if (got_len)
			egress_log(eg, SBX_LOG_INFO, "allow %s%s (%s) = %s", r->host, port, where, got);
	}
	return 0;
}

/*
 * The resolver the jail uses, and the /etc/resolv.conf that names it.
 * [net] dns, or else the host's nameservers (resolv.conf(5)). The jail talks
 * to a resolver directly (UDP and TCP port 53, allowed even in a denied
 * range), except when the host's first one is the host itself, on its
 * loopback (systemd-resolved, dnsmasq) or one of its addresses: inside, those
 * are the jail's own, so pasta forwards UDP sent to EGRESS_DNS_FORWARD there
 * instead. This pasta does not forward TCP, so a truncated answer cannot be
 * retried over TCP in that case.
 */
static int plan_dns(struct sbx_egress *eg, const struct sbx_policy *pol, struct sbx_err *err)
{
	struct prefix found[EGRESS_MAX_RESOLVERS];
	size_t n_found = 0, len;
	char line[512], text[INET6_ADDRSTRLEN + 8];
	FILE *f;

	if (pol->net.dns) {
		if (prefix_parse(pol->net.dns, &found[0]) < 0)
			return sbx_fail(err, SBX_STEP_NET, 0, "dns = %s: not an IP address", pol->net.dns);
		if (on_host(&found[0])) {
			sbx_fail(err, SBX_STEP_NET, 0,
				 "dns = %s: inside the jail, this host's addresses and loopback are "
				 "the jail's own",
				 pol->net.dns);
			sbx_hint(err, "leave dns empty to use the host's resolver, forwarded by pasta");
			return -1;
		}
		n_found = 1;
	} else {
		f = fopen("/etc/resolv.conf", "re");
		while (f && n_found < EGRESS_MAX_RESOLVERS && fgets(line, sizeof(line), f)) {
			char word[16], addr[INET6_ADDRSTRLEN + 1];
			/* A scoped IPv6 address (fe80::1%eth0) names a link of
			 * the host: no use inside. */
			if (sscanf(line, " %15s %46s", word, addr) != 2 || strcmp(word, "nameserver") ||
			    strchr(addr, '%') || prefix_parse(addr, &found[n_found]) < 0)
				continue;
			n_found++;
		}
		if (f)
			fclose(f);
		/* No nameserver line: glibc asks the host's loopback. */
		if (n_found == 0) {
			prefix_parse("127.0.0.1", &found[0]);
			n_found = 1;
		}
	}

	if (!pol->net.dns && on_host(&found[0])) {
		eg->dns_forward = true;
		prefix_parse(EGRESS_DNS_FORWARD, &eg->resolver[0]);
		eg->n_resolver = 1;
		egress_log(eg, SBX_LOG_DEBUG,
			   "dns: the host's resolver %s is the host itself: pasta forwards UDP "
			   "from %s to it",
			   prefix_text(&found[0], text, sizeof(text)), EGRESS_DNS_FORWARD);
	} else {
		for (size_t i = 0; i < n_found; i++)
			if (!on_host(&found[i]))
				eg->resolver[eg->n_resolver++] = found[i];
	}

	len = (size_t)snprintf(eg->resolv_conf, sizeof(eg->resolv_conf),
			       "# written by sbx for [net] mode = egress\n");
	for (size_t i = 0; i < eg->n_resolver && len < sizeof(eg->resolv_conf); i++) {
		inet_ntop(eg->resolver[i].family, eg->resolver[i].addr, text, sizeof(text));
		len += (size_t)snprintf(eg->resolv_conf + len, sizeof(eg->resolv_conf) - len,
					"nameserver %s\n", text);
		egress_log(eg, SBX_LOG_INFO, "dns: %s (%s)", text,
			   pol->net.dns	     ? "[net] dns"
			   : eg->dns_forward ? "pasta's forwarder to the host's resolver"
					     : "the host's resolver");
	}
	if (len >= sizeof(eg->resolv_conf))
		return sbx_fail(err, SBX_STEP_NET, 0, "resolv.conf for the jail is too long");
	return 0;
}

/* A growing string for the ruleset. */
struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *grown = realloc(t->buf, cap);
		if (!grown) {
			t->oom = true;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
}

static void text_set(struct text *t, const struct sbx_egress *eg, int family)
{
	char p[INET6_ADDRSTRLEN + 8];
	bool first = true;

	for (size_t i = 0; i < eg->n_deny; i++) {
		if (eg->deny[i].family != family)
			continue;
		text_add(t, "%s%s", first ? "" : ", ", prefix_text(&eg->deny[i], p, sizeof(p)));
		first = false;
	}
}

/*
 * The filter, in nft(8) syntax. One table of our own in the jail's network
 * namespace; the program has no CAP_NET_ADMIN there, so it can neither read
 * nor change it. The output chain refuses rather than drops, so that a
 * refused connect fails at once: a TCP reset gives ECONNREFUSED, an ICMP
 * host-unreachable gives EHOSTUNREACH (not admin-prohibited, which IPv6
 * turns into EACCES: icmpv6_err_convert() in the kernel).
 */
static int plan_ruleset(struct sbx_egress *eg, struct sbx_err *err)
{
	struct text t = {0};
	char p[INET6_ADDRSTRLEN + 8];

	text_add(&t, "table inet sbx {\n");
	/* auto-merge: the host's addresses overlap the fixed ranges. */
	text_add(&t, "\tset deny4 {\n\t\ttype ipv4_addr; flags interval; auto-merge;\n"
		     "\t\telements = { ");
	text_set(&t, eg, AF_INET);
	text_add(&t, " }\n\t}\n");
	text_add(&t, "\tset deny6 {\n\t\ttype ipv6_addr; flags interval; auto-merge;\n"
		     "\t\telements = { ");
	text_set(&t, eg, AF_INET6);
	text_add(&t, " }\n\t}\n");

	text_add(&t, "\tchain refuse {\n"
		     "\t\tmeta l4proto tcp reject with tcp reset\n"
		     "\t\treject with icmpx type host-unreachable\n"
		     "\t}\n");

	text_add(&t, "\tchain output {\n"
		     "\t\ttype filter hook output priority filter; policy accept;\n"
		     /* The jail's own loopback: only the jail listens there. */
		     "\t\toif \"lo\" accept\n"
		     /* Neighbour discovery goes to multicast and link-local
		      * addresses, and only pasta answers it. */
		     "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } "
		     "accept\n");
	for (size_t i = 0; i < eg->n_resolver; i++) {
		const char *fam = eg->resolver[i].family == AF_INET ? "ip" : "ip6";
		prefix_text(&eg->resolver[i], p, sizeof(p));
		text_add(&t, "\t\t%s daddr %s udp dport 53 accept\n", fam, p);
		if (!eg->dns_forward)
			text_add(&t, "\t\t%s daddr %s tcp dport 53 accept\n", fam, p);
	}
	text_add(&t, "\t\tip daddr @deny4 jump refuse\n"
		     "\t\tip6 daddr @deny6 jump refuse\n");
	if (eg->allowlist) {
		for (size_t i = 0; i < eg->n_allow; i++) {
			const struct allowed *a = &eg->allow[i];
			text_add(&t, "\t\t%s daddr %s", a->p.family == AF_INET ? "ip" : "ip6",
				 prefix_text(&a->p, p, sizeof(p)));
			if (a->port)
				text_add(&t, " meta l4proto { tcp, udp } th dport %d", a->port);
			text_add(&t, " accept\n");
		}
		text_add(&t, "\t\tjump refuse\n");
	}
	text_add(&t, "\t}\n");

	/* Inbound: what belongs to the jail's own connections, nothing new. */
	text_add(&t, "\tchain input {\n"
		     "\t\ttype filter hook input priority filter; policy drop;\n"
		     "\t\tiif \"lo\" accept\n"
		     "\t\tct state established,related accept\n"
		     "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert } "
		     "accept\n"
		     "\t}\n"
		     "}\n");
	if (t.oom) {
		free(t.buf);
		return sbx_fail(err, SBX_STEP_NET, ENOMEM, "the nftables rules");
	}
	eg->ruleset = t.buf;
	return 0;
}

static int find_pasta(struct sbx_egress *eg, struct sbx_err *err)
{
	for (size_t i = 0; i < sizeof(pasta_paths) / sizeof(pasta_paths[0]); i++) {
		if (access(pasta_paths[i], X_OK) == 0) {
			eg->pasta = pasta_paths[i];
			return 0;
		}
	}
	sbx_fail(err, SBX_STEP_NET, ENOENT, "mode = egress needs pasta (%s)", pasta_paths[0]);
	sbx_hint(err, "install Debian's passt package: apt-get install passt");
	return -1;
}

/*
 * pasta opens /dev/net/tun as the caller (from inside the jail's user
 * namespace, which gives no right over the host's files), so try the same
 * open here and say what to do when it fails, rather than relay pasta's
 * "Failed to open tun socket in namespace".
 */
static int check_tun(struct sbx_err *err)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	sbx_fail(err, SBX_STEP_NET, errno, "mode = egress: open /dev/net/tun as uid %u",
		 (unsigned)geteuid());
	if (errno == EACCES || errno == EPERM)
		sbx_hint(err, "pasta needs the tun device; as root, `chmod 0666 /dev/net/tun` "
			      "gives it the mode stock Debian has, or use [net] mode = none");
	else if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
		sbx_hint(err, "the kernel has no tun device: `modprobe tun` as root, or use "
			      "[net] mode = none");
	return -1;
}

static int load_nftables(struct sbx_egress *eg, struct sbx_err *err)
{
	struct nft_api *n = &eg->nft;

	/* RTLD_LOCAL: nothing of it leaks into the program's symbol lookups. */
	n->lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		const char *why = dlerror();
		sbx_fail(err, SBX_STEP_NET, 0, "mode = egress needs libnftables.so.1: %s",
			 why ? why : "not found");
		sbx_hint(err, "install Debian's libnftables1 package (it comes with nftables)");
		return -1;
	}
	*(void **)&n->ctx_new = dlsym(n->lib, "nft_ctx_new");
	*(void **)&n->ctx_free = dlsym(n->lib, "nft_ctx_free");
	*(void **)&n->run_cmd_from_buffer = dlsym(n->lib, "nft_run_cmd_from_buffer");
	*(void **)&n->ctx_buffer_output = dlsym(n->lib, "nft_ctx_buffer_output");
	*(void **)&n->ctx_buffer_error = dlsym(n->lib, "nft_ctx_buffer_error");
	*(void **)&n->ctx_get_error_buffer = dlsym(n->lib, "nft_ctx_get_error_buffer");
	if (!n->ctx_new || !n->ctx_free || !n->run_cmd_from_buffer || !n->ctx_buffer_output ||
	    !n->ctx_buffer_error || !n->ctx_get_error_buffer)
		return sbx_fail(err, SBX_STEP_NET, 0, "libnftables.so.1 lacks nft_ctx_new & co.");
	return 0;
}

static void egress_free(struct sbx_egress *eg)
{
	if (!eg)
		return;
	if (eg->nft.lib)
		dlclose(eg->nft.lib);
	if (eg->nl_fd >= 0)
		close(eg->nl_fd);
	free(eg->deny);
	free(eg->allow);
	free(eg->ruleset);
	free(eg);
}

int sbx_egress_prepare(const struct sbx_policy *pol, struct sbx_egress **egp, struct sbx_err *err)
{
	struct sbx_egress *eg;
	struct prefix p;
	int64_t t0 = now_us();

	*egp = NULL;
	if (pol->net.mode != SBX_NET_EGRESS)
		return 0;
	/* pasta attaches through init's /proc/PID/ns files, which a process
	 * that dropped capabilities may open only for a namespace its own user
	 * owns (ptrace(2), "Ptrace access mode checking": the caller's
	 * capabilities must cover the target's, or be held in its namespace). */
	if (!pol->ns.user) {
		sbx_fail(err, SBX_STEP_NET, 0, "mode = egress needs [namespaces] user = yes");
		sbx_hint(err, "pasta joins the jail's network through its user namespace");
		return -1;
	}
	eg = calloc(1, sizeof(*eg));
	if (!eg)
		return sbx_fail(err, SBX_STEP_NET, ENOMEM, "mode = egress");
	eg->nl_fd = -1;
	eg->log = pol->sandbox.log;
	/* pasta as root would drop to nobody, who may not enter a user
	 * namespace that root owns (pasta(1), --runas): keep it root. It
	 * then lives in the jail's user namespace with no capability over
	 * the host, in an empty mount namespace, under its own seccomp filter. */
	eg->keep_root = geteuid() == 0;

	if (find_pasta(eg, err) < 0 || check_tun(err) < 0 || load_nftables(eg, err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(denied_v4) / sizeof(denied_v4[0]); i++)
		if (prefix_parse(denied_v4[i], &p) < 0 || add_deny_v4(eg, &p, err) < 0)
			goto fail;
	for (size_t i = 0; i < sizeof(denied_v6) / sizeof(denied_v6[0]); i++)
		if (prefix_parse(denied_v6[i], &p) < 0 || add_deny(eg, &p, err) < 0)
			goto fail;
	if (deny_host_addresses(eg, err) < 0)
		goto fail;
	for (size_t i = 0; i < pol->net.n_deny; i++) {
		const struct sbx_net_rule *r = &pol->net.deny[i];
		char where[300], text[INET6_ADDRSTRLEN + 8];

		p.family = r->family;
		p.len = r->prefix_len;
		memcpy(p.addr, r->addr, sizeof(p.addr));
		prefix_mask(&p);
		if (add_deny_any(eg, &p, err) < 0)
			goto fail;
		egress_log(eg, SBX_LOG_DEBUG, "deny %s (%s)", prefix_text(&p, text, sizeof(text)),
			   rule_origin(r, where, sizeof(where)));
	}
	if (plan_allow(eg, pol, err) < 0 || plan_dns(eg, pol, err) < 0 ||
	    plan_ruleset(eg, err) < 0)
		goto fail;
	egress_log(eg, SBX_LOG_DEBUG, "planned in %.1f ms: %zu denied ranges, %zu allowed", since_ms(t0),
		   eg->n_deny, eg->n_allow);
	*egp = eg;
	return 0;
fail:
	egress_free(eg);
	return -1;
}

const char *sbx_egress_resolv_conf(const struct sbx_egress *eg)
{
	return eg ? eg->resolv_conf : NULL;
}

/* ---- start: pasta, outside the jail ---- */

/*
 * The child that becomes pasta. It must not outlive the supervisor (a
 * SIGKILLed supervisor runs no stop): PR_SET_PDEATHSIG, which survives the
 * exec and pasta's entry into the jail's user namespace (an owned child
 * namespace does not count as a change of credentials, commit_creds() in
 * the kernel). No signal mask, disposition or descriptor of the supervisor
 * reaches it, and no environment: LD_PRELOAD would jail pasta itself.
 */
__attribute__((noreturn)) static void pasta_exec(const struct sbx_egress *eg, pid_t init_pid,
						 pid_t parent, int ready_fd, int err_fd)
{
	char pid_arg[16];
	char *argv[40];
	char *envp[] = {NULL};
	int argc = 0, null_fd;
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Ignored signals stay ignored across execve(2): undo that too. */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction dfl = {.sa_handler = SIG_DFL};
		sigaction(sig, &dfl, NULL);
	}
	/* Its own session: a terminal's ^C is for the supervisor, which
	 * decides when the stack goes. */
	setsid();

	/* Out of the way of 0 to 3 first: the supervisor may run with some
	 * of 0, 1, 2 closed, and the pipes may sit there. */
	ready_fd = fcntl(ready_fd, F_DUPFD_CLOEXEC, 10);
	err_fd = fcntl(err_fd, F_DUPFD_CLOEXEC, 10);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Readiness: pasta writes its pid to its PID file once the namespace
	 * is set up (-P); the file is our pipe, as descriptor 3. */
	if (ready_fd < 0 || err_fd < 0 || null_fd < 0 || dup2(ready_fd, 3) < 0 ||
	    dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(127);
	fcntl(3, F_SETFD, 0);
	close_range(4, ~0U, 0);

	snprintf(pid_arg, sizeof(pid_arg), "%d", (int)init_pid);
	argv[argc++] = (char *)"pasta";
	argv[argc++] = (char *)"--foreground"; /* our child: we stop it, and PDEATHSIG holds */
	argv[argc++] = (char *)"--quiet";
	argv[argc++] = (char *)"--config-net"; /* addresses and routes, before it reports ready */
	argv[argc++] = (char *)"--ns-ifname";
	argv[argc++] = (char *)EGRESS_IFNAME;
	/* Its default maps the gateway's address to the host's loopback. */
	argv[argc++] = (char *)"--no-map-gw";
	/* No port of the host's loopback into the jail (-T/-U), none of the
	 * jail's to the host (-t/-u): nothing listens for anybody else. */
	argv[argc++] = (char *)"--tcp-ports";
	argv[argc++] = (char *)"none";
	argv[argc++] = (char *)"--udp-ports";
	argv[argc++] = (char *)"none";
	argv[argc++] = (char *)"--tcp-ns";
	argv[argc++] = (char *)"none";
	argv[argc++] = (char *)"--udp-ns";
	argv[argc++] = (char *)"none";
	if (eg->dns_forward) {
		argv[argc++] = (char *)"--dns-forward";
		argv[argc++] = (char *)EGRESS_DNS_FORWARD;
	}
	if (eg->keep_root) {
		argv[argc++] = (char *)"--runas";
		argv[argc++] = (char *)"0:0";
	}
	argv[argc++] = (char *)"--pid";
	argv[argc++] = (char *)"/proc/self/fd/3";
	argv[argc++] = pid_arg; /* join init's user and network namespaces */
	argv[argc] = NULL;
	execve(eg->pasta, argv, envp);
	_exit(127);
}

/* The last line pasta wrote, without its complaints about a missing syslog. */
static void pasta_reason(char *out, size_t size, const char *said)
{
	const char *line = said, *best = NULL;
	size_t best_len = 0;

	while (*line) {
		size_t len = strcspn(line, "\n");
		if (len && strncmp(line, "Failed to send", 14) != 0) {
			best = line;
			best_len = len;
		}
		line += len + (line[len] == '\n');
	}
	if (best)
		snprintf(out, size, "%.*s", (int)best_len, best);
	else
		snprintf(out, size, "it said nothing");
}

static int start_pasta(struct sbx_egress *eg, pid_t init_pid, struct sbx_err *err)
{
	int ready[2], said[2];
	char buf[2048], reason[300];
	size_t said_len = 0;
	bool up = false, ready_open = true, said_open = true;
	int64_t deadline = now_ms() + EGRESS_START_TIMEOUT_MS;
	pid_t pid, parent = getpid();
	int status;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "pipe");
	if (pipe2(said, O_CLOEXEC) < 0) {
		int e = errno;
		close(ready[0]);
		close(ready[1]);
		return sbx_fail(err, SBX_STEP_NET, e, "pipe");
	}
	pid = fork();
	if (pid == 0)
		pasta_exec(eg, init_pid, parent, ready[1], said[1]);
	close(ready[1]);
	close(said[1]);
	if (pid < 0) {
		close(ready[0]);
		close(said[0]);
		return sbx_fail(err, SBX_STEP_NET, errno, "fork for pasta");
	}

	buf[0] = '\0';
	while (!up && (ready_open || said_open)) {
		struct pollfd pfd[2];
		int n = 0, timeout = (int)(deadline - now_ms());
		char tmp[256];

		if (timeout <= 0)
			break;
		if (ready_open)
			pfd[n++] = (struct pollfd){.fd = ready[0], .events = POLLIN};
		if (said_open)
			pfd[n++] = (struct pollfd){.fd = said[0], .events = POLLIN};
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			ssize_t got;

			if (!pfd[i].revents)
				continue;
			got = read(pfd[i].fd, tmp, sizeof(tmp));
			if (got < 0 && errno == EINTR)
				continue;
			if (pfd[i].fd == ready[0]) {
				if (got > 0)
					up = true; /* its pid: the namespace is set up */
				else
					ready_open = false;
			} else if (got > 0) {
				/* Keep the tail: the reason comes last. */
				if (said_len + (size_t)got >= sizeof(buf)) {
					size_t drop = said_len + (size_t)got - (sizeof(buf) - 1);
					memmove(buf, buf + drop, said_len - drop);
					said_len -= drop;
				}
				memcpy(buf + said_len, tmp, (size_t)got);
				said_len += (size_t)got;
				buf[said_len] = '\0';
			} else {
				said_open = false;
			}
		}
	}
	close(ready[0]);
	/* pasta ignores SIGPIPE: what it says from now on is lost, not blocked. */
	close(said[0]);
	if (up) {
		eg->pasta_pid = pid;
		return 0;
	}

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pasta_reason(reason, sizeof(reason), buf);
	if (ready_open || said_open)
		sbx_fail(err, SBX_STEP_NET, 0, "pasta did not bring the network up in %d s",
			 EGRESS_START_TIMEOUT_MS / 1000);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		sbx_fail(err, SBX_STEP_NET, 0, "could not run %s", eg->pasta);
	else
		sbx_fail(err, SBX_STEP_NET, 0, "pasta failed: %s", reason);
	if (strstr(buf, "tun"))
		sbx_hint(err, "pasta needs /dev/net/tun: as root, `chmod 0666 /dev/net/tun` gives it "
			      "stock Debian's mode");
	return -1;
}

/*
 * An rtnetlink socket inside the jail's network namespace, kept by the
 * supervisor to read the interface's byte counters at the end. A socket
 * stays in the namespace it was made in, so a short-lived child enters the
 * jail's network namespace (root may do so directly; an owner that is not
 * root enters the user namespace first, which gives it CAP_SYS_ADMIN there:
 * user_namespaces(7)), makes the socket and hands it back (SCM_RIGHTS).
 */
static int open_counter_socket(int user_fd, int net_fd, struct sbx_err *err)
{
	int sv[2], fd = -1, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "socketpair");
	pid = fork();
	if (pid == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))] = {0};
		char byte = 0;
		struct iovec iov = {.iov_base = &byte, .iov_len = 1};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		int s;

		if (setns(net_fd, CLONE_NEWNET) < 0 &&
		    (setns(user_fd, CLONE_NEWUSER) < 0 || setns(net_fd, CLONE_NEWNET) < 0))
			_exit(1);
		s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
		if (s < 0)
			_exit(1);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &s, sizeof(int));
		_exit(sendmsg(sv[1], &msg, 0) == 1 ? 0 : 1);
	}
	close(sv[1]);
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		return sbx_fail(err, SBX_STEP_NET, e, "fork");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		char byte;
		struct iovec iov = {.iov_base = &byte, .iov_len = 1};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *cm;

		if (recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) == 1) {
			cm = CMSG_FIRSTHDR(&msg);
			if (cm && cm->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(cm), sizeof(int));
		}
	}
	close(sv[0]);
	if (fd < 0)
		return sbx_fail(err, SBX_STEP_NET, 0, "no socket in the jail's network namespace");
	return fd;
}

/*
 * Both pasta and the counter socket reach the jail through init's
 * /proc/PID/ns files, which only a process that may ptrace init can open
 * (proc(5), /proc/pid/ns). Once init takes the jail's ids it is no longer
 * dumpable, and neither a caller that is not root nor pasta (which drops
 * its capabilities) may: hence start() runs before init changes its ids.
 */
int sbx_egress_start(struct sbx_egress *eg, pid_t init_pid, struct sbx_err *err)
{
	struct sbx_err ignored;
	char path[64];
	int user_fd, net_fd;

	int64_t t0 = now_us();

	if (!eg)
		return 0;
	if (start_pasta(eg, init_pid, err) < 0)
		return -1;
	egress_log(eg, SBX_LOG_DEBUG, "pasta is up in %.1f ms", since_ms(t0));
	/* Byte counts are a nicety: without them the report says null. */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
	user_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
	net_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (user_fd >= 0 && net_fd >= 0)
		eg->nl_fd = open_counter_socket(user_fd, net_fd, &ignored);
	else
		sbx_fail(&ignored, SBX_STEP_NET, errno, "open %s", path);
	if (eg->nl_fd < 0)
		egress_log(eg, SBX_LOG_DEBUG, "no byte counts: %s", ignored.detail);
	if (user_fd >= 0)
		close(user_fd);
	if (net_fd >= 0)
		close(net_fd);
	return 0;
}

/* ---- rules: in init, inside the jail's namespaces ---- */

static int wait_link(int *ifindex, struct sbx_err *err)
{
	int64_t deadline = now_ms() + EGRESS_LINK_TIMEOUT_MS;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "socket");
	for (;;) {
		struct ifreq ifr;

		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", EGRESS_IFNAME);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP)) {
			close(fd);
			*ifindex = (int)if_nametoindex(EGRESS_IFNAME);
			if (*ifindex <= 0)
				return sbx_fail(err, SBX_STEP_NET, errno, "if_nametoindex(%s)",
						EGRESS_IFNAME);
			return 0;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(2);
	}
	close(fd);
	sbx_fail(err, SBX_STEP_NET, 0, "the jail's interface %s did not come up in %d s",
		 EGRESS_IFNAME, EGRESS_LINK_TIMEOUT_MS / 1000);
	sbx_hint(err, "sbx_egress_start() must have returned before init loads the rules");
	return -1;
}

static int load_ruleset(const struct sbx_egress *eg, struct sbx_err *err)
{
	const struct nft_api *n = &eg->nft;
	void *ctx = n->ctx_new(0);
	int rc;

	if (!ctx)
		return sbx_fail(err, SBX_STEP_NET, errno, "nft_ctx_new");
	/* Buffered: nft must not print on the jail's stdout or stderr. */
	n->ctx_buffer_output(ctx);
	n->ctx_buffer_error(ctx);
	rc = n->run_cmd_from_buffer(ctx, eg->ruleset);
	if (rc != 0) {
		const char *why = n->ctx_get_error_buffer(ctx);
		int len;

		why = why && *why ? why : "no reason given";
		len = (int)strcspn(why, "\n");
		sbx_fail(err, SBX_STEP_NET, 0, "load the nftables rules: %.*s", len, why);
		n->ctx_free(ctx);
		return -1;
	}
	n->ctx_free(ctx);
	return 0;
}

/* One netlink request, and its acknowledgement: 0 or -errno. */
static int nl_talk(int fd, struct nlmsghdr *req)
{
	static uint32_t seq;
	char buf[1024];
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t got;

	req->nlmsg_seq = ++seq;
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		got = recv(fd, buf, sizeof(buf), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (size_t)got);
		     h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		}
	}
}

/* A netlink request: the header, its family's message, attributes. */
struct nl_req {
	union {
		struct nlmsghdr h;
		char raw[256];
	} u;
};

static void nl_attr(struct nl_req *req, unsigned short type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(req->u.h.nlmsg_len);
	struct rtattr rta = {.rta_type = type, .rta_len = (unsigned short)RTA_LENGTH(len)};

	if (at + RTA_SPACE(len) > sizeof(req->u.raw))
		return; /* cannot happen: our attributes are a few bytes */
	memcpy(req->u.raw + at, &rta, sizeof(rta));
	memcpy(req->u.raw + at + RTA_LENGTH(0), data, len);
	req->u.h.nlmsg_len = (uint32_t)(at + RTA_ALIGN(rta.rta_len));
}

/*
 * A route in the jail's main table (rtnetlink(7), RTM_NEWROUTE): type
 * RTN_UNREACHABLE makes connect() and sendto() fail with EHOSTUNREACH before
 * any packet exists (UDP included, which the filter alone can only make
 * EPERM); a unicast route with ifindex sends straight to pasta, which
 * answers ARP and neighbour solicitations for every address.
 */
static int route_add(int fd, const struct prefix *p, unsigned char type, int ifindex)
{
	struct nl_req req;
	struct rtmsg r = {
		.rtm_family = (unsigned char)p->family,
		.rtm_dst_len = (unsigned char)p->len,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_type = type,
		.rtm_scope = type == RTN_UNICAST ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE,
	};

	memset(&req, 0, sizeof(req));
	req.u.h.nlmsg_len = NLMSG_LENGTH(sizeof(r));
	req.u.h.nlmsg_type = RTM_NEWROUTE;
	req.u.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	memcpy(NLMSG_DATA(&req.u.h), &r, sizeof(r));
	nl_attr(&req, RTA_DST, p->addr, p->family == AF_INET ? 4 : 16);
	if (p->family == AF_INET6 && type == RTN_UNREACHABLE) {
		/* IPv6 keeps routes to one prefix apart by metric: ours goes
		 * before the kernel's own for the jail's network (256). */
		uint32_t metric = 1;
		nl_attr(&req, RTA_PRIORITY, &metric, sizeof(metric));
	}
	if (ifindex > 0) {
		uint32_t oif = (uint32_t)ifindex;
		nl_attr(&req, RTA_OIF, &oif, sizeof(oif));
	}
	return nl_talk(fd, &req.u.h);
}

/* A route that is there already (the kernel's own route for the jail's
 * network, a wider range) does the job; a kernel without IPv6 needs none. */
static int route_ok(int rc, const struct prefix *p)
{
	return rc == 0 || rc == -EEXIST || (p->family == AF_INET6 && rc == -EAFNOSUPPORT);
}

static int add_routes(const struct sbx_egress *eg, int ifindex, struct sbx_err *err)
{
	static const char *const halves[] = {"0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1"};
	char text[INET6_ADDRSTRLEN + 8];
	const struct prefix *p = NULL;
	struct prefix half, split[2];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rc = 0;

	if (fd < 0)
		return sbx_fail(err, SBX_STEP_NET, errno, "socket(AF_NETLINK)");
	for (size_t i = 0; i < eg->n_deny; i++) {
		p = &eg->deny[i];
		rc = route_add(fd, p, RTN_UNREACHABLE, 0);
		/* The jail's copy of the host's network has the kernel's route
		 * for that very prefix: its two halves are longer, so they win
		 * for every address but the jail's own (a local route) and the
		 * default route's gateway keeps working, being resolved at
		 * the link, not through the table. */
		if (rc == -EEXIST && p->family == AF_INET && p->len < 32) {
			split[0] = split[1] = *p;
			split[0].len = split[1].len = p->len + 1;
			split[1].addr[p->len / 8] |= (uint8_t)(0x80 >> (p->len % 8));
			for (int h = 0; h < 2 && route_ok(rc, p); h++) {
				p = &split[h];
				rc = route_add(fd, p, RTN_UNREACHABLE, 0);
			}
		}
		if (!route_ok(rc, p))
			goto fail;
	}
	/* The resolvers go to pasta even inside a denied range. */
	for (size_t i = 0; i < eg->n_resolver; i++) {
		p = &eg->resolver[i];
		rc = route_add(fd, p, RTN_UNICAST, ifindex);
		if (!route_ok(rc, p))
			goto fail;
	}
	if (eg->allowlist) {
		/* Two halves beat pasta's default route (longer prefixes win)
		 * without removing it; the allowed ranges are longer still. */
		for (size_t i = 0; i < sizeof(halves) / sizeof(halves[0]); i++) {
			prefix_parse(halves[i], &half);
			p = &half;
			rc = route_add(fd, p, RTN_UNREACHABLE, 0);
			if (!route_ok(rc, p))
				goto fail;
		}
		for (size_t i = 0; i < eg->n_allow; i++) {
			p = &eg->allow[i].p;
			rc = route_add(fd, p, RTN_UNICAST, ifindex);
			if (!route_ok(rc, p))
				goto fail;
		}
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return sbx_fail(err, SBX_STEP_NET, -rc, "add the route for %s",
			prefix_text(p, text, sizeof(text)));
}

int sbx_egress_rules(const struct sbx_egress *eg, struct sbx_err *err)
{
	int ifindex = 0, rc;
	int64_t t0 = now_us(), t1 = 0;

	if (!eg)
		return 0;
	rc = wait_link(&ifindex, err);
	if (rc == 0)
		rc = load_ruleset(eg, err);
	if (rc == 0) {
		t1 = now_us();
		rc = add_routes(eg, ifindex, err);
	}
	if (rc == 0)
		egress_log(eg, SBX_LOG_DEBUG, "filter loaded in %.1f ms, routes added in %.1f ms",
			   (double)(t1 - t0) / 1000.0, since_ms(t1));
	/* Done with libnftables here: the program, forked from us, should
	 * not find it mapped. The handle is ours (a copy), not the
	 * supervisor's. */
	dlclose(eg->nft.lib);
	return rc;
}

/* ---- stop ---- */

/* The jail interface's byte counters (IFLA_STATS64), as the jail sees them. */
static void read_counters(int fd, int64_t *sent, int64_t *received)
{
	struct nl_req req;
	char buf[8192];
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t got;

	memset(&req, 0, sizeof(req));
	req.u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.u.h.nlmsg_type = RTM_GETLINK;
	req.u.h.nlmsg_flags = NLM_F_REQUEST;
	req.u.h.nlmsg_seq = 1;
	nl_attr(&req, IFLA_IFNAME, EGRESS_IFNAME, sizeof(EGRESS_IFNAME));
	if (sendto(fd, req.u.raw, req.u.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return;
	got = recv(fd, buf, sizeof(buf), 0);
	for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; got > 0 && NLMSG_OK(h, (size_t)got);
	     h = NLMSG_NEXT(h, got)) {
		struct ifinfomsg *ifi = NLMSG_DATA(h);
		int len = (int)IFLA_PAYLOAD(h);

		if (h->nlmsg_type != RTM_NEWLINK)
			continue;
		for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
			struct rtnl_link_stats64 st;
			if (a->rta_type != IFLA_STATS64 || RTA_PAYLOAD(a) < sizeof(st))
				continue;
			memcpy(&st, RTA_DATA(a), sizeof(st));
			*sent = (int64_t)st.tx_bytes;
			*received = (int64_t)st.rx_bytes;
		}
	}
}

void sbx_egress_stop(struct sbx_egress *eg, int64_t *bytes_sent, int64_t *bytes_received)
{
	int64_t sent = -1, received = -1;

	if (eg && eg->nl_fd >= 0)
		read_counters(eg->nl_fd, &sent, &received);
	if (eg && eg->pasta_pid > 0) {
		int64_t t0 = now_us();
		int status;

		/* The jail is gone: pasta has nothing left to flush, and a
		 * SIGTERM costs it ~30 ms to wind down. */
		kill(eg->pasta_pid, SIGKILL);
		while (waitpid(eg->pasta_pid, &status, 0) < 0 && errno == EINTR)
			;
		egress_log(eg, SBX_LOG_DEBUG, "pasta stopped in %.1f ms", since_ms(t0));
	}
	if (bytes_sent)
		*bytes_sent = sent;
	if (bytes_received)
		*bytes_received = received;
	egress_free(eg);
}
