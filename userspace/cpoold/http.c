// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cpoold's /metrics over HTTP (libmicrohttpd), in the Prometheus text
 * format or in OpenMetrics when the scraper's Accept asks for it.
 *
 * A scrape never blocks the scheduler: libmicrohttpd serves from its own
 * thread, and that thread reads nothing of the daemon's state.  Once a
 * second the event loop renders both documents (metrics.c) and publishes
 * them here by swapping two pointers under a mutex; a scrape copies the
 * document under the same mutex.  The loop holds the lock for a pointer
 * swap, a scrape for one memcpy of a few tens of kB: no client, however
 * slow, can hold it longer (the copy is sent after the unlock).  Idle or
 * stalled connections are closed after 10 s and at most 16 are open.
 */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cpoold.h"
#include "cpool/promtext.h"

struct http_doc {
	char *text;
	size_t len;
};

struct http_server {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	struct http_doc doc[2]; /* [0] text 0.0.4, [1] OpenMetrics */
};

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

int http_start(struct cpoold *d, const char *listen)
{
	struct sockaddr_storage addr;
	struct http_server *h;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (!listen || !*listen)
		return 0; /* [metrics] listen = off */
	if (cpool_listen_parse(listen, &addr))
		return -EINVAL; /* the config parser checked it */
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT, 16u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!h->mhd) {
		int err = errno ? -errno : -EADDRINUSE;

		log_err("metrics endpoint: listen on %s: %s", listen, strerror(-err));
		pthread_mutex_destroy(&h->lock);
		free(h);
		return err;
	}
	d->http = h;
	log_info("metrics endpoint: http://%s/metrics", listen);
	return 0;
}

void http_publish(struct cpoold *d, char *text, size_t text_len, char *om, size_t om_len)
{
	struct http_server *h = d->http;
	struct http_doc old[2];

	if (!h) {
		free(text);
		free(om);
		return;
	}
	pthread_mutex_lock(&h->lock);
	memcpy(old, h->doc, sizeof(old));
	h->doc[0] = (struct http_doc){ text, text_len };
	h->doc[1] = (struct http_doc){ om, om_len };
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
	free(h->doc[0].text);
	free(h->doc[1].text);
	pthread_mutex_destroy(&h->lock);
	free(h);
	d->http = NULL;
}
