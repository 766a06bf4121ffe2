/*
 * storage/writer_test.c — group commit (writer.c) and the nesting
 * store_tx_* helpers, against ":memory:" and against a file with
 * synchronous=FULL in a fresh mkdtemp directory under /tmp.
 *
 * Batches are made deterministic without sleeps by a gate: the writer is
 * paused (store_writer_pause) until the test opens it, so every write
 * submitted meanwhile waits in the queue and forms the next batch. With
 * synchronous=FULL a done that blocks holds the syncer instead.
 * It includes store_internal.h for the nesting helpers and to watch the
 * writer's stop flag. Code that runs on the writer thread (fn, done) does
 * not use cmocka's asserts, which must run on the test's thread: it
 * reports through its status or through fields the test checks later.
 *
 * The 8 x 500 tests print writes/s and the number of commits; they assert
 * no timing.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* cmocka.h needs stdarg.h, stddef.h and setjmp.h before it. */
#include <cmocka.h>

#include "common/arena.h"
#include "common/err.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/test_fixture.h"

#define LOAD_THREADS 8
#define LOAD_WRITES  500
#define BATCH_MAX    512 /* STORE_WRITE_BATCH_MAX in writer.c */

/* A migrated store with synchronous=FULL; busy_ms 0 = the default. */
static struct store *
open_store(const char *path, int busy_ms)
{
	struct store_options opts = {.synchronous_full = true, .busy_timeout_ms = busy_ms};
	struct store *s = NULL;
	struct err err = {0};

	assert_int_equal(store_open(path, &opts, &s, &err), ST_OK);
	assert_int_equal(store_migrate(s, NULL, &err), ST_OK);
	return s;
}

static void
start_writer(struct store *s)
{
	struct err err = {0};

	assert_int_equal(store_writer_start(s, &err), ST_OK);
}

static bool
has_client(struct store *s, const char *id)
{
	struct arena *a = arena_new();
	struct store_client c;
	struct err err = {0};
	enum status st;

	st = store_client_get(s, id, a, &c, &err);
	arena_free(a);
	assert_true(st == ST_OK || st == ST_NOT_FOUND);
	return st == ST_OK;
}

static int64_t
client_count(struct store *s)
{
	struct err err = {0};
	int64_t n = -1;

	assert_int_equal(store_client_count(s, &n, &err), ST_OK);
	return n;
}

static uint64_t
batches_now(struct store *s)
{
	uint64_t batches = 0;

	store_writer_stats(s, NULL, &batches);
	return batches;
}

/* ---- write functions ---- */

/* In a write fn: a failed check becomes the write's status. */
#define FN_CHECK(err, cond)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return ERR_SET((err), ST_IO, "check failed: %s", #cond);                   \
	} while (0)

/* What insert_client_fn inserts, and whether it then fails on purpose. */
struct insert_arg {
	char id[32];
	bool fail_after_insert;
};

static enum status
insert_client_fn(struct store *s, void *arg, struct err *err)
{
	const struct insert_arg *a = arg;
	struct store_client c = {.id = a->id, .metadata = "{}", .created_at = 1, .updated_at = 1};
	enum status st;

	st = store_client_insert(s, &c, err);
	if (st != ST_OK)
		return st;
	if (a->fail_after_insert)
		return ERR_SET(err, ST_INVALID, "refused %s after inserting it", a->id);
	return ST_OK;
}

static enum status
sync_insert(struct store *s, const char *id, bool fail_after_insert, struct err *err)
{
	struct insert_arg a = {.fail_after_insert = fail_after_insert};

	snprintf(a.id, sizeof a.id, "%s", id);
	return store_write_sync(s, insert_client_fn, &a, err);
}

/* ---- the gate: holds the writer thread in a done callback ---- */

/*
 * Holds the writer between batches (store_writer_pause), so the writes
 * submitted meanwhile queue up and form one batch once the gate opens.
 */
struct gate {
	struct store *s;
	bool is_open;
};

/* Returns once the writer thread is between batches and takes no new one. */
static void
gate_hold(struct store *s, struct gate *g)
{
	g->s = s;
	g->is_open = false;
	store_writer_pause(s);
}

static void
gate_open(struct gate *g)
{
	if (!g->is_open)
		store_writer_resume(g->s);
	g->is_open = true;
}

/* Kept for symmetry with gate_hold; nothing to free. */
static void
gate_destroy(struct gate *g)
{
	(void)g;
}

/* ---- tracked asynchronous writes ---- */

struct tracker;

struct tracked_write {
	struct store_write w;
	struct insert_arg arg;
	struct tracker *t;
	size_t index;
	/* written by done, read after tracker_wait */
	unsigned calls;
	enum status st;
	struct err err;
	bool was_visible; /* file stores: its row was readable by another connection */
};

struct tracker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const char *check_path; /* non-NULL: done checks the row from a fresh connection */
	size_t n, calls;
	size_t *order; /* index of each done call, in call order */
	struct tracked_write *writes;
};

/*
 * Whether a separate connection to path sees id in clients: committed.
 * false on any error too (it runs on the writer thread: no asserts).
 */
static bool
is_committed(const char *path, const char *id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	bool found = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT 1 FROM clients WHERE id = ?1", -1, &stmt, NULL) ==
	            SQLITE_OK &&
	    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC) == SQLITE_OK)
		found = sqlite3_step(stmt) == SQLITE_ROW;
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return found;
}

static void
tracked_done(void *cls, enum status st, const struct err *err)
{
	struct tracked_write *tw = cls;
	struct tracker *t = tw->t;
	bool was_visible = false;

	if (t->check_path != NULL && st == ST_OK)
		was_visible = is_committed(t->check_path, tw->arg.id);
	pthread_mutex_lock(&t->lock);
	tw->calls++;
	tw->st = st;
	tw->err = *err;
	tw->was_visible = was_visible;
	if (t->calls < t->n)
		t->order[t->calls] = tw->index;
	t->calls++;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* n writes inserting "<prefix>-<i>"; none submitted yet. */
static void
tracker_init(struct tracker *t, size_t n, const char *prefix, const char *check_path)
{
	size_t i;

	*t = (struct tracker){.n = n, .check_path = check_path};
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	t->order = calloc(n, sizeof *t->order);
	t->writes = calloc(n, sizeof *t->writes);
	assert_non_null(t->order);
	assert_non_null(t->writes);
	for (i = 0; i < n; i++) {
		struct tracked_write *tw = &t->writes[i];

		snprintf(tw->arg.id, sizeof tw->arg.id, "%s-%zu", prefix, i);
		tw->t = t;
		tw->index = i;
		tw->w = (struct store_write){.fn = insert_client_fn,
		                             .arg = &tw->arg,
		                             .done = tracked_done,
		                             .done_cls = tw};
	}
}

static void
tracker_submit_all(struct store *s, struct tracker *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		store_write_submit(s, &t->writes[i].w);
}

static void
tracker_wait(struct tracker *t)
{
	pthread_mutex_lock(&t->lock);
	while (t->calls < t->n)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

/* Every done ran exactly once, in submission order. */
static void
tracker_assert_once_in_order(struct tracker *t)
{
	size_t i;

	pthread_mutex_lock(&t->lock);
	assert_int_equal(t->calls, t->n);
	for (i = 0; i < t->n; i++) {
		assert_int_equal(t->writes[i].calls, 1);
		assert_int_equal(t->order[i], i);
	}
	pthread_mutex_unlock(&t->lock);
}

static void
tracker_destroy(struct tracker *t)
{
	free(t->order);
	free(t->writes);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
}

/* ---- round trip ---- */

static void
check_round_trip(const char *path)
{
	struct store *s = open_store(path, 0);
	struct err err = {0};
	uint64_t writes = 99, batches = 99;

	store_writer_stats(s, &writes, &batches);
	assert_int_equal(writes, 0);
	assert_int_equal(batches, 0);
	start_writer(s);
	assert_int_equal(sync_insert(s, "c1", false, &err), ST_OK);
	assert_true(has_client(s, "c1"));
	/* fn's own failure comes back with fn's words. */
	assert_int_equal(sync_insert(s, "c1", false, &err), ST_CONFLICT);
	assert_int_equal(err.st, ST_CONFLICT);
	assert_non_null(strstr(err.msg, "c1 already exists"));
	store_writer_stats(s, &writes, &batches);
	assert_int_equal(writes, 2);
	assert_int_equal(batches, 2);
	store_writer_stop(s);
	assert_int_equal(client_count(s), 1);
	store_close(s);
}

static void
test_write_sync_round_trip_through_writer_memory(void **state)
{
	(void)state;
	check_round_trip(":memory:");
}

static void
test_write_sync_round_trip_through_writer_file(void **state)
{
	struct tmpdb *f = *state;

	check_round_trip(f->path);
}

/* ---- one batch, one failing write ---- */

/*
 * Submits every write of t while the writer is held, so that they form one
 * batch, and waits for them: each done ran once, in submission order, and
 * one COMMIT was run for them all.
 */
static void
tracker_run_as_one_batch(struct store *s, struct tracker *t)
{
	struct gate g;
	uint64_t before;

	gate_hold(s, &g);
	before = batches_now(s);
	tracker_submit_all(s, t);
	gate_open(&g);
	tracker_wait(t);
	tracker_assert_once_in_order(t);
	assert_int_equal(batches_now(s), before + 1);
	gate_destroy(&g);
}

static void
check_failing_write_rolls_back_only_itself(const char *path)
{
	struct store *s = open_store(path, 0);
	struct tracker t;

	start_writer(s);
	tracker_init(&t, 4, "w", NULL);
	snprintf(t.writes[3].arg.id, sizeof t.writes[3].arg.id, "w-0"); /* a conflict */
	t.writes[1].arg.fail_after_insert = true;
	tracker_run_as_one_batch(s, &t);

	assert_int_equal(t.writes[0].st, ST_OK);
	assert_int_equal(t.writes[1].st, ST_INVALID);
	assert_int_equal(t.writes[1].err.st, ST_INVALID);
	assert_string_equal(t.writes[1].err.msg, "refused w-1 after inserting it");
	assert_int_equal(t.writes[2].st, ST_OK);
	assert_int_equal(t.writes[3].st, ST_CONFLICT);
	assert_true(has_client(s, "w-0"));
	assert_false(has_client(s, "w-1"));
	assert_true(has_client(s, "w-2"));
	assert_int_equal(client_count(s), 2);
	store_writer_stop(s);
	tracker_destroy(&t);
	store_close(s);
}

static void
test_failing_write_rolls_back_only_itself_in_its_batch_memory(void **state)
{
	(void)state;
	check_failing_write_rolls_back_only_itself(":memory:");
}

static void
test_failing_write_rolls_back_only_itself_in_its_batch_file(void **state)
{
	struct tmpdb *f = *state;

	check_failing_write_rolls_back_only_itself(f->path);
}

/*
 * Writes of one statement (is_one_statement): the one whose INSERT conflicts
 * fails alone, the others of its batch commit. SQLite runs them without a
 * savepoint; PostgreSQL, where a failed statement aborts the transaction,
 * must keep the savepoints (OIDCD_TEST_PG_URL runs that case too).
 */
static void
check_failing_one_statement_write_leaves_its_batch_whole(const char *path)
{
	struct store *s = open_store(path, 0);
	struct tracker t;
	size_t i;

	start_writer(s);
	tracker_init(&t, 4, "w", NULL);
	snprintf(t.writes[2].arg.id, sizeof t.writes[2].arg.id, "w-0"); /* a conflict */
	for (i = 0; i < 4; i++)
		t.writes[i].w.is_one_statement = true;
	tracker_run_as_one_batch(s, &t);

	assert_int_equal(t.writes[0].st, ST_OK);
	assert_int_equal(t.writes[1].st, ST_OK);
	assert_int_equal(t.writes[2].st, ST_CONFLICT);
	assert_int_equal(t.writes[3].st, ST_OK);
	assert_true(has_client(s, "w-0"));
	assert_true(has_client(s, "w-1"));
	assert_true(has_client(s, "w-3"));
	assert_int_equal(client_count(s), 3);
	store_writer_stop(s);
	tracker_destroy(&t);
	store_close(s);
}

static void
test_failing_one_statement_write_leaves_its_batch_whole(void **state)
{
	struct tmpdb *f = *state;

	check_failing_one_statement_write_leaves_its_batch_whole(f->path);
}

static void
test_failing_one_statement_write_leaves_its_batch_whole_pg(void **state)
{
	const char *url = fixture_pg_url();

	(void)state;
	if (url == NULL)
		skip();
	check_failing_one_statement_write_leaves_its_batch_whole(url);
}

/* ---- done: once, in order, after the commit ---- */

static void
test_done_runs_once_per_write_in_order_after_commit(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct tracker t;
	size_t i;

	start_writer(s);
	tracker_init(&t, 20, "d", f->path);
	tracker_run_as_one_batch(s, &t);
	for (i = 0; i < t.n; i++) {
		assert_int_equal(t.writes[i].st, ST_OK);
		/* Another connection saw the row from inside done: committed. */
		assert_true(t.writes[i].was_visible);
	}
	store_writer_stop(s);
	tracker_destroy(&t);
	store_close(s);
}

static void
test_batch_is_capped_at_512_writes(void **state)
{
	struct store *s = open_store(":memory:", 0);
	struct tracker t;
	struct gate g;
	uint64_t before, writes_before, writes;
	size_t i;

	(void)state;
	start_writer(s);
	tracker_init(&t, BATCH_MAX + 88, "cap", NULL);
	gate_hold(s, &g);
	before = batches_now(s);
	store_writer_stats(s, &writes_before, NULL);
	tracker_submit_all(s, &t);
	gate_open(&g);
	tracker_wait(&t);
	tracker_assert_once_in_order(&t);
	store_writer_stats(s, &writes, NULL);
	assert_int_equal(writes - writes_before, BATCH_MAX + 88);
	assert_int_equal(batches_now(s), before + 2); /* 512, then 88 */
	for (i = 0; i < t.n; i++)
		assert_int_equal(t.writes[i].st, ST_OK);
	assert_int_equal(client_count(s), BATCH_MAX + 88);
	store_writer_stop(s);
	gate_destroy(&g);
	tracker_destroy(&t);
	store_close(s);
}

/* ---- load: 8 threads x 500 synchronous writes ---- */

struct load_job {
	struct store *s;
	pthread_barrier_t *start;
	int index;
	int failures;
};

static void *
load_thread(void *arg)
{
	struct load_job *job = arg;
	struct err err = {0};
	char id[32];
	int i;

	pthread_barrier_wait(job->start);
	for (i = 0; i < LOAD_WRITES; i++) {
		snprintf(id, sizeof id, "t%d-%d", job->index, i);
		if (sync_insert(job->s, id, false, &err) != ST_OK)
			job->failures++;
	}
	return NULL;
}

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Runs the load on s and checks that every row landed; prints the rate. */
static void
run_load(struct store *s, const char *label)
{
	struct load_job jobs[LOAD_THREADS];
	pthread_t tids[LOAD_THREADS];
	pthread_barrier_t start;
	struct timespec t0;
	uint64_t writes0, batches0, writes, batches;
	double secs;
	int i;

	store_writer_stats(s, &writes0, &batches0);
	assert_int_equal(pthread_barrier_init(&start, NULL, LOAD_THREADS + 1), 0);
	for (i = 0; i < LOAD_THREADS; i++) {
		jobs[i] = (struct load_job){.s = s, .start = &start, .index = i};
		assert_int_equal(pthread_create(&tids[i], NULL, load_thread, &jobs[i]), 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_barrier_wait(&start);
	for (i = 0; i < LOAD_THREADS; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	secs = seconds_since(&t0);
	pthread_barrier_destroy(&start);
	store_writer_stats(s, &writes, &batches);
	writes -= writes0;
	batches -= batches0;

	for (i = 0; i < LOAD_THREADS; i++)
		assert_int_equal(jobs[i].failures, 0);
	assert_int_equal(client_count(s), LOAD_THREADS * LOAD_WRITES);
	printf("# %s: %d writes in %.3f s = %.0f writes/s; writer ran %" PRIu64
	       " writes in %" PRIu64 " commits (%.1f writes per commit)\n",
	       label, LOAD_THREADS * LOAD_WRITES, secs, LOAD_THREADS * LOAD_WRITES / secs, writes,
	       batches, batches > 0 ? (double)writes / (double)batches : 0.0);
	assert_true(batches <= writes);
}

static void
test_threads_8x500_through_writer_all_land_file(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	uint64_t writes = 0;

	start_writer(s);
	run_load(s, "file, synchronous=FULL, writer");
	store_writer_stats(s, &writes, NULL);
	assert_int_equal(writes, LOAD_THREADS * LOAD_WRITES);
	store_close(s); /* stops the writer */
}

static void
test_threads_8x500_inline_all_land_file(void **state)
{
	struct tmpdb *f = *state;
	/* Eight connections queue for the write lock: give them time. */
	struct store *s = open_store(f->path, 60000);
	uint64_t writes = 1;

	run_load(s, "file, synchronous=FULL, inline (one transaction each)");
	store_writer_stats(s, &writes, NULL);
	assert_int_equal(writes, 0);
	store_close(s);
}

static void
test_threads_8x500_through_writer_all_land_memory(void **state)
{
	struct store *s = open_store(":memory:", 0);

	(void)state;
	start_writer(s);
	run_load(s, "memory, writer");
	store_close(s);
}

/* ---- stop and close ---- */

struct inline_probe {
	pthread_t thread;
	int calls;
	enum status st;
};

static void
inline_probe_done(void *cls, enum status st, const struct err *err)
{
	struct inline_probe *p = cls;

	(void)err;
	p->thread = pthread_self();
	p->calls++;
	p->st = st;
}

static void
test_stop_drains_the_queue_then_submit_runs_inline(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct insert_arg after = {.id = "after-stop"};
	struct inline_probe probe = {.calls = 0};
	struct store_write w = {.fn = insert_client_fn,
	                        .arg = &after,
	                        .done = inline_probe_done,
	                        .done_cls = &probe};
	struct tracker t;
	struct gate g;
	size_t i;

	start_writer(s);
	tracker_init(&t, 10, "q", NULL);
	gate_hold(s, &g);
	tracker_submit_all(s, &t);
	store_writer_stop(s); /* the queue still holds all ten: stop drains a paused writer */
	gate_open(&g);        /* un-pause, for the restart below */
	/* No waiting: every done ran before stop returned. */
	tracker_assert_once_in_order(&t);
	for (i = 0; i < t.n; i++)
		assert_int_equal(t.writes[i].st, ST_OK);
	assert_int_equal(client_count(s), 10);

	store_write_submit(s, &w);
	assert_int_equal(probe.calls, 1);
	assert_true(pthread_equal(probe.thread, pthread_self()));
	assert_int_equal(probe.st, ST_OK);
	assert_true(has_client(s, "after-stop"));

	/* A stopped writer can be started again. */
	start_writer(s);
	assert_int_equal(client_count(s), 11);
	assert_int_equal(sync_insert(s, "restarted", false, NULL), ST_OK);
	store_writer_stop(s);
	store_writer_stop(s); /* a no-op */
	gate_destroy(&g);
	tracker_destroy(&t);
	store_close(s);
}

static void
test_close_with_writer_running_drains_it(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct tracker t;
	size_t i;

	start_writer(s);
	tracker_init(&t, 50, "close", NULL);
	tracker_submit_all(s, &t);
	store_close(s); /* no store_writer_stop first */
	tracker_assert_once_in_order(&t);
	for (i = 0; i < t.n; i++)
		assert_int_equal(t.writes[i].st, ST_OK);
	tracker_destroy(&t);

	s = open_store(f->path, 0);
	assert_int_equal(client_count(s), 50);
	store_close(s);
}

static void
test_writer_start_twice_is_invalid(void **state)
{
	struct store *s = open_store(":memory:", 0);
	struct err err = {0};

	(void)state;
	store_writer_stop(s); /* none runs: a no-op */
	start_writer(s);
	assert_int_equal(store_writer_start(s, &err), ST_INVALID);
	assert_non_null(strstr(err.msg, "already runs"));
	assert_int_equal(sync_insert(s, "still-works", false, NULL), ST_OK);
	store_close(s);
}

/* ---- without a writer ---- */

static void
check_submit_without_writer_runs_inline(const char *path)
{
	struct store *s = open_store(path, 0);
	struct insert_arg ok = {.id = "inline-ok"};
	struct insert_arg bad = {.id = "inline-bad", .fail_after_insert = true};
	struct inline_probe p1 = {.calls = 0}, p2 = {.calls = 0};
	struct store_write w1 = {
	        .fn = insert_client_fn, .arg = &ok, .done = inline_probe_done, .done_cls = &p1};
	struct store_write w2 = {
	        .fn = insert_client_fn, .arg = &bad, .done = inline_probe_done, .done_cls = &p2};
	struct err err = {0};
	uint64_t writes = 1, batches = 1;

	store_write_submit(s, &w1);
	assert_int_equal(p1.calls, 1); /* before submit returned */
	assert_true(pthread_equal(p1.thread, pthread_self()));
	assert_int_equal(p1.st, ST_OK);
	assert_true(has_client(s, "inline-ok"));

	store_write_submit(s, &w2);
	assert_int_equal(p2.calls, 1);
	assert_int_equal(p2.st, ST_INVALID);
	assert_false(has_client(s, "inline-bad")); /* its transaction rolled back */

	assert_int_equal(sync_insert(s, "inline-sync", false, &err), ST_OK);
	assert_int_equal(sync_insert(s, "inline-sync", false, &err), ST_CONFLICT);
	assert_int_equal(client_count(s), 2);
	store_writer_stats(s, &writes, &batches);
	assert_int_equal(writes, 0);
	assert_int_equal(batches, 0);
	store_close(s);
}

static void
test_submit_without_writer_runs_inline_memory(void **state)
{
	(void)state;
	check_submit_without_writer_runs_inline(":memory:");
}

static void
test_submit_without_writer_runs_inline_file(void **state)
{
	struct tmpdb *f = *state;

	check_submit_without_writer_runs_inline(f->path);
}

/* ---- nested store_tx_* ---- */

static enum status
insert_id(struct store *s, const char *id, struct err *err)
{
	struct store_client c = {.id = id, .metadata = "{}", .created_at = 1, .updated_at = 1};

	return store_client_insert(s, &c, err);
}

/* Commits n1 and n2 in nested transactions, rolls n3 back in another. */
static enum status
nested_tx_fn(struct store *s, void *arg, struct err *err)
{
	struct conn *c = NULL;
	enum status st;

	(void)arg;
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	FN_CHECK(err, store_tx_begin(c, err) == ST_OK);
	FN_CHECK(err, insert_id(s, "n1", err) == ST_OK);
	FN_CHECK(err, store_tx_begin(c, err) == ST_OK); /* two levels deep */
	FN_CHECK(err, c->tx_depth == 2);
	FN_CHECK(err, insert_id(s, "n2", err) == ST_OK);
	FN_CHECK(err, store_tx_commit(c, err) == ST_OK);
	FN_CHECK(err, store_tx_commit(c, err) == ST_OK);
	FN_CHECK(err, store_tx_begin(c, err) == ST_OK);
	FN_CHECK(err, insert_id(s, "n3", err) == ST_OK);
	store_tx_rollback(c);
	/* Still inside the caller's transaction. */
	FN_CHECK(err, !sqlite3_get_autocommit(c->db));
	FN_CHECK(err, c->tx_depth == 0);
	store_conn_release(s, c);
	return ST_OK;
}

/* Commits m1 in a nested transaction, then fails: the write's own undo takes it. */
static enum status
nested_then_fail_fn(struct store *s, void *arg, struct err *err)
{
	struct conn *c = NULL;
	enum status st;

	(void)arg;
	st = store_conn_acquire(s, &c, err);
	if (st != ST_OK)
		return st;
	FN_CHECK(err, store_tx_begin(c, err) == ST_OK);
	FN_CHECK(err, insert_id(s, "m1", err) == ST_OK);
	FN_CHECK(err, store_tx_commit(c, err) == ST_OK);
	store_conn_release(s, c);
	return ERR_SET(err, ST_INVALID, "fails after a nested commit");
}

static void
check_nested_tx_inside_fn(const char *path, bool with_writer)
{
	struct store *s = open_store(path, 0);
	struct err err = {0};

	if (with_writer)
		start_writer(s);
	assert_int_equal(store_write_sync(s, nested_tx_fn, NULL, &err), ST_OK);
	if (err.st != ST_OK)
		fail_msg("%s", err.msg);
	assert_true(has_client(s, "n1"));
	assert_true(has_client(s, "n2"));
	assert_false(has_client(s, "n3"));
	assert_int_equal(store_write_sync(s, nested_then_fail_fn, NULL, &err), ST_INVALID);
	assert_string_equal(err.msg, "fails after a nested commit");
	assert_false(has_client(s, "m1"));
	assert_int_equal(client_count(s), 2);
	store_close(s);
}

static void
test_nested_tx_inside_fn_through_writer_memory(void **state)
{
	(void)state;
	check_nested_tx_inside_fn(":memory:", true);
}

static void
test_nested_tx_inside_fn_through_writer_file(void **state)
{
	struct tmpdb *f = *state;

	check_nested_tx_inside_fn(f->path, true);
}

static void
test_nested_tx_inside_fn_inline_file(void **state)
{
	struct tmpdb *f = *state;

	check_nested_tx_inside_fn(f->path, false);
}

static void
test_tx_helpers_nest_through_savepoints(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct conn *c = NULL;
	struct err err = {0};

	assert_int_equal(store_conn_acquire(s, &c, &err), ST_OK);
	/* Inner commit, outer rollback: nothing stays. */
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_int_equal(c->tx_depth, 1);
	assert_int_equal(insert_id(s, "x1", &err), ST_OK);
	assert_int_equal(store_tx_commit(c, &err), ST_OK);
	assert_false(sqlite3_get_autocommit(c->db));
	store_tx_rollback(c);
	assert_true(sqlite3_get_autocommit(c->db));
	assert_false(has_client(s, "x1"));
	/* Inner rollback, outer commit: only the outer row stays. */
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_int_equal(insert_id(s, "x2", &err), ST_OK);
	assert_int_equal(store_tx_begin(c, &err), ST_OK);
	assert_int_equal(insert_id(s, "x3", &err), ST_OK);
	store_tx_rollback(c);
	assert_int_equal(c->tx_depth, 0);
	assert_int_equal(store_tx_commit(c, &err), ST_OK);
	assert_true(sqlite3_get_autocommit(c->db));
	assert_true(is_committed(f->path, "x2"));
	assert_false(has_client(s, "x3"));
	/* After an outer commit, rollback is still a no-op. */
	store_tx_rollback(c);
	assert_true(has_client(s, "x2"));
	store_conn_release(s, c);
	store_close(s);
}

/* ---- BEGIN fails: the whole batch gets ST_IO ---- */

static void
test_begin_failure_fails_every_write_of_the_batch_with_io(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 20); /* short busy_timeout */
	sqlite3 *other = NULL;
	struct err err = {0};
	struct tracker t;
	struct gate g;
	uint64_t before;
	size_t i;

	start_writer(s);
	tracker_init(&t, 3, "locked", NULL);
	gate_hold(s, &g);
	/* Another process holds the write lock past busy_timeout. */
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	before = batches_now(s);
	tracker_submit_all(s, &t);
	gate_open(&g);
	tracker_wait(&t);
	tracker_assert_once_in_order(&t);
	assert_int_equal(batches_now(s), before + 1);
	for (i = 0; i < t.n; i++) {
		assert_int_equal(t.writes[i].st, ST_IO);
		assert_int_equal(t.writes[i].err.st, ST_IO);
		assert_non_null(strstr(t.writes[i].err.msg, "locked"));
	}
	/* Inline, BEGIN fails the same way. */
	store_writer_stop(s);
	assert_int_equal(sync_insert(s, "inline-locked", false, &err), ST_IO);
	assert_int_equal(err.st, ST_IO);
	assert_non_null(strstr(err.msg, "locked"));

	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	/* The writer goes on once the lock is free. */
	start_writer(s);
	assert_int_equal(sync_insert(s, "after-unlock", false, &err), ST_OK);
	assert_int_equal(client_count(s), 1);
	store_writer_stop(s);
	gate_destroy(&g);
	tracker_destroy(&t);
	store_close(s);
}

/* ---- submitting from the writer thread ---- */

static enum status
submit_from_fn(struct store *s, void *arg, struct err *err)
{
	(void)arg;
	/* Inside the batch: runs inline, as a nested savepoint. */
	return sync_insert(s, "from-fn", false, err);
}

struct done_submit {
	struct tracked_write tw; /* first: tracked_done gets &tw */
	struct store *s;
	enum status inner_st;
};

static void
submit_from_done(void *cls, enum status st, const struct err *err)
{
	struct done_submit *ds = cls;

	/* After the commit, on the writer thread: runs inline, its own transaction. */
	ds->inner_st = sync_insert(ds->s, "from-done", false, NULL);
	tracked_done(&ds->tw, st, err);
}

static void
test_submit_from_fn_or_done_on_writer_thread_runs_inline(void **state)
{
	struct store *s = open_store(":memory:", 0);
	struct done_submit ds;
	struct tracker t;
	struct err err = {0};

	(void)state;
	start_writer(s);
	assert_int_equal(store_write_sync(s, submit_from_fn, NULL, &err), ST_OK);
	assert_true(has_client(s, "from-fn"));

	tracker_init(&t, 1, "outer", NULL);
	ds = (struct done_submit){.tw = t.writes[0], .s = s, .inner_st = ST_IO};
	ds.tw.w.done = submit_from_done;
	ds.tw.w.done_cls = &ds;
	store_write_submit(s, &ds.tw.w);
	tracker_wait(&t);
	assert_int_equal(ds.tw.st, ST_OK);
	assert_int_equal(ds.inner_st, ST_OK);
	assert_true(has_client(s, "outer-0"));
	assert_true(has_client(s, "from-done"));
	store_close(s);
	tracker_destroy(&t);
}

/* ---- synchronous=FULL on a file: the sync is pipelined ---- */

struct thread_probe {
	pthread_t done_thread;
	enum status st;
};

static void
thread_probe_done(void *cls, enum status st, const struct err *err)
{
	struct thread_probe *p = cls;

	(void)err;
	p->done_thread = pthread_self();
	p->st = st;
}

static void
test_full_sync_acknowledges_from_the_syncer_after_an_fdatasync(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct insert_arg a = {.id = "piped"};
	struct thread_probe probe = {.st = ST_INVALID};
	struct store_write w = {
	        .fn = insert_client_fn, .arg = &a, .done = thread_probe_done, .done_cls = &probe};
	struct err err = {0};
	uint64_t syncs;

	start_writer(s);
	assert_true(s->is_sync_pipelined);
	assert_int_equal(sync_insert(s, "first", false, &err), ST_OK);
	store_writer_stop(s); /* joins both threads: every done has run */
	start_writer(s);
	store_write_submit(s, &w);
	store_writer_stop(s);
	assert_int_equal(probe.st, ST_OK);
	/* Neither the submitter nor the writer: the syncer answered. */
	assert_false(pthread_equal(probe.done_thread, pthread_self()));
	pthread_mutex_lock(&s->write_lock);
	syncs = s->writer_syncs;
	pthread_mutex_unlock(&s->write_lock);
	assert_true(syncs >= 2); /* one fdatasync per acknowledged batch at least */
	assert_true(s->wal_fd >= 0);
	assert_true(is_committed(f->path, "first"));
	assert_true(is_committed(f->path, "piped"));
	store_close(s);
}

/*
 * A done that blocks the syncer thread until the test releases it: while it
 * waits, the syncer is busy (between taking a list and the end of its dones).
 */
struct syncer_hold {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool is_entered, is_released;
	enum status st;
};

static void
syncer_hold_done(void *cls, enum status st, const struct err *err)
{
	struct syncer_hold *h = cls;

	(void)err;
	pthread_mutex_lock(&h->lock);
	h->st = st;
	h->is_entered = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->is_released)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

/* Submits a write whose done holds the syncer; returns once it does. */
static void
syncer_hold(struct store *s, struct syncer_hold *h, struct insert_arg *a, struct store_write *w)
{
	*h = (struct syncer_hold){.st = ST_INVALID};
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	*w = (struct store_write){
	        .fn = insert_client_fn, .arg = a, .done = syncer_hold_done, .done_cls = h};
	store_write_submit(s, w);
	pthread_mutex_lock(&h->lock);
	while (!h->is_entered)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void
syncer_release(struct syncer_hold *h)
{
	pthread_mutex_lock(&h->lock);
	h->is_released = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static size_t
queued_now(struct store *s)
{
	size_t n;

	pthread_mutex_lock(&s->write_lock);
	n = s->write_queued;
	pthread_mutex_unlock(&s->write_lock);
	return n;
}

/*
 * While the syncer is busy the writer takes nothing: the writes queue, and
 * become one batch once the syncer is done. The 50 ms pause gives a writer
 * that took them at once (several small commits per sync) the time to
 * show it; nothing is asserted about how long anything took.
 */
static void
test_full_sync_writes_queue_while_the_syncer_is_busy_then_commit_as_one(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct insert_arg held = {.id = "held"};
	struct syncer_hold h;
	struct store_write w;
	struct tracker t;
	uint64_t before;
	size_t i;

	start_writer(s);
	assert_true(s->is_sync_pipelined);
	syncer_hold(s, &h, &held, &w);
	before = batches_now(s);
	tracker_init(&t, 5, "q", NULL);
	tracker_submit_all(s, &t);
	usleep(50 * 1000);
	assert_int_equal(batches_now(s), before);
	assert_int_equal(queued_now(s), 5);

	syncer_release(&h);
	tracker_wait(&t);
	tracker_assert_once_in_order(&t);
	assert_int_equal(batches_now(s), before + 1);
	for (i = 0; i < t.n; i++)
		assert_int_equal(t.writes[i].st, ST_OK);
	assert_int_equal(h.st, ST_OK);
	assert_int_equal(client_count(s), 6);
	store_writer_stop(s);
	tracker_destroy(&t);
	store_close(s);
}

/* A full batch queued while the syncer is busy is taken at once; the rest waits. */
static void
test_full_sync_a_full_batch_does_not_wait_for_the_syncer(void **state)
{
	struct tmpdb *f = *state;
	struct store *s = open_store(f->path, 0);
	struct insert_arg held = {.id = "held"};
	struct syncer_hold h;
	struct store_write w;
	struct tracker t;
	uint64_t before;
	int tries;

	start_writer(s);
	syncer_hold(s, &h, &held, &w);
	before = batches_now(s);
	tracker_init(&t, BATCH_MAX + 3, "full", NULL);
	tracker_submit_all(s, &t);
	/* Bounded wait (30 s): the writer commits the first 512 with the syncer held. */
	for (tries = 0; tries < 3000 && batches_now(s) == before; tries++)
		usleep(10 * 1000);
	assert_int_equal(batches_now(s), before + 1);
	assert_int_equal(queued_now(s), 3);

	syncer_release(&h);
	tracker_wait(&t);
	tracker_assert_once_in_order(&t);
	assert_int_equal(batches_now(s), before + 2); /* 512, then 3 */
	assert_int_equal(client_count(s), BATCH_MAX + 4);
	store_writer_stop(s);
	tracker_destroy(&t);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_write_sync_round_trip_through_writer_memory),
	        cmocka_unit_test_setup_teardown(test_write_sync_round_trip_through_writer_file,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test(test_failing_write_rolls_back_only_itself_in_its_batch_memory),
	        cmocka_unit_test_setup_teardown(
	                test_failing_write_rolls_back_only_itself_in_its_batch_file, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_failing_one_statement_write_leaves_its_batch_whole, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test(test_failing_one_statement_write_leaves_its_batch_whole_pg),
	        cmocka_unit_test_setup_teardown(test_done_runs_once_per_write_in_order_after_commit,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test(test_batch_is_capped_at_512_writes),
	        cmocka_unit_test_setup_teardown(test_stop_drains_the_queue_then_submit_runs_inline,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_close_with_writer_running_drains_it,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test(test_writer_start_twice_is_invalid),
	        cmocka_unit_test(test_submit_without_writer_runs_inline_memory),
	        cmocka_unit_test_setup_teardown(test_submit_without_writer_runs_inline_file,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test(test_nested_tx_inside_fn_through_writer_memory),
	        cmocka_unit_test_setup_teardown(test_nested_tx_inside_fn_through_writer_file,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_nested_tx_inside_fn_inline_file, tmpdb_setup,
	                                        tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_tx_helpers_nest_through_savepoints,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_begin_failure_fails_every_write_of_the_batch_with_io, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test(test_submit_from_fn_or_done_on_writer_thread_runs_inline),
	        cmocka_unit_test(test_threads_8x500_through_writer_all_land_memory),
	        cmocka_unit_test_setup_teardown(test_threads_8x500_through_writer_all_land_file,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(test_threads_8x500_inline_all_land_file,
	                                        tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_full_sync_acknowledges_from_the_syncer_after_an_fdatasync, tmpdb_setup,
	                tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_full_sync_writes_queue_while_the_syncer_is_busy_then_commit_as_one,
	                tmpdb_setup, tmpdb_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_full_sync_a_full_batch_does_not_wait_for_the_syncer, tmpdb_setup,
	                tmpdb_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
