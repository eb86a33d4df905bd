// libpg_query, as Debian's libpg-query-dev installs it (PostgreSQL 15 grammar).
#include <pg_query.h>
