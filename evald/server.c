/*
 * server: routes, body collection, the job queue, the workers and the answers.
 */
#include "server.h"

#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base64.h"
#include "jail.h"
#include "metrics.h"
#include "request.h"

enum route { ROUTE_NONE, ROUTE_EVAL, ROUTE_HEALTH, ROUTE_METRICS };
enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	struct MHD_Connection *conn;
	struct evald_request in;
	int client_fd;
	double enqueued_ms;
	enum job_state state;
	int jail_pidfd; /* while running: to end it when draining */
	/* The answer, written by the worker. */
	unsigned status;
	char *answer;
	size_t answer_len;
	char reason[32];
	bool cancelled;
	struct job *next;
};

/* One HTTP request (MHD's per-request closure). */
struct req {
	double start_ms;
	char method[12];
	char path[80];
	enum route route;
	char *body;
	size_t body_len, body_cap;
	bool too_big;
	bool too_busy;	 /* max_buffered reached while receiving */
	size_t counted; /* bytes of body counted in the server's buffered total */
	bool answered;
	struct job *job;
	unsigned status;
	char reason[32];
};

struct evald_server {
	const struct evald *ev;
	struct evald_pool *pool;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	pthread_cond_t work;  /* a job was queued, or stop */
	pthread_cond_t idle;  /* a job finished */
	struct job *head, *tail;
	struct job *running_jobs; /* linked through next while running */
	unsigned queued, running;
	unsigned suspended; /* jobs not yet handed back to MHD */
	unsigned open_requests;
	uint64_t buffered; /* request bodies being received, in bytes */
	double avg_eval_ms;
	bool draining, stopping;
	pthread_t *workers;
	struct evald_request_limits limits;
};

/* Forget r's body (and its share of the buffered total). */
static void drop_body(struct evald_server *s, struct req *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = r->body_cap = 0;
	if (r->counted) {
		pthread_mutex_lock(&s->lock);
		s->buffered -= r->counted;
		pthread_mutex_unlock(&s->lock);
		r->counted = 0;
	}
}

/* ---- answers ---- */

static enum MHD_Result send_text(struct MHD_Connection *c, struct req *r, unsigned status,
				 const char *type, const char *body, size_t len,
				 const char *extra_header, const char *extra_value)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ok;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (extra_header)
		MHD_add_response_header(resp, extra_header, extra_value);
	ok = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (ok == MHD_YES) {
		r->status = status;
		r->answered = true;
	}
	return ok;
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct req *r, unsigned status,
				 json_t *doc, const char *extra_header, const char *extra_value)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	enum MHD_Result ok;

	json_decref(doc);
	if (!text)
		return MHD_NO;
	ok = send_text(c, r, status, "application/json", text, strlen(text), extra_header,
		       extra_value);
	free(text);
	return ok;
}

/* 4xx/5xx: {"error": "files[0].content: not valid base64", "field": "files[0].content"} */
static enum MHD_Result send_error(struct MHD_Connection *c, struct req *r, unsigned status,
				  const char *field, const char *message, const char *extra_header,
				  const char *extra_value)
{
	json_t *doc = json_pack("{s:s}", "error", message);

	if (doc && field && *field)
		json_object_set_new(doc, "field", json_string(field));
	return send_json(c, r, status, doc, extra_header, extra_value);
}

/* The evaluation's answer, as snekbox gives it plus ours. */
static char *answer_json(const struct evald_result *res, size_t *len)
{
	json_t *doc, *files;
	size_t out_len, i;
	char *out, *text;

	out = evald_utf8_clean(res->out ? res->out : (const unsigned char *)"", res->out_len,
			       &out_len);
	files = json_array();
	doc = json_object();
	if (!out || !files || !doc) {
		free(out);
		json_decref(files);
		json_decref(doc);
		return NULL;
	}
	for (i = 0; i < res->n_files; i++) {
		char *b64 = malloc(evald_b64_encoded_size(res->files[i].size));

		if (!b64)
			continue;
		evald_b64_encode(res->files[i].data, res->files[i].size, b64);
		json_array_append_new(files, json_pack("{s:s, s:I, s:s}", "path", res->files[i].path,
						       "size", (json_int_t)res->files[i].size,
						       "content", b64));
		free(b64);
	}
	json_object_set_new(doc, "stdout", json_stringn(out, out_len));
	json_object_set_new(doc, "returncode", json_integer(res->returncode));
	json_object_set_new(doc, "files", files);
	json_object_set_new(doc, "reason", json_string(res->reason));
	json_object_set_new(doc, "wall_s", json_real((double)(long)(res->wall_s * 1e4) / 1e4));
	json_object_set_new(doc, "truncated", json_boolean(res->truncated));
	json_object_set_new(doc, "files_truncated", json_boolean(res->files_truncated));
	free(out);
	text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(doc);
	if (text)
		*len = strlen(text);
	return text;
}

static void job_error(struct job *job, unsigned status, const char *field, const char *message)
{
	json_t *doc = json_pack("{s:s}", "error", message);

	if (doc && field)
		json_object_set_new(doc, "field", json_string(field));
	job->status = status;
	job->answer = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	job->answer_len = job->answer ? strlen(job->answer) : 0;
	json_decref(doc);
}

/* ---- the workers ---- */

/* Run job; a jail left in *used (pid > 0) is the caller's to destroy, after the answer. */
static void run_job(struct evald_server *s, struct job *job, struct evald_jail *used)
{
	const struct evald *ev = s->ev;
	struct evald_jail jail;
	struct evald_result res;
	char err[512];
	double deadline = evald_now_ms() + ev->cfg.eval.start_timeout_s * 1e3;
	int rc = evald_pool_take(s->pool, &jail, job->client_fd, deadline);

	if (rc == -1) {
		/* No pool, or nothing coming from it: start this one's jail now. */
		if (evald_jail_start(ev, &jail, err, sizeof(err)) < 0) {
			evald_log("jail: %s", err);
			job_error(job, 500, NULL, err);
			return;
		}
		rc = evald_jail_wait_ready(&jail, deadline, job->client_fd, err, sizeof(err));
		if (rc == -1) {
			evald_log("jail: %s", err);
			evald_metrics_jail_start_failed();
			job_error(job, 500, NULL, err);
		}
		if (rc < 0)
			evald_jail_destroy(&jail);
	}
	if (rc == -2) {
		job->cancelled = true;
		snprintf(job->reason, sizeof(job->reason), "cancelled");
		return;
	}
	if (rc < 0)
		return;

	pthread_mutex_lock(&s->lock);
	job->jail_pidfd = jail.pidfd;
	pthread_mutex_unlock(&s->lock);
	evald_jail_run(ev, &jail, &job->in, job->client_fd, &res);
	pthread_mutex_lock(&s->lock);
	job->jail_pidfd = -1;
	pthread_mutex_unlock(&s->lock);
	*used = jail;

	if (res.error[0]) {
		if (res.returncode == -400) {
			job_error(job, 400, "files", res.error);
		} else {
			evald_log("evaluation failed: %s", res.error);
			job_error(job, 500, NULL, res.error);
		}
	} else {
		job->cancelled = res.cancelled;
		snprintf(job->reason, sizeof(job->reason), "%s", res.reason);
		job->answer = answer_json(&res, &job->answer_len);
		job->status = job->answer ? 200 : 500;
		evald_metrics_evaluation(res.reason, (evald_now_ms() - job->enqueued_ms) / 1e3,
					 res.truncated);
	}
	evald_result_free(&res);
}

static void finish_job(struct evald_server *s, struct job *job)
{
	double took = evald_now_ms() - job->enqueued_ms;

	pthread_mutex_lock(&s->lock);
	job->state = JOB_DONE;
	s->suspended--;
	/* A moving average, for Retry-After. */
	s->avg_eval_ms = s->avg_eval_ms ? s->avg_eval_ms * 0.9 + took * 0.1 : took;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	if (job->cancelled)
		evald_metrics_cancelled();
	/* MHD calls the handler again, which sends the answer (or finds the client gone). */
	MHD_resume_connection(job->conn);
}

static void *worker(void *arg)
{
	struct evald_server *s = arg;

	for (;;) {
		struct evald_jail used = { .pid = -1 };
		struct job *job;

		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->work, &s->lock);
		if (!s->head) {
			pthread_mutex_unlock(&s->lock);
			return NULL;
		}
		job = s->head;
		s->head = job->next;
		if (!s->head)
			s->tail = NULL;
		job->next = s->running_jobs;
		s->running_jobs = job;
		s->queued--;
		s->running++;
		job->state = JOB_RUNNING;
		evald_metrics_queue(s->queued, s->running);
		pthread_mutex_unlock(&s->lock);

		if (s->stopping) {
			job_error(job, 503, NULL, "the service is shutting down");
		} else if (evald_client_gone(job->client_fd)) {
			/* It left while queued: the job is dropped, not run. */
			job->cancelled = true;
			snprintf(job->reason, sizeof(job->reason), "cancelled");
		} else {
			run_job(s, job, &used);
		}

		pthread_mutex_lock(&s->lock);
		for (struct job **pp = &s->running_jobs; *pp; pp = &(*pp)->next) {
			if (*pp == job) {
				*pp = job->next;
				break;
			}
		}
		job->next = NULL;
		s->running--;
		evald_metrics_queue(s->queued, s->running);
		pthread_mutex_unlock(&s->lock);
		finish_job(s, job);
		/* The answer is on its way: now the clean-up, and the pool's refill. */
		if (used.pid > 0)
			evald_jail_destroy(&used);
		evald_pool_refill(s->pool);
	}
}

/* ---- MHD callbacks ---- */

static enum route route_of(const char *url)
{
	if (strcmp(url, "/eval") == 0)
		return ROUTE_EVAL;
	if (strcmp(url, "/health") == 0)
		return ROUTE_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	return ROUTE_NONE;
}

static enum MHD_Result answer_get(struct evald_server *s, struct MHD_Connection *c,
				  struct req *r)
{
	if (r->route == ROUTE_METRICS) {
		size_t len;
		char *text;
		enum MHD_Result ok;

		evald_metrics_pool_ready(evald_pool_ready(s->pool));
		text = evald_metrics_text(&len);
		if (!text)
			return MHD_NO;
		ok = send_text(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
			       NULL, NULL);
		free(text);
		return ok;
	} else {
		json_t *doc;
		bool draining;

		pthread_mutex_lock(&s->lock);
		draining = s->draining;
		doc = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "status",
				draining ? "draining" : "ok", "workers",
				(json_int_t)s->ev->cfg.server.workers, "running",
				(json_int_t)s->running, "queued", (json_int_t)s->queued,
				"queue_limit", (json_int_t)s->ev->cfg.server.queue, "pool_size",
				(json_int_t)s->ev->cfg.eval.pool, "pool_ready",
				(json_int_t)evald_pool_ready(s->pool));
		pthread_mutex_unlock(&s->lock);
		return send_json(c, r, draining ? 503 : 200, doc, NULL, NULL);
	}
}

/* The body is whole: validate it and queue the job (or answer now). */
static enum MHD_Result submit(struct evald_server *s, struct MHD_Connection *c, struct req *r)
{
	struct evald_request_error perr;
	const union MHD_ConnectionInfo *ci;
	struct job *job;
	char retry[16];

	if (r->too_big) {
		snprintf(retry, sizeof(retry), "%llu",
			 (unsigned long long)s->ev->cfg.server.max_body_bytes);
		return send_error(c, r, 413, "", "request body too large", "X-Max-Body-Bytes",
				  retry);
	}
	if (r->too_busy)
		return send_error(c, r, 503, "", "too many request bodies being received; retry later",
				  MHD_HTTP_HEADER_RETRY_AFTER, "1");
	job = calloc(1, sizeof(*job));
	if (!job)
		return MHD_NO;
	if (evald_request_parse(r->body ? r->body : "", r->body_len, &s->limits, &job->in, &perr) <
	    0) {
		free(job);
		drop_body(s, r);
		return send_error(c, r, 400, perr.field, perr.message, NULL, NULL);
	}
	drop_body(s, r);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	job->client_fd = ci ? ci->connect_fd : -1;
	job->conn = c;
	job->jail_pidfd = -1;
	job->enqueued_ms = r->start_ms;

	pthread_mutex_lock(&s->lock);
	if (s->draining || s->queued >= s->ev->cfg.server.queue + (s->running < s->ev->cfg.server.workers ? s->ev->cfg.server.workers - s->running : 0)) {
		/* Full: say when a slot is likely free (the queue ahead, over the workers). */
		double wait_ms = (s->avg_eval_ms ? s->avg_eval_ms : 100) * (s->queued + 1) /
				 s->ev->cfg.server.workers;
		bool draining = s->draining;

		pthread_mutex_unlock(&s->lock);
		evald_request_free(&job->in);
		free(job);
		snprintf(retry, sizeof(retry), "%.0f", wait_ms / 1e3 < 1 ? 1 : wait_ms / 1e3 + 0.5);
		return send_error(c, r, 503, "",
				  draining ? "the service is shutting down" :
					     "too many evaluations queued; retry later",
				  MHD_HTTP_HEADER_RETRY_AFTER, retry);
	}
	if (s->tail)
		s->tail->next = job;
	else
		s->head = job;
	s->tail = job;
	s->queued++;
	s->suspended++;
	r->job = job;
	evald_metrics_queue(s->queued, s->running);
	/* Suspend before a worker can resume it: the lock orders the two. */
	MHD_suspend_connection(c);
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct evald_server *s = cls;
	struct req *r = *req_cls;
	bool is_get, is_post;

	if (!r) {
		const char *cl;

		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*req_cls = r;
		r->start_ms = evald_now_ms();
		snprintf(r->method, sizeof(r->method), "%s", method);
		snprintf(r->path, sizeof(r->path), "%s", url);
		r->route = route_of(url);
		pthread_mutex_lock(&s->lock);
		s->open_requests++;
		pthread_mutex_unlock(&s->lock);
		is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
		is_post = strcmp(method, "POST") == 0;
		if (r->route == ROUTE_NONE)
			return send_error(c, r, 404, "", "no such path (try POST /eval, GET /health or GET /metrics)", NULL, NULL);
		if (r->route == ROUTE_EVAL && !is_post)
			return send_error(c, r, 405, "", "POST /eval only", MHD_HTTP_HEADER_ALLOW,
					  "POST");
		if (r->route != ROUTE_EVAL && !is_get)
			return send_error(c, r, 405, "", "GET only", MHD_HTTP_HEADER_ALLOW,
					  "GET, HEAD");
		if (r->route != ROUTE_EVAL)
			return answer_get(s, c, r);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->ev->cfg.server.max_body_bytes) {
			/* Before "100 Continue": the client need not send it at all. */
			r->too_big = true;
			return submit(s, c, r);
		}
		return MHD_YES;
	}

	if (r->answered)
		return MHD_YES;
	if (r->job) {
		/* Resumed: the worker is done with the job. */
		struct job *job = r->job;

		snprintf(r->reason, sizeof(r->reason), "%s", job->reason);
		if (job->cancelled && !job->answer)
			return MHD_NO; /* nobody to answer */
		if (!job->answer)
			return send_error(c, r, 500, "", "internal error", NULL, NULL);
		return send_text(c, r, job->status, "application/json", job->answer,
				 job->answer_len, NULL, NULL);
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (evald_now_ms() - r->start_ms > s->ev->cfg.server.request_timeout_s * 1e3) {
			evald_log("%s %s: body not received within %u s", r->method, r->path,
				  s->ev->cfg.server.request_timeout_s);
			if (send_error(c, r, 408, "", "request body too slow", NULL, NULL) != MHD_YES)
				return MHD_NO;
			return MHD_YES;
		}
		if (r->too_big || r->too_busy || r->body_len + n > s->ev->cfg.server.max_body_bytes) {
			if (!r->too_busy)
				r->too_big = true;
			drop_body(s, r);
			return MHD_YES;
		}
		/* All bodies being received share one budget: many large uploads at once get 503. */
		pthread_mutex_lock(&s->lock);
		if (s->buffered + n > s->ev->cfg.server.max_buffered_bytes) {
			pthread_mutex_unlock(&s->lock);
			r->too_busy = true;
			drop_body(s, r);
			return MHD_YES;
		}
		s->buffered += n;
		r->counted += n;
		pthread_mutex_unlock(&s->lock);
		if (r->body_len + n + 1 > r->body_cap) {
			size_t cap = (r->body_len + n + 1) * 2;
			char *g;

			if (cap > s->ev->cfg.server.max_body_bytes + 1)
				cap = s->ev->cfg.server.max_body_bytes + 1;
			g = realloc(r->body, cap);
			if (!g)
				return MHD_NO;
			r->body = g;
			r->body_cap = cap;
		}
		memcpy(r->body + r->body_len, upload, n);
		r->body_len += n;
		return MHD_YES;
	}
	return submit(s, c, r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct evald_server *s = cls;
	struct req *r = *req_cls;

	if (!r)
		return;
	if (!r->answered && r->job && r->job->cancelled)
		snprintf(r->reason, sizeof(r->reason), "cancelled");
	evald_log("%s %s %u %s %.1fms%s", r->method, r->path, r->answered ? r->status : 0,
		  r->reason[0] ? r->reason : "-", evald_now_ms() - r->start_ms,
		  why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
		  why == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" :
		  why == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client gone)" :
							       " (connection closed)");
	if (r->answered)
		evald_metrics_request(r->status);
	if (r->job) {
		evald_request_free(&r->job->in);
		free(r->job->answer);
		free(r->job);
	}
	drop_body(s, r);
	free(r);
	*req_cls = NULL;
	pthread_mutex_lock(&s->lock);
	s->open_requests--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	evald_log("http: %s", buf);
}

struct evald_server *evald_server_start(const struct evald *ev, struct evald_pool *pool,
					int listen_fd)
{
	struct evald_server *s = calloc(1, sizeof(*s));
	unsigned i;

	if (!s)
		return NULL;
	s->ev = ev;
	s->pool = pool;
	s->limits.max_args = ev->cfg.eval.max_args;
	s->limits.max_files = ev->cfg.eval.max_files;
	s->limits.max_path_bytes = 1024;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->idle, NULL);
	s->workers = calloc(ev->cfg.server.workers, sizeof(*s->workers));
	if (!s->workers)
		return NULL;
	for (i = 0; i < ev->cfg.server.workers; i++)
		if (pthread_create(&s->workers[i], NULL, worker, s) != 0)
			return NULL;
	s->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, listen_fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)ev->cfg.server.max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)ev->cfg.server.connection_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
	if (!s->mhd)
		return NULL;
	return s;
}

void evald_server_drain(struct evald_server *s, unsigned timeout_s)
{
	struct timespec until;
	MHD_socket lfd;
	struct job *job;

	pthread_mutex_lock(&s->lock);
	s->draining = true;
	pthread_mutex_unlock(&s->lock);
	/* Stop accepting: the listening socket is ours again (MHD_quiesce_daemon(3)). */
	lfd = MHD_quiesce_daemon(s->mhd);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	pthread_mutex_lock(&s->lock);
	while ((s->queued || s->running) &&
	       pthread_cond_timedwait(&s->idle, &s->lock, &until) != ETIMEDOUT)
		;
	if (s->queued || s->running)
		evald_log("drain: %u queued and %u running after %u s: ending them", s->queued,
			  s->running, timeout_s);
	/* Whatever is left: queued jobs get 503 (the workers see stopping), running jails end. */
	s->stopping = true;
	pthread_cond_broadcast(&s->work);
	while (s->queued || s->running) {
		struct timespec soon;

		for (job = s->running_jobs; job; job = job->next)
			if (job->jail_pidfd >= 0)
				syscall(SYS_pidfd_send_signal, job->jail_pidfd, SIGTERM, NULL, 0);
		clock_gettime(CLOCK_REALTIME, &soon);
		soon.tv_sec += 1;
		pthread_cond_timedwait(&s->idle, &s->lock, &soon);
	}
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->ev->cfg.server.workers; i++)
		pthread_join(s->workers[i], NULL);

	/* Let the last answers go out (bounded), then stop MHD. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&s->lock);
	while ((s->suspended || s->open_requests) &&
	       pthread_cond_timedwait(&s->idle, &s->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&s->lock);
	MHD_stop_daemon(s->mhd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->idle);
	free(s->workers);
	free(s);
}
