/*
 * mounts: the new root.
 *
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

int sbx_mounts_build(const struct sbx_policy *pol, struct sbx_err *err)
	__attribute__((warn_unused_result));

#endif
