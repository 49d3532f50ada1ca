"""A what-if, not what ships: the app with a connection pool of ``GL_BENCH_POOL_SIZE`` connections
(default 64, no overflow), to see whether the pool limits throughput.

Up to commit 47c54cb the app used SQLAlchemy's default pool (5 + 10 overflow) and a request recording a
result held two connections at once (its read session and the use case's transaction): 16 or more
concurrent results exhausted the pool, waited 30 s and failed with 500. Since 059a61a a request holds one
connection at a time and the pool is a setting (10 + 20 by default); this variant stays as the comparison.
"""

from __future__ import annotations

import os

from api.app import create_app
from workers.settings import WorkerSettings

app = create_app(
    engine_options={"pool_size": int(os.environ.get("GL_BENCH_POOL_SIZE", "64")), "max_overflow": 0},
    workers=WorkerSettings(),
    freeze_gc=True,
)
