/*
 * metrics: plain counters under one mutex, written out on demand.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reasons of the run report, then ours. */
static const char *const reasons[] = { "exit",	   "signal",	   "wall_time", "cpu_time",
				       "memory",   "processes",    "seccomp",	"setup",
				       "output_limit", "cancelled", "other" };
#define N_REASONS (sizeof(reasons) / sizeof(reasons[0]))

/* Upper bounds of the latency histogram, in seconds. */
static const double buckets[] = { 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				   0.5,	   1,	  2.5,	5,     10,   30 };
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static const unsigned codes[] = { 200, 400, 404, 405, 408, 413, 415, 500, 503 };
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static struct {
	pthread_mutex_t lock;
	unsigned long requests[N_CODES + 1]; /* the last: any other code */
	unsigned long evaluations[N_REASONS];
	unsigned long latency_count[N_BUCKETS];
	unsigned long latency_total;
	double latency_sum;
	unsigned long truncated, cancelled, start_failures;
	unsigned queue_depth, running, pool_ready, pool_size;
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

void evald_metrics_request(unsigned status)
{
	size_t i;

	pthread_mutex_lock(&m.lock);
	for (i = 0; i < N_CODES && codes[i] != status; i++)
		;
	m.requests[i]++;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_evaluation(const char *reason, double seconds, int truncated)
{
	size_t i;

	pthread_mutex_lock(&m.lock);
	for (i = 0; i < N_REASONS - 1 && strcmp(reasons[i], reason) != 0; i++)
		;
	m.evaluations[i]++;
	for (i = 0; i < N_BUCKETS; i++)
		if (seconds <= buckets[i])
			m.latency_count[i]++;
	m.latency_total++;
	m.latency_sum += seconds;
	if (truncated)
		m.truncated++;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_queue(unsigned depth, unsigned running)
{
	pthread_mutex_lock(&m.lock);
	m.queue_depth = depth;
	m.running = running;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_pool_ready(unsigned ready)
{
	pthread_mutex_lock(&m.lock);
	m.pool_ready = ready;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_pool_size(unsigned size)
{
	pthread_mutex_lock(&m.lock);
	m.pool_size = size;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_cancelled(void)
{
	pthread_mutex_lock(&m.lock);
	m.cancelled++;
	pthread_mutex_unlock(&m.lock);
}

void evald_metrics_jail_start_failed(void)
{
	pthread_mutex_lock(&m.lock);
	m.start_failures++;
	pthread_mutex_unlock(&m.lock);
}

struct text {
	char *buf;
	size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = (t->cap + (size_t)n + 1) * 2;
			char *g = realloc(t->buf, cap);

			if (!g)
				return;
			t->buf = g;
			t->cap = cap;
		}
	}
}

char *evald_metrics_text(size_t *len)
{
	struct text t = { 0 };
	size_t i;

	pthread_mutex_lock(&m.lock);
	put(&t, "# HELP sbx_evald_requests_total HTTP answers by status code.\n"
		"# TYPE sbx_evald_requests_total counter\n");
	for (i = 0; i < N_CODES; i++)
		put(&t, "sbx_evald_requests_total{code=\"%u\"} %lu\n", codes[i], m.requests[i]);
	put(&t, "sbx_evald_requests_total{code=\"other\"} %lu\n", m.requests[N_CODES]);
	put(&t, "# HELP sbx_evald_evaluations_total Evaluations by how they ended.\n"
		"# TYPE sbx_evald_evaluations_total counter\n");
	for (i = 0; i < N_REASONS; i++)
		put(&t, "sbx_evald_evaluations_total{reason=\"%s\"} %lu\n", reasons[i],
		    m.evaluations[i]);
	put(&t, "# HELP sbx_evald_evaluation_seconds Time from a request's arrival to its answer.\n"
		"# TYPE sbx_evald_evaluation_seconds histogram\n");
	for (i = 0; i < N_BUCKETS; i++)
		put(&t, "sbx_evald_evaluation_seconds_bucket{le=\"%g\"} %lu\n", buckets[i],
		    m.latency_count[i]);
	put(&t, "sbx_evald_evaluation_seconds_bucket{le=\"+Inf\"} %lu\n", m.latency_total);
	put(&t, "sbx_evald_evaluation_seconds_sum %.6f\n", m.latency_sum);
	put(&t, "sbx_evald_evaluation_seconds_count %lu\n", m.latency_total);
	put(&t, "# HELP sbx_evald_output_truncated_total Evaluations whose output was cut.\n"
		"# TYPE sbx_evald_output_truncated_total counter\n"
		"sbx_evald_output_truncated_total %lu\n",
	    m.truncated);
	put(&t, "# HELP sbx_evald_cancelled_total Evaluations dropped or ended because the client left.\n"
		"# TYPE sbx_evald_cancelled_total counter\n"
		"sbx_evald_cancelled_total %lu\n",
	    m.cancelled);
	put(&t, "# HELP sbx_evald_jail_start_failures_total Jails that failed to start.\n"
		"# TYPE sbx_evald_jail_start_failures_total counter\n"
		"sbx_evald_jail_start_failures_total %lu\n",
	    m.start_failures);
	put(&t, "# HELP sbx_evald_queue_depth Evaluations waiting for a worker.\n"
		"# TYPE sbx_evald_queue_depth gauge\n"
		"sbx_evald_queue_depth %u\n",
	    m.queue_depth);
	put(&t, "# HELP sbx_evald_running Evaluations running now.\n"
		"# TYPE sbx_evald_running gauge\n"
		"sbx_evald_running %u\n",
	    m.running);
	put(&t, "# HELP sbx_evald_pool_ready Jails ready and waiting for a request.\n"
		"# TYPE sbx_evald_pool_ready gauge\n"
		"sbx_evald_pool_ready %u\n",
	    m.pool_ready);
	put(&t, "# HELP sbx_evald_pool_size Jails the pool keeps ready.\n"
		"# TYPE sbx_evald_pool_size gauge\n"
		"sbx_evald_pool_size %u\n",
	    m.pool_size);
	pthread_mutex_unlock(&m.lock);
	*len = t.len;
	return t.buf;
}
