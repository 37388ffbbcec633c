/*
 * caps: the privileges of the jail's processes.
 *
 * sbx_caps_raise(): effective = permitted (after a uid change with keep-caps).
 * sbx_caps_drop_all(): guarantees on 0 that the process and everything it will
 * ever exec hold no capability: bounding, ambient, inheritable, effective and
 * permitted sets are empty, the securebits are locked so that uid 0 inside
 * regains nothing on execve, and no_new_privs is set (setuid and file caps are
 * ignored). Needs: to run in the user namespace whose caps it drops, after
 * the ids are final.
 */
#ifndef SBX_CAPS_H
#define SBX_CAPS_H

#include "sbx.h"

int sbx_caps_raise(struct sbx_err *err) __attribute__((warn_unused_result));
int sbx_caps_drop_all(struct sbx_err *err) __attribute__((warn_unused_result));

#endif
