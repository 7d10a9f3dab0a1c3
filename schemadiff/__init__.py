"""schemadiff: keeps a database in step with SQLAlchemy models."""

from .compare import compare
from .errors import SchemadiffError
from .from_metadata import snapshot_metadata
from .reflect import reflect
from .snapshot import Snapshot

__version__ = "0.1.0"

__all__ = ["compare", "reflect", "snapshot_metadata", "Snapshot", "SchemadiffError"]
