// libpq, PostgreSQL's client library, as Debian's libpq-dev installs it, loaded when `--dsn` first asks for it:
// linked in, libpq and the twenty libraries it needs (Kerberos, LDAP, GnuTLS, p11-kit...) were loaded and
// initialized by every run, 7 ms of each (perf stat), for an option few runs give. Only the header is needed at
// build time; `cpq_load()` opens libpq.so.5 and finds the functions below, or says why it could not.
#ifndef PGSIFT_CLIBPQ_SHIM_H
#define PGSIFT_CLIBPQ_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <postgresql/libpq-fe.h>

// Each member is set once `cpq_load` returns the struct. libpq's message and value functions never return NULL
// (an empty string at worst).
struct cpq_functions {
  const char *_Nullable error;
  PGconn *_Nullable (*_Nonnull connectdb)(const char *_Nonnull);
  ConnStatusType (*_Nonnull status)(const PGconn *_Nonnull);
  char *_Nonnull (*_Nonnull error_message)(const PGconn *_Nonnull);
  void (*_Nonnull finish)(PGconn *_Nonnull);
  PGresult *_Nullable (*_Nonnull exec)(PGconn *_Nonnull, const char *_Nonnull);
  void (*_Nonnull clear)(PGresult *_Nonnull);
  ExecStatusType (*_Nonnull result_status)(const PGresult *_Nonnull);
  char *_Nonnull (*_Nonnull result_error_message)(const PGresult *_Nonnull);
  int (*_Nonnull nfields)(const PGresult *_Nonnull);
  int (*_Nonnull ntuples)(const PGresult *_Nonnull);
  int (*_Nonnull getisnull)(const PGresult *_Nonnull, int, int);
  char *_Nonnull (*_Nonnull getvalue)(const PGresult *_Nonnull, int, int);
  PQconninfoOption *_Nullable (*_Nonnull conninfo_parse)(const char *_Nonnull, char *_Nullable *_Nullable);
  void (*_Nonnull conninfo_free)(PQconninfoOption *_Nonnull);
  void (*_Nonnull freemem)(void *_Nonnull);
};

// Function-local statics: a header's file-level statics are not emitted where Swift imports it (ISA-L's shim
// does the same).
static inline struct cpq_functions *_Nonnull cpq_state(void) {
  static struct cpq_functions state;
  return &state;
}

static inline pthread_once_t *_Nonnull cpq_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  return &once;
}

static inline void cpq_open(void) {
  struct cpq_functions *loaded = cpq_state();
  void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (!library) library = dlopen("libpq.so", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    loaded->error = dlerror();
    if (!loaded->error) loaded->error = "libpq.so.5 not found";
    return;
  }
#define CPQ_FIND(member, name)                          \
  *(void **)(&loaded->member) = dlsym(library, name); \
  if (!loaded->member) {                             \
    loaded->error = "libpq.so.5 lacks " name;        \
    return;                                             \
  }
  CPQ_FIND(connectdb, "PQconnectdb")
  CPQ_FIND(status, "PQstatus")
  CPQ_FIND(error_message, "PQerrorMessage")
  CPQ_FIND(finish, "PQfinish")
  CPQ_FIND(exec, "PQexec")
  CPQ_FIND(clear, "PQclear")
  CPQ_FIND(result_status, "PQresultStatus")
  CPQ_FIND(result_error_message, "PQresultErrorMessage")
  CPQ_FIND(nfields, "PQnfields")
  CPQ_FIND(ntuples, "PQntuples")
  CPQ_FIND(getisnull, "PQgetisnull")
  CPQ_FIND(getvalue, "PQgetvalue")
  CPQ_FIND(conninfo_parse, "PQconninfoParse")
  CPQ_FIND(conninfo_free, "PQconninfoFree")
  CPQ_FIND(freemem, "PQfreemem")
#undef CPQ_FIND
}

/// The functions, once libpq is open (the first call opens it); NULL with `*error` set when it cannot be.
static inline const struct cpq_functions *_Nullable cpq_load(const char *_Nullable *_Nonnull error) {
  pthread_once(cpq_once(), cpq_open);
  const struct cpq_functions *loaded = cpq_state();
  *error = loaded->error;
  return loaded->error ? 0 : loaded;
}
#endif
