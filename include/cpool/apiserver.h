/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * cpoold's API socket: a Unix stream socket speaking newline-delimited JSON
 * (include/cpool/protocol.h).  It frames lines, enforces size, rate and
 * connection limits, learns the caller's identity from SO_PEERCRED, and
 * hands each parsed request to the daemon's handler.
 */
#ifndef CPOOL_APISERVER_H
#define CPOOL_APISERVER_H

#include <jansson.h>
#include <sys/types.h>

#include "cpool/evloop.h"
#include "cpool/protocol.h"
#include "cpool/error.h"

struct cpool_apiserver;
struct cpool_client;

struct cpool_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * Returns the reply to send now (stolen), or NULL when the handler will
 * answer later with cpool_client_send() (e.g. "wait" until a job ends).
 */
typedef json_t *(*cpool_api_handler)(struct cpool_client *client, const struct cpool_peer *peer,
				     const struct cpool_request *req, void *data);
/* The client is going away: forget every pointer to it. */
typedef void (*cpool_api_close_fn)(struct cpool_client *client, void *data);

struct cpool_apiserver_opts {
	const char *path;
	mode_t mode; /* of the socket file, e.g. 0660 */
	gid_t gid; /* (gid_t)-1: leave the group alone */
	int max_clients; /* 0 = 256 */
	int root_clients; /* of max_clients, kept for uid 0 */
	int max_clients_per_uid; /* 0 = no limit of its own */
	double idle_timeout; /* seconds; a client silent this long is closed; 0 = never */
	double rate; /* requests per second per client; 0 = 200 */
	double burst; /* 0 = 1000 */
	size_t max_output; /* bytes queued for a slow reader; 0 = 16 MiB */
	cpool_api_handler handler;
	cpool_api_close_fn on_close;
	void *data;
};

/*
 * Creates the socket (and its directory).  A stale socket file left by a
 * dead daemon is replaced; a live one is -EADDRINUSE.  @e says what failed.
 */
int cpool_apiserver_open(struct cpool_evloop *loop, const struct cpool_apiserver_opts *opts,
			 struct cpool_apiserver **out, struct cpool_error *e);
/* Closes every client (calling on_close) and removes the socket file. */
void cpool_apiserver_close(struct cpool_apiserver *srv);

/*
 * Queues @msg (stolen) for the client; -EPIPE when it is gone or too slow.
 * A handler that answered NULL (a reply owed later) pays the debt with its
 * next cpool_client_send() outside the handler: until then the client is
 * not idle, whatever the timeout.
 */
int cpool_client_send(struct cpool_client *client, json_t *msg);

/*
 * From a handler: takes the descriptors that came with the request (its
 * line's bytes), at most @max, into @fds; returns how many (0: none), or
 * -EINVAL outside a handler or when more than @max came.  What the handler
 * does not take is closed after it returns.
 */
int cpool_client_take_fds(struct cpool_client *client, int *fds, int max);

/*
 * A reply too long to build in one go (ps over thousands of jobs): the
 * handler registers it with cpool_client_stream() and returns NULL, and
 * the server asks @next for one part at a time, each once the part before
 * has left for the socket, at most one part a loop iteration.  The loop so
 * answers everyone else between the parts, and a client that does not
 * read holds one part in memory, not its whole reply.
 *
 * @next stores a malloc'd part in *@part (@len bytes; NULL and 0 for none
 * this time) and returns 1 while more follows, 0 when the reply is
 * complete, or a negative errno: the connection is then closed, as the
 * line it was sending cannot be finished.  The parts make one line: its
 * newline comes last.  Until it does, the client's next requests wait, and
 * what cpool_client_send() queues for it (a wait's answer) follows the
 * line.  @release frees @ctx when the reply is complete or the client
 * gone.  -EBUSY when a reply is already streaming to the client.
 */
typedef int (*cpool_client_stream_fn)(void *ctx, char **part, size_t *len);
int cpool_client_stream(struct cpool_client *client, cpool_client_stream_fn next,
			void (*release)(void *ctx), void *ctx);
/*
 * @next may also return this: it waits for something else (what ps shows
 * of the simulator); nothing is asked of it until cpool_client_stream_resume().
 */
#define CPOOL_CLIENT_STREAM_PAUSE 2
void cpool_client_stream_resume(struct cpool_client *client);
int cpool_apiserver_client_count(const struct cpool_apiserver *srv);

#endif /* CPOOL_APISERVER_H */
