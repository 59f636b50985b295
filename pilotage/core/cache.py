"""The cache every worker shares: Django's database cache, with a counter that two workers
cannot both read before either writes.

Django's `DatabaseCache.incr` is a read then a write (`BaseCache.incr`): two workers
counting the same client at once would both write the same count, and a rate limit
would let through more than it says. Here the row is written first, which takes its lock
(PostgreSQL) or the database's write lock (SQLite), then read and written again in the
same transaction. Redis and the local-memory cache count atomically already.
"""

from __future__ import annotations

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now

# The table the default cache uses; core's migration 0003 creates it.
TABLE = "pilotage_cache"


class DatabaseCache(DjangoDatabaseCache):
    """`django.core.cache.backends.db.DatabaseCache` with an atomic `incr`."""

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table, cache_key, expires = quote(self._table), quote("cache_key"), quote("expires")
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            # A write that changes nothing, to hold the row until the commit.
            cursor.execute(
                f"UPDATE {table} SET {expires} = {expires} "  # noqa: S608 (quoted names)
                f"WHERE {cache_key} = %s AND {expires} >= %s",
                [key, now],
            )
            if cursor.rowcount != 1:
                raise ValueError(f"Key '{key}' not found")
            cursor.execute(
                f"SELECT {quote('value')} FROM {table} WHERE {cache_key} = %s",  # noqa: S608
                [key],
            )
            value = pickle.loads(base64.b64decode(cursor.fetchone()[0].encode()))  # noqa: S301
            value += delta
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {quote('value')} = %s WHERE {cache_key} = %s",  # noqa: S608
                [pickled, key],
            )
        return value
