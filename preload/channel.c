#include "channel.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sbx_rec_send(int sock, uint32_t type, int32_t value, const char *text, int fd)
{
	struct sbx_rec rec = {.type = type, .value = value};
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg = {0};
	size_t len = offsetof(struct sbx_rec, text);
	ssize_t n;

	if (text) {
		size_t tl = strlen(text);
		if (tl >= sizeof(rec.text))
			tl = sizeof(rec.text) - 1;
		memcpy(rec.text, text, tl);
		rec.text[tl] = '\0';
		len += tl + 1;
	}
	iov.iov_base = &rec;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

int sbx_rec_recv(int sock, struct sbx_rec *rec, int *fd, pid_t *sender)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = {.iov_base = rec, .iov_len = sizeof(*rec)};
	struct msghdr msg = {0};
	ssize_t n;

	*fd = -1;
	if (sender)
		*sender = 0;
	memset(rec, 0, offsetof(struct sbx_rec, text) + 1);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	/* A peer that closes with records of ours unread makes the kernel
	 * report ECONNRESET once, ahead of what that peer sent us before it
	 * went: read on, or its last words (an error line) would be lost. */
	if (n < 0 && errno == ECONNRESET)
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == ECONNRESET))
		return 0;
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			memcpy(fd, CMSG_DATA(c), sizeof(int));
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && sender) {
			struct ucred cred;
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*sender = cred.pid;
		}
	if ((size_t)n < offsetof(struct sbx_rec, text))
		return -1;
	rec->text[sizeof(rec->text) - 1] = '\0';
	if ((size_t)n == offsetof(struct sbx_rec, text))
		rec->text[0] = '\0';
	return 1;
}

int sbx_rec_expect(int sock, uint32_t type, int32_t *value, int *fd, struct sbx_err *err)
{
	struct sbx_rec rec;
	int got;
	int r = sbx_rec_recv(sock, &rec, &got, NULL);

	if (fd)
		*fd = got;
	else if (got >= 0)
		close(got);
	if (r < 0)
		return sbx_fail(err, SBX_STEP_INIT, errno, "read from the supervisor");
	if (r == 0)
		return sbx_fail(err, SBX_STEP_INIT, 0, "the supervisor is gone");
	if (rec.type != type)
		return sbx_fail(err, SBX_STEP_INIT, 0, "unexpected record %u from the supervisor",
				rec.type);
	if (value)
		*value = rec.value;
	return 0;
}

void sbx_jail_die(int sock, const struct sbx_err *err)
{
	char line[768];
	size_t n = sbx_err_format(err, line, sizeof(line));

	/* The supervisor prints it (and puts it in the report); print it here
	 * only when the supervisor cannot be told. */
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	if (sock < 0 || sbx_rec_send(sock, SBX_REC_ERROR, 0, line, -1) < 0)
		sbx_die(err);
	_exit(SBX_EXIT_SETUP);
}

/* sbx_zygote()'s word: one byte carrying up to SBX_ZYGOTE_FDS descriptors. */
union zygote_ctl {
	char buf[CMSG_SPACE(SBX_ZYGOTE_FDS * sizeof(int))];
	struct cmsghdr align;
};

int sbx_zygote_word_send(int sock, const int *fds, int n)
{
	char byte = 'J';
	union zygote_ctl u;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t r;

	if (n < 0 || n > SBX_ZYGOTE_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	}
	do
		r = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r == 1 ? 0 : -1;
}

int sbx_zygote_word_recv(int sock, int fds[SBX_ZYGOTE_FDS])
{
	char byte;
	union zygote_ctl u;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	ssize_t r;
	int n = 0;

	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < SBX_ZYGOTE_FDS)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}
