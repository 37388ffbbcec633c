/*
 * mounts: the new root.
 *
 * With resolv_conf (not NULL), /etc/resolv.conf in the new root holds it (in
 * a tmpfs of ours, never a bind of the host's /etc).
 * Guarantees on 0: / is a fresh tmpfs (root_size) holding only the policy's
 * ro/rw binds, tmpfs mounts, the caller's cwd per bind_cwd, a new /proc and a
 * minimal /dev; the host's top-level symlinks into bound trees (/bin ->
 * usr/bin, /lib64 -> usr/lib64 on merged-/usr systems) are recreated; read-only
 * binds are really read-only (and keep nosuid/nodev/noexec from their source);
 * /proc, /dev and every writable mount are nosuid,nodev; mount points are made
 * without following symlinks; the old root is detached (pivot_root + umount2
 * MNT_DETACH), the new / is remounted read-only, and the cwd is the policy's.
 * Needs: a private mount namespace owned by our user namespace, CAP_SYS_ADMIN
 * in it, ids already mapped (files made here must have an owner), and, for
 * /proc, to run as a process of the new PID namespace.
 */
#ifndef SBX_MOUNTS_H
#define SBX_MOUNTS_H

#include "policy.h"
#include "sbx.h"

int sbx_mounts_build(const struct sbx_policy *pol, const char *resolv_conf, struct sbx_err *err)
	__attribute__((warn_unused_result));

/*
 * sbx_mounts_prepare(): run by the supervisor right before the clone, with
 * the caller's credentials. Where the jail's user is not the caller's (a
 * root caller's jail is nobody outside, which may not reach a source under
 * a private directory such as /root), it clones every bind's source (ro,
 * rw, the caller's cwd per bind_cwd; an absent '?' source is skipped) as
 * the caller and gives it the bind's attributes, private propagation
 * included. The descriptors are close-on-exec and kept here; the jail's
 * init inherits them, and sbx_mounts_build() attaches them and closes every
 * one before it returns, so none reaches the program. Then the jail still
 * opens files as its own user: only the bind's root comes from the caller.
 * A no-op for a caller without CAP_SYS_ADMIN (it may not clone trees, and
 * its jail maps to its own uid and reaches what it does) and for a policy
 * without user or mount namespace.
 * Fails (err filled) as build would: `ro bind SRC on DST: REASON`.
 *
 * sbx_mounts_release(): close what prepare kept (build does it itself; the
 * supervisor may call it once the jail is cloned, to hold no host tree).
 */
int sbx_mounts_prepare(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));
void sbx_mounts_release(void);

#endif
