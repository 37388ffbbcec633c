/*
 * metrics: counters and gauges for GET /metrics, in Prometheus' text
 * exposition format (version 0.0.4). Thread-safe; each update is a few
 * instructions under one mutex.
 */
#ifndef EVALD_METRICS_H
#define EVALD_METRICS_H

#include <stddef.h>

void evald_metrics_request(unsigned status);	       /* every HTTP answer */
void evald_metrics_evaluation(const char *reason, double seconds, int truncated);
void evald_metrics_queue(unsigned depth, unsigned running);
void evald_metrics_pool_ready(unsigned ready);
void evald_metrics_pool_size(unsigned size);
void evald_metrics_cancelled(void);
void evald_metrics_jail_start_failed(void);

/* The whole exposition, malloc'd, NUL-terminated. */
char *evald_metrics_text(size_t *len);

#endif
