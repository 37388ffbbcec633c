/*
 * policy_int.h: what the files of policy/ share and nobody else needs.
 *
 * values.c holds pure parsers: each takes a string and returns NULL on
 * success or a short reason ("use a number with K, M or G") that the caller
 * puts after the key in the message. They allocate only where they say so.
 */
#ifndef SBX_POLICY_INT_H
#define SBX_POLICY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Largest values the parsers accept. */
#define SBX_POLICY_MAX_COUNT 2147483647ULL /* processes, open_files */
#define SBX_POLICY_MAX_ID 4294967294ULL	   /* uid/gid: (uid_t)-1 means "no change" */
#define SBX_POLICY_MAX_HOSTNAME 64	   /* HOST_NAME_MAX, gethostname(2) */
#define SBX_POLICY_MAX_FILE_BYTES (1024 * 1024)
/* Longest line of a policy file: two paths of PATH_MAX and the key fit. */
#define SBX_POLICY_MAX_LINE 8448

/* Origins of values that came from the compiled-in default and from -s. */
extern const char sbx_origin_builtin[]; /* "built-in" */
extern const char sbx_origin_override[]; /* "-s" */

/* values.c: pure parsers. */
const char *sbx_parse_bool(const char *s, bool *out);
const char *sbx_parse_size(const char *s, uint64_t *out);
const char *sbx_parse_count(const char *s, uint64_t max, uint64_t *out);
const char *sbx_parse_seconds(const char *s, uint64_t *ms);
const char *sbx_parse_id(const char *s, uint32_t *out);
const char *sbx_check_hostname(const char *s);
bool sbx_env_name_valid(const char *s, size_t len);
/*
 * A path: relative ones are joined to base (absolute). "//" and "." are
 * collapsed, a trailing "/" dropped. inside = a path in the jail: ".." is
 * refused (it would depend on what is mounted there). A host path keeps its
 * ".." for the kernel to resolve (lexical removal is wrong across symlinks).
 * *out is malloc'ed; NULL with the reason "out of memory" on ENOMEM.
 */
const char *sbx_parse_path(const char *base, const char *s, bool inside, char **out);
/* One [net] allow (with_port) or deny (CIDR only) value into rule (host malloc'ed). */
const char *sbx_parse_net_rule(const char *s, bool allow, struct sbx_net_rule *rule);
/* An IP address literal, written back canonically (inet_ntop) into buf. */
const char *sbx_parse_ip(const char *s, char *buf, size_t size);
/* Size in the shortest exact form: 16777216 -> "16M". */
void sbx_format_size(uint64_t bytes, char *buf, size_t size);
/* Seconds from ms: 1500 -> "1.5". */
void sbx_format_ms(uint64_t ms, char *buf, size_t size);
/* A net rule as the policy would write it: "[2001:db8::/32]:443". */
void sbx_format_net_rule(const struct sbx_net_rule *rule, bool allow, char *buf, size_t size);

/* policy.c: an origin as "FILE:LINE" (or "built-in", or "-s"). */
void sbx_origin_format(const struct sbx_origin *o, char *buf, size_t size);
/* Where section.key was last set explicitly, or NULL. */
const struct sbx_origin *sbx_policy_explicit_origin(const struct sbx_policy *pol,
						    const char *section_dot_key);

#endif
