/* Measures what libpg_query costs on monstrous statements: time and memory per statement kind and size, and
 * the nesting depth at which its tree walks overflow the stack. Used for docs/hostile-input.md:
 *   gcc -O2 bench/pg_query_limits.c -o /tmp/pq -lpg_query
 *   /usr/bin/time -f '%e s %M KB' /tmp/pq values 10000000      (kinds: literal, inlist, values, ors, plus, union, concat)
 *   (ulimit -s 8192; /tmp/pq plus 50000)                        (crashes: the walk recursion has no depth check)
 */
#include <pg_query.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s literal|inlist|values|ors|plus|union|concat SIZE_OR_TERMS\n", argv[0]);
    return 2;
  }
  size_t n = strtoul(argv[2], NULL, 10);
  const char *kind = argv[1];
  /* Bytes for the sizes (literal, inlist, values, ors); terms for the nesting kinds (plus, union, concat). */
  size_t capacity = n * 24 + 256;
  char *s = malloc(capacity);
  size_t k = 0;
  if (!strcmp(kind, "literal")) {
    k = sprintf(s, "INSERT INTO t VALUES ('");
    memset(s + k, 'x', n);
    k += n;
    strcpy(s + k, "')");
  } else if (!strcmp(kind, "inlist")) {
    k = sprintf(s, "SELECT * FROM t WHERE id IN (1");
    while (k < n) k += sprintf(s + k, ",%zu", k);
    strcpy(s + k, ")");
  } else if (!strcmp(kind, "values")) {
    k = sprintf(s, "INSERT INTO t VALUES (1,'a')");
    while (k < n) k += sprintf(s + k, ",(%zu,'b')", k);
  } else if (!strcmp(kind, "ors")) {
    k = sprintf(s, "SELECT 1 FROM t WHERE a=1");
    while (k < n) k += sprintf(s + k, " OR a=%zu", k);
  } else if (!strcmp(kind, "plus")) {
    k = sprintf(s, "SELECT 1");
    for (size_t i = 0; i < n; i++) k += sprintf(s + k, "+%zu", i % 10);
  } else if (!strcmp(kind, "union")) {
    k = sprintf(s, "SELECT 1");
    for (size_t i = 0; i < n; i++) k += sprintf(s + k, " UNION ALL SELECT %zu", i % 10);
  } else if (!strcmp(kind, "concat")) {
    k = sprintf(s, "SELECT 'a'");
    for (size_t i = 0; i < n; i++) k += sprintf(s + k, "||'b'");
  } else {
    fprintf(stderr, "unknown kind %s\n", kind);
    return 2;
  }
  double t0 = now();
  PgQueryFingerprintResult r = pg_query_fingerprint(s);
  double t1 = now();
  printf("%s: %zu bytes, fingerprint %.3f s (%s)", kind, strlen(s), t1 - t0, r.error ? r.error->message : "ok");
  pg_query_free_fingerprint_result(r);
  PgQueryNormalizeResult q = pg_query_normalize(s);
  printf(", normalize %.3f s\n", now() - t1);
  pg_query_free_normalize_result(q);
  return 0;
}
