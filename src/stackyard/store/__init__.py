"""The fleet service's store: which repositories form the fleet, and their history.

SQLAlchemy 2 models (``models``), an engine from a URL with the schema migrated by the
Alembic migrations shipped here (``engine``), a per-platform lock that holds across
service replicas (``locks``) and typed reads and writes (``records``). The application
layer uses it; nothing below the application layer knows it exists.
"""

from __future__ import annotations

from stackyard.store.engine import (
    StoreError,
    default_data_dir,
    make_engine,
    migrate,
    open_store,
    sqlite_url,
)
from stackyard.store.locks import lock_key, platform_lock
from stackyard.store.records import (
    AssessmentRecord,
    AuditRecord,
    ClusterRecord,
    PlatformExistsError,
    PlatformRecord,
    RenderRecord,
    SignInRecord,
    Store,
    TokenExistsError,
    TokenRecord,
)

__all__ = [
    "AssessmentRecord",
    "AuditRecord",
    "ClusterRecord",
    "PlatformExistsError",
    "PlatformRecord",
    "RenderRecord",
    "SignInRecord",
    "Store",
    "StoreError",
    "TokenExistsError",
    "TokenRecord",
    "default_data_dir",
    "lock_key",
    "make_engine",
    "migrate",
    "open_store",
    "platform_lock",
    "sqlite_url",
]
