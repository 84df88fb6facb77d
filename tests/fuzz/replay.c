/* tests/fuzz/replay.c - runs the graph-operations interpreter on every file
 * of the corpus (or on the files and directories given), each in a child
 * process so that one crash does not hide the others. Registered as the
 * unit test `fuzz-replay`; builds with any C compiler.
 *
 *   ./build/tests/fuzz/fuzz_replay tests/fuzz/corpus            all inputs
 *   ./build/tests/fuzz/fuzz_replay tests/fuzz/corpus/regress-x.bin
 *   VOLT_FUZZ_TRACE=1 ...      print every operation (graph_ops.c)
 *   VOLT_FUZZ_NOFORK=1 ...     run in this process (for a debugger)
 *
 * Exit status 0 when every input ran clean, 1 otherwise.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph_ops.h"

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  unsigned char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  *n = len;
  return buf;
}

/* 0 when the input ran clean. */
static int replay(const char *path) {
  size_t n;
  unsigned char *data = slurp(path, &n);
  if (!data) {
    printf("FAIL %s (cannot read)\n", path);
    return 1;
  }
  fflush(stdout);
  const char *nofork = getenv("VOLT_FUZZ_NOFORK");
  if (nofork && *nofork && *nofork != '0') {
    graph_ops_run(data, n);
    free(data);
    printf("ok   %s\n", path);
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    exit(1);
  }
  if (pid == 0) { /* exit, not _exit: leak checkers run at exit */
    graph_ops_run(data, n);
    free(data);
    exit(0);
  }
  free(data);
  int st;
  if (waitpid(pid, &st, 0) < 0) {
    perror("waitpid");
    exit(1);
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
    printf("ok   %s\n", path);
    return 0;
  }
  if (WIFSIGNALED(st)) printf("FAIL %s (signal %d)\n", path, WTERMSIG(st));
  else printf("FAIL %s (exit %d)\n", path, WEXITSTATUS(st));
  return 1;
}

static int only_files(const struct dirent *d) { return d->d_name[0] != '.'; }

int main(int argc, char **argv) {
  int runs = 0, failed = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  for (int a = 1; a < argc; a++) {
    struct stat sb;
    if (stat(argv[a], &sb) != 0) {
      printf("FAIL %s (missing)\n", argv[a]);
      failed++;
      continue;
    }
    if (!S_ISDIR(sb.st_mode)) {
      failed += replay(argv[a]);
      runs++;
      continue;
    }
    struct dirent **names;
    int k = scandir(argv[a], &names, only_files, alphasort);
    if (k < 0) {
      perror(argv[a]);
      return 1;
    }
    for (int i = 0; i < k; i++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[a], names[i]->d_name);
      free(names[i]);
      if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
      failed += replay(path);
      runs++;
    }
    free(names);
  }
  printf("fuzz replay: %d inputs run, %d clean, %d failing\n", runs, runs - failed, failed);
  return failed ? 1 : 0;
}
