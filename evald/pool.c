/*
 * pool: the filler thread and the list of ready jails.
 */
#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "metrics.h"

struct evald_pool {
	const struct evald *ev;
	unsigned size;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int wake_fd; /* eventfd: a jail was taken, or stop */
	bool stopping;
	struct evald_jail *ready; /* oldest first */
	unsigned n_ready;
	struct evald_jail *starting;
	unsigned n_starting;
	unsigned n_waiting; /* takers waiting for a starting jail */
	unsigned max_starting; /* jails starting at once */
	unsigned long failures;
	double backoff_ms, retry_at;
};

static void wake(struct evald_pool *p)
{
	uint64_t one = 1;

	if (write(p->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: the filler is awake anyway. */
	}
}

static void drain_wake(struct evald_pool *p)
{
	uint64_t n;

	if (read(p->wake_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nobody woke us. */
	}
}

static void failed(struct evald_pool *p, const char *why)
{
	p->failures++;
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : 1000;
	if (p->backoff_ms > 30000)
		p->backoff_ms = 30000;
	p->retry_at = evald_now_ms() + p->backoff_ms;
	evald_log("pool: %s (next try in %.0f s)", why, p->backoff_ms / 1e3);
	evald_metrics_jail_start_failed();
}

static void *filler(void *arg)
{
	struct evald_pool *p = arg;
	const double start_timeout_ms = p->ev->cfg.eval.start_timeout_s * 1e3;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct pollfd *fds;
		struct evald_jail *dead;
		unsigned nfds = 0, n_dead = 0, i;
		double now = evald_now_ms(), timeout = 1000;

		/* Start what is missing, unless backing off after a failure. */
		while (p->n_ready + p->n_starting < p->size && p->n_starting < p->max_starting &&
		       now >= p->retry_at && !p->stopping) {
			struct evald_jail j;
			char err[512];

			pthread_mutex_unlock(&p->lock);
			if (evald_jail_start(p->ev, &j, err, sizeof(err)) < 0) {
				pthread_mutex_lock(&p->lock);
				failed(p, err);
				break;
			}
			pthread_mutex_lock(&p->lock);
			p->starting[p->n_starting++] = j;
			now = evald_now_ms();
		}
		if (p->retry_at > now && p->n_ready + p->n_starting < p->size)
			timeout = p->retry_at - now;

		fds = calloc(p->n_starting * 2 + p->n_ready + 1, sizeof(*fds));
		dead = calloc(p->n_starting + p->n_ready + 1, sizeof(*dead));
		if (!fds || !dead) {
			free(fds);
			free(dead);
			pthread_mutex_unlock(&p->lock);
			usleep(100000);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		fds[nfds++] = (struct pollfd){ .fd = p->wake_fd, .events = POLLIN };
		for (i = 0; i < p->n_starting; i++) {
			fds[nfds++] = (struct pollfd){ .fd = p->starting[i].out_fd, .events = POLLIN };
			fds[nfds++] = (struct pollfd){ .fd = p->starting[i].pidfd, .events = POLLIN };
		}
		for (i = 0; i < p->n_ready; i++)
			fds[nfds++] = (struct pollfd){ .fd = p->ready[i].pidfd, .events = POLLIN };
		pthread_mutex_unlock(&p->lock);
		poll(fds, nfds, (int)timeout + 1);
		free(fds);
		drain_wake(p);
		pthread_mutex_lock(&p->lock);

		/* Starting jails: ready, failed, or too slow. */
		for (i = 0; i < p->n_starting;) {
			struct evald_jail *j = &p->starting[i];
			char err[512];
			int rc = evald_jail_poll_ready(j, err, sizeof(err));

			if (rc == 0 && evald_now_ms() - j->started_ms > start_timeout_ms) {
				snprintf(err, sizeof(err), "a jail was not ready within %u s",
					 p->ev->cfg.eval.start_timeout_s);
				rc = -1;
			}
			if (rc == 0) {
				i++;
				continue;
			}
			if (rc > 0) {
				p->ready[p->n_ready++] = *j;
				p->backoff_ms = 0;
				pthread_cond_broadcast(&p->changed);
			} else {
				failed(p, err);
				dead[n_dead++] = *j;
			}
			p->starting[i] = p->starting[--p->n_starting];
		}
		/* Ready jails that died while waiting (killed from outside, OOM...). */
		for (i = 0; i < p->n_ready;) {
			if (evald_jail_exited(&p->ready[i])) {
				evald_log("pool: a waiting jail ended by itself; replacing it");
				dead[n_dead++] = p->ready[i];
				memmove(&p->ready[i], &p->ready[i + 1],
					(p->n_ready - i - 1) * sizeof(*p->ready));
				p->n_ready--;
				continue;
			}
			i++;
		}
		if (n_dead) {
			pthread_cond_broadcast(&p->changed);
			pthread_mutex_unlock(&p->lock);
			for (i = 0; i < n_dead; i++)
				evald_jail_destroy(&dead[i]);
			pthread_mutex_lock(&p->lock);
		}
		free(dead);
		evald_metrics_pool_ready(p->n_ready);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct evald_pool *evald_pool_start(const struct evald *ev, unsigned size)
{
	struct evald_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ev = ev;
	p->size = size;
	/*
	 * Jails starting at once: more than the CPUs can run only adds switching
	 * (a start is mostly CPU: python's startup), but a start also waits (the
	 * cgroup migration's RCU grace period), so twice the CPUs.
	 */
	p->max_starting = 2 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (p->max_starting < 1)
		p->max_starting = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->ready = calloc(size + 1, sizeof(*p->ready));
	p->starting = calloc(size + 1, sizeof(*p->starting));
	if (p->wake_fd < 0 || !p->ready || !p->starting)
		goto fail;
	if (size && pthread_create(&p->thread, NULL, filler, p) != 0)
		goto fail;
	return p;
fail:
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	free(p->ready);
	free(p->starting);
	free(p);
	return NULL;
}

int evald_pool_take(struct evald_pool *p, struct evald_jail *j, int client_fd, double deadline_ms)
{
	int rc = -1;

	if (!p || p->size == 0)
		return -1;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct timespec ts;

		while (p->n_ready > 0) {
			*j = p->ready[0];
			memmove(&p->ready[0], &p->ready[1], (p->n_ready - 1) * sizeof(*p->ready));
			p->n_ready--;
			if (!evald_jail_exited(j)) {
				rc = 0;
				goto out;
			}
			/* It died waiting: not for a request. */
			pthread_mutex_unlock(&p->lock);
			evald_jail_destroy(j);
			pthread_mutex_lock(&p->lock);
		}
		/* Wait only for jails nobody else is waiting for. */
		if (p->stopping || p->n_starting <= p->n_waiting || evald_now_ms() >= deadline_ms)
			goto out;
		if (evald_client_gone(client_fd)) {
			rc = -2;
			goto out;
		}
		p->n_waiting++;
		/* Wake every 50 ms to look at the client and the deadline. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->changed, &p->lock, &ts);
		p->n_waiting--;
	}
out:
	evald_metrics_pool_ready(p->n_ready);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void evald_pool_refill(struct evald_pool *p)
{
	if (p && p->size)
		wake(p);
}

unsigned evald_pool_ready(struct evald_pool *p)
{
	unsigned n;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->n_ready;
	pthread_mutex_unlock(&p->lock);
	return n;
}

unsigned long evald_pool_start_failures(struct evald_pool *p)
{
	unsigned long n;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	n = p->failures;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void evald_pool_stop(struct evald_pool *p)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	wake(p);
	if (p->size)
		pthread_join(p->thread, NULL);
	/* Ready jails end on the EOF of their stdin; starting ones get SIGTERM. */
	for (i = 0; i < p->n_ready; i++)
		evald_jail_destroy(&p->ready[i]);
	for (i = 0; i < p->n_starting; i++)
		evald_jail_destroy(&p->starting[i]);
	close(p->wake_fd);
	free(p->ready);
	free(p->starting);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}
