/* examples/ticker.c - event sources: a timer that drives a token, and a
 * POSIX signal that stops the program.
 *
 * Every 100 ms the timer ticks. A token follows the timer: each tick while
 * the token is idle starts a "job" (here the job is done at once, in the
 * effect, and acked), so ticks that arrive while a job is pending would be
 * dropped. Ctrl-C (SIGINT) reaches the program as an occurrence of a signal
 * source; its effect disposes the scope that holds the timer and the token,
 * which stops the timer, and closes the runtime. When run unattended (as the
 * test suite does), the program sends itself SIGINT after five ticks.
 *
 * Build and run: meson compile -C build && ./build/examples/ticker
 */
#include <signal.h>
#include <stdio.h>
#include <uv.h>
#include <volt/volt.h>

typedef struct app {
  volt_rt *rt;
  volt_node *scope; /* owns the timer, its token and the job effect */
  volt_node *timer, *job;
  int done;
} app;

/* The job: runs when the token's state changes. A fresh mint is a job to
 * do; here it is done at once and acked (real work would be queued on the
 * thread pool and acked from there, see docs/tokens.md). */
static void run_job(void *ud) {
  app *a = ud;
  if (volt_token_status(a->job) != VOLT_PENDING) return;
  volt_val tick = volt_token_stamp(a->job); /* the tick that minted it */
  a->done++;
  printf("job %d for tick %d\n", a->done, (int)volt_as_int(tick));
  volt_ack_ok(volt_token_ack(a->job));
  if (a->done == 5) uv_kill(uv_os_getpid(), SIGINT); /* unattended: stop by ourselves */
}

/* The part of the program that lives until Ctrl-C. */
static void build(void *ud) {
  app *a = ud;
  a->timer = volt_timer_source(a->rt, 100, 100); /* starts once the token listens */
  a->job = volt_token(a->rt, a->timer, 0, NULL);
  volt_effect(a->rt, run_job, a);
}

typedef struct stopper {
  app *a;
  volt_node *sigint;
} stopper;

/* Reads the signal source: NIL until the first SIGINT. */
static void on_sigint(void *ud) {
  stopper *s = ud;
  if (volt_tag(volt_get(s->sigint)) != VOLT_INT) return;
  printf("SIGINT: stopping after %d jobs\n", s->a->done);
  volt_dispose(s->a->scope);        /* the timer's last subscriber leaves: it stops */
  volt_rt_close(s->a->rt, NULL, NULL); /* closes the signal source too (after this flush) */
}

int main(void) {
  uv_loop_t loop;
  app a = {0};
  stopper s = {&a, NULL};
  if (uv_loop_init(&loop) != 0 || volt_rt_new(&a.rt, &loop, NULL) != 0) return 1;
  a.scope = volt_scope(a.rt, build, &a);
  s.sigint = volt_posix_signal_source(a.rt, SIGINT);
  if (!a.scope || !a.timer || !a.job || !s.sigint) return 1;
  volt_effect(a.rt, on_sigint, &s); /* watched from here: Ctrl-C is ours */
  uv_run(&loop, UV_RUN_DEFAULT);    /* returns once every handle is closed */
  return uv_loop_close(&loop) == 0 && a.done >= 1 ? 0 : 1;
}
