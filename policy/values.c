/*
 * values: pure parsers of the policy's value types. No system calls, no
 * global state: each returns NULL on success or the reason a value is bad,
 * worded to follow `bad size "12Q" (` in a message.
 */
#include "policy_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *sbx_parse_bool(const char *s, bool *out)
{
	/* yes/no is the documented spelling; true/false, on/off and 1/0 are
	 * accepted too because people type them, and they cannot mean anything
	 * else. Case does not matter. */
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return NULL;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return NULL;
		}
	}
	return "use yes or no";
}

/* Leading decimal digits into *out; returns the first non-digit, or NULL on overflow. */
static const char *parse_digits(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return s;
}

const char *sbx_parse_size(const char *s, uint64_t *out)
{
	static const char why[] = "use a number with K, M or G";
	uint64_t v;
	unsigned shift = 0;
	const char *end;

	if (!(*s >= '0' && *s <= '9'))
		return why; /* empty, negative, or not a number */
	end = parse_digits(s, &v);
	if (!end)
		return "too large";
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return why;
	}
	if (*end && end[1])
		return why;
	if (shift && v > (UINT64_MAX >> shift))
		return "too large";
	*out = v << shift;
	return NULL;
}

const char *sbx_parse_count(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	const char *end;

	if (!(*s >= '0' && *s <= '9'))
		return "use a whole number";
	end = parse_digits(s, &v);
	if (!end || (*end == '\0' && v > max))
		return "too large";
	if (*end)
		return "use a whole number";
	*out = v;
	return NULL;
}

const char *sbx_parse_id(const char *s, uint32_t *out)
{
	uint64_t v;
	const char *why = sbx_parse_count(s, SBX_POLICY_MAX_ID, &v);

	if (why)
		return "use a number from 0 to 4294967294";
	*out = (uint32_t)v;
	return NULL;
}

const char *sbx_parse_seconds(const char *s, uint64_t *ms)
{
	static const char why[] = "use seconds, e.g. 6 or 0.5";
	uint64_t whole = 0, frac_ms = 0;
	const char *p = s;
	bool round_up = false;

	if (!(*p >= '0' && *p <= '9'))
		return why;
	p = parse_digits(p, &whole);
	if (!p || whole > UINT64_MAX / 1000 - 1)
		return "too large";
	if (*p == '.') {
		unsigned digits = 0;
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return why;
		for (; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits < 3)
				frac_ms = frac_ms * 10 + (unsigned)(*p - '0');
			else if (*p != '0')
				round_up = true;
		}
		for (; digits < 3; digits++)
			frac_ms *= 10;
	}
	if (*p)
		return why;
	/* A limit finer than a millisecond rounds up, so that "0.0001" is a
	 * (tiny) limit rather than 0, which would mean "no limit". */
	*ms = whole * 1000 + frac_ms + (round_up ? 1 : 0);
	return NULL;
}

const char *sbx_check_hostname(const char *s)
{
	/* RFC 1123 section 2.1: labels of letters, digits and '-', neither
	 * starting nor ending with '-', 1 to 63 characters; sethostname(2)
	 * takes at most HOST_NAME_MAX (64) bytes. */
	size_t len = strlen(s), label = 0;

	if (len == 0)
		return "must not be empty";
	if (len > SBX_POLICY_MAX_HOSTNAME)
		return "longer than 64 characters";
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0)
				return "empty label (two dots, or a dot at either end)";
			if (s[i - 1] == '-')
				return "a label ends with '-'";
			label = 0;
			continue;
		}
		if (label == 0 && c == '-')
			return "a label starts with '-'";
		if (!isalnum((unsigned char)c) && c != '-')
			return "use letters, digits, '-' and '.' (RFC 1123)";
		if (++label > 63)
			return "a label is longer than 63 characters";
	}
	return NULL;
}

bool sbx_env_name_valid(const char *s, size_t len)
{
	/* POSIX shell names (XBD 3.235): what a program can portably read. */
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

const char *sbx_parse_path(const char *base, const char *s, bool inside, char **out)
{
	size_t cap, n = 0;
	char *buf;
	const char *p;

	*out = NULL;
	if (*s == '\0')
		return "empty path";
	if (*s == '~')
		return "'~' is not expanded: write the full path";
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a control character in the path";
	if (inside && *s != '/')
		return "must be an absolute path inside the jail";
	if (*s != '/' && (!base || *base != '/'))
		return "relative path without an absolute working directory";
	cap = strlen(s) + (*s == '/' ? 0 : strlen(base)) + 3;
	buf = malloc(cap);
	if (!buf)
		return "out of memory";
	/* Copy base (when relative) then s component by component. */
	for (int part = (*s == '/') ? 1 : 0; part < 2; part++) {
		p = part == 0 ? base : s;
		while (*p) {
			const char *c = p;
			size_t clen;
			while (*c == '/')
				c++;
			clen = strcspn(c, "/");
			p = c + clen;
			if (clen == 0 || (clen == 1 && c[0] == '.'))
				continue;
			if (clen == 2 && c[0] == '.' && c[1] == '.' && inside) {
				free(buf);
				return "must not contain \"..\"";
			}
			buf[n++] = '/';
			memcpy(buf + n, c, clen);
			n += clen;
		}
	}
	if (n == 0)
		buf[n++] = '/';
	buf[n] = '\0';
	if (n >= PATH_MAX) {
		free(buf);
		return "longer than PATH_MAX";
	}
	/* "a /." would become "a ", which no policy file can say (blanks
	 * around a value are dropped): refuse rather than change the name. */
	if (buf[n - 1] == ' ') {
		free(buf);
		return "ends with a blank";
	}
	*out = buf;
	return NULL;
}

/* "addr" or "addr/len" into rule (family, addr, prefix_len). v6 = may be IPv6. */
static const char *parse_cidr(const char *s, size_t len, struct sbx_net_rule *rule)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	int max;

	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return "not an IP address";
	memcpy(text, s, alen);
	text[alen] = '\0';
	memset(rule->addr, 0, sizeof(rule->addr));
	if (inet_pton(AF_INET, text, rule->addr) == 1) {
		rule->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, text, rule->addr) == 1) {
		rule->family = AF_INET6;
		max = 128;
	} else {
		return "not an IP address";
	}
	rule->prefix_len = max;
	if (slash) {
		char num[8];
		size_t nlen = len - alen - 1;
		uint64_t v;
		if (nlen == 0 || nlen >= sizeof(num))
			return "bad prefix length";
		memcpy(num, slash + 1, nlen);
		num[nlen] = '\0';
		if (sbx_parse_count(num, (uint64_t)max, &v))
			return rule->family == AF_INET ? "prefix length must be 0 to 32"
						       : "prefix length must be 0 to 128";
		rule->prefix_len = (int)v;
	}
	/* Bits past the prefix are most likely a typo (10.1.2.3/8): refuse
	 * rather than guess which network was meant. */
	for (int bit = rule->prefix_len; bit < max; bit++)
		if (rule->addr[bit / 8] & (0x80 >> (bit % 8)))
			return "address has bits set past the prefix length";
	return NULL;
}

static const char *parse_port(const char *s, int *port)
{
	uint64_t v;

	if (sbx_parse_count(s, 65535, &v) || v == 0)
		return "port must be 1 to 65535";
	*port = (int)v;
	return NULL;
}

/* A host name for [net] allow: RFC 1123, and not all digits in the last
 * label (so a mistyped address like 10.0.0 is not taken for a name). */
static const char *check_net_host(const char *s)
{
	const char *last = strrchr(s, '.');
	const char *why = sbx_check_hostname(s);

	if (why)
		return why;
	last = last ? last + 1 : s;
	if (strspn(last, "0123456789") == strlen(last))
		return "not an IP address or a host name";
	return NULL;
}

const char *sbx_parse_net_rule(const char *s, bool allow, struct sbx_net_rule *rule)
{
	const char *addr, *port = NULL, *why;
	size_t alen;
	char host[256];

	memset(rule, 0, sizeof(*rule));
	rule->prefix_len = -1;
	if (*s == '\0')
		return "empty";
	if (*s == '[') {
		/* [IPv6[/LEN]] with an optional :PORT after it. */
		const char *close = strchr(s, ']');
		if (!close)
			return "missing ']'";
		addr = s + 1;
		alen = (size_t)(close - addr);
		if (close[1] == ':' && allow)
			port = close + 2;
		else if (close[1] != '\0')
			return allow ? "expected [IPV6/LEN]:PORT" : "expected a CIDR";
		why = parse_cidr(addr, alen, rule);
		if (why)
			return why;
		if (rule->family != AF_INET6)
			return "brackets are for IPv6 addresses";
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		/* Two colons or more: a bare IPv6 address, no port. */
		why = parse_cidr(s, strlen(s), rule);
		if (why)
			return why;
	} else {
		const char *colon = strchr(s, ':');
		alen = colon ? (size_t)(colon - s) : strlen(s);
		if (colon) {
			if (!allow)
				return "a port is not allowed here";
			port = colon + 1;
		}
		if (alen == 0)
			return "empty address";
		if (parse_cidr(s, alen, rule) != NULL) {
			/* Not an address: a host name (allow only), or a bad CIDR. */
			if (memchr(s, '/', alen) || strspn(s, "0123456789.") == alen) {
				why = parse_cidr(s, alen, rule);
				return why;
			}
			if (!allow)
				return "expected a CIDR like 10.0.0.0/8";
			if (alen >= sizeof(host))
				return "host name too long";
			memcpy(host, s, alen);
			host[alen] = '\0';
			why = check_net_host(host);
			if (why)
				return why;
			rule->family = 0;
			rule->prefix_len = -1;
			memset(rule->addr, 0, sizeof(rule->addr));
			rule->host = strdup(host);
			if (!rule->host)
				return "out of memory";
		}
	}
	if (port) {
		why = parse_port(port, &rule->port);
		if (why) {
			free(rule->host);
			rule->host = NULL;
			return why;
		}
	}
	return NULL;
}

const char *sbx_parse_ip(const char *s, char *buf, size_t size)
{
	unsigned char addr[16];
	char text[INET6_ADDRSTRLEN];
	size_t len = strlen(s);
	int family;

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(text))
		return "not an IP address";
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, text, addr) == 1)
		family = AF_INET6;
	else
		return "not an IP address";
	if (!inet_ntop(family, addr, buf, (socklen_t)size))
		return "not an IP address";
	return NULL;
}

void sbx_format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char units[] = "GMK";

	for (int i = 0; i < 3; i++) {
		unsigned shift = (unsigned)(30 - 10 * i);
		uint64_t unit = (uint64_t)1 << shift;
		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, size, "%llu%c", (unsigned long long)(bytes >> shift), units[i]);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)bytes);
}

void sbx_format_ms(uint64_t ms, char *buf, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(buf, size, "%llu", (unsigned long long)(ms / 1000));
	else if (ms % 100 == 0)
		snprintf(buf, size, "%llu.%01llu", (unsigned long long)(ms / 1000),
			 (unsigned long long)(ms % 1000 / 100));
	else if (ms % 10 == 0)
		snprintf(buf, size, "%llu.%02llu", (unsigned long long)(ms / 1000),
			 (unsigned long long)(ms % 1000 / 10));
	else
		snprintf(buf, size, "%llu.%03llu", (unsigned long long)(ms / 1000),
			 (unsigned long long)(ms % 1000));
}

void sbx_format_net_rule(const struct sbx_net_rule *rule, bool allow, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN] = "";
	char cidr[INET6_ADDRSTRLEN + 8];
	char port[8] = "";
	int full = rule->family == AF_INET6 ? 128 : 32;

	if (allow && rule->port)
		snprintf(port, sizeof(port), ":%d", rule->port);
	if (rule->host) {
		snprintf(buf, size, "%s%s", rule->host, port);
		return;
	}
	if (!inet_ntop(rule->family, rule->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	if (rule->prefix_len == full)
		snprintf(cidr, sizeof(cidr), "%s", addr);
	else
		snprintf(cidr, sizeof(cidr), "%s/%d", addr, rule->prefix_len);
	if (rule->family == AF_INET6 && port[0])
		snprintf(buf, size, "[%s]%s", cidr, port);
	else
		snprintf(buf, size, "%s%s", cidr, port);
}
