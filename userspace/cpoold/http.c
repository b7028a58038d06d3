// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's /metrics over HTTP (libmicrohttpd), in the Prometheus text
 * format or in OpenMetrics when the scraper's Accept asks for it.
 *
 * A scrape never blocks the scheduler: libmicrohttpd serves from its own
 * thread, and that thread reads nothing of the daemon's state.  The event
 * loop renders both documents (metrics.c) and publishes them here by
 * swapping two pointers under a mutex; a scrape copies the document under
 * the same mutex.  The loop holds the lock for a pointer swap, a scrape
 * for one memcpy of a few tens of kB: no client, however slow, can hold it
 * longer (the copy is sent after the unlock).  Idle or stalled connections
 * are closed after 10 s and at most 16 are open.
 *
 * The documents are rendered when a scrape wants them, not every second
 * for nobody: a scrape that finds them older than FRESH_NS pokes the loop
 * through an eventfd and waits at most WAIT_NS for the new ones (a
 * stalled loop gets the scrape the last documents, as before).
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cpoold.h"
#include "cpool/promtext.h"

struct http_doc {
	char *text;
	size_t len;
};

/* Documents this young are served as they are; older ones are rendered again first. */
#define FRESH_NS 500000000ULL
#define WAIT_NS 1000000000ULL

struct http_server {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	pthread_cond_t published; /* signalled with every publication, even an empty one */
	struct http_doc doc[2]; /* [0] text 0.0.4, [1] OpenMetrics */
	uint64_t generation, published_ns;
	int wake_fd; /* eventfd: a scrape wants fresh documents */
	struct cpool_evsource *wake_src;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Under h->lock: asks the loop for new documents and waits for them, a bounded time. */
static void wait_fresh(struct http_server *h)
{
	uint64_t gen = h->generation, one = 1;
	struct timespec until;

	if (h->doc[0].text && mono_ns() - h->published_ns < FRESH_NS)
		return;
	if (write(h->wake_fd, &one, sizeof(one)) != sizeof(one))
		return; /* the counter is full: a wake-up is pending anyway */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(WAIT_NS / 1000000000ULL);
	while (h->generation == gen &&
	       pthread_cond_timedwait(&h->published, &h->lock, &until) != ETIMEDOUT)
		;
}

/* @body is malloc'd and becomes the response's, or static when @persistent. */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     char *body, size_t len, bool persistent)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, body, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		if (!persistent)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_static(struct MHD_Connection *conn, unsigned int status,
				    const char *msg)
{
	return reply(conn, status, "text/plain", (char *)msg, strlen(msg), true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct http_server *h = cls;
	const char *accept;
	struct http_doc *doc;
	bool om;
	char *copy;
	size_t len;

	(void)version;
	(void)upload;
	if (!*state) {
		/* The first call is for the headers only; answer on the second. */
		*state = h;
		return MHD_YES;
	}
	if (*upload_len)
		return MHD_NO; /* a body on a scrape: drop the connection */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, "/metrics") != 0)
		return reply_static(conn, MHD_HTTP_NOT_FOUND, "see /metrics\n");
	accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	om = cpool_prom_accepts_openmetrics(accept);
	pthread_mutex_lock(&h->lock);
	wait_fresh(h);
	doc = &h->doc[om];
	len = doc->len;
	copy = doc->text ? malloc(len ? len : 1) : NULL;
	if (copy && len)
		memcpy(copy, doc->text, len);
	pthread_mutex_unlock(&h->lock);
	if (!copy)
		return reply_static(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no measurement yet\n");
	return reply(conn, MHD_HTTP_OK, cpool_prom_content_type(om), copy, len, false);
}

static void on_scrape_wake(struct cpool_evsource *src, uint32_t events, void *data)
{
	struct cpoold *d = data;
	uint64_t n;

	(void)events;
	if (read(cpool_evsource_fd(src), &n, sizeof(n)) != sizeof(n))
		return;
	metrics_publish(d);
}

static void http_free(struct http_server *h)
{
	if (h->wake_src)
		cpool_evloop_remove(h->wake_src);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	free(h->doc[0].text);
	free(h->doc[1].text);
	pthread_cond_destroy(&h->published);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int http_start(struct cpoold *d, const char *listen)
{
	struct sockaddr_storage addr;
	struct http_server *h;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	pthread_condattr_t ca;
	int r = 0;

	if (!listen || !*listen)
		return 0; /* [metrics] listen = off */
	if (cpool_listen_parse(listen, &addr))
		return -EINVAL; /* the config parser checked it */
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->published, &ca);
	pthread_condattr_destroy(&ca);
	h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->wake_fd < 0 ||
	    (r = cpool_evloop_add(d->loop, h->wake_fd, EPOLLIN, on_scrape_wake, d, &h->wake_src))) {
		r = h->wake_fd < 0 ? -errno : r;
		log_err("metrics endpoint: its wake-up eventfd: %s", strerror(-r));
		http_free(h);
		return r;
	}
	cpool_evsource_set_name(h->wake_src, "metrics scrape");
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!h->mhd) {
		int err = errno ? -errno : -EADDRINUSE;

		log_err("metrics endpoint: listen on %s: %s", listen, strerror(-err));
		http_free(h);
		return err;
	}
	d->http = h;
	log_info("metrics endpoint: http://%s/metrics", listen);
	return 0;
}

void http_publish(struct cpoold *d, char *text, size_t text_len, char *om, size_t om_len)
{
	struct http_server *h = d->http;
	struct http_doc old[2] = { 0 };

	if (!h) {
		free(text);
		free(om);
		return;
	}
	pthread_mutex_lock(&h->lock);
	/* NULL: nothing measured yet; the waiting scrapes are answered so. */
	if (text && om) {
		memcpy(old, h->doc, sizeof(old));
		h->doc[0] = (struct http_doc){ text, text_len };
		h->doc[1] = (struct http_doc){ om, om_len };
		h->published_ns = mono_ns();
	}
	h->generation++;
	pthread_cond_broadcast(&h->published);
	pthread_mutex_unlock(&h->lock);
	free(old[0].text);
	free(old[1].text);
}

void http_stop(struct cpoold *d)
{
	struct http_server *h = d->http;

	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	http_free(h);
	d->http = NULL;
}
