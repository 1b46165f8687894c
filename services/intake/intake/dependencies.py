"""Intake's own dependency providers: its settings and its evidence bucket (design.md §5)."""

from datetime import UTC, datetime

from nameko.extensions import DependencyProvider

from shared.platform.config import require
from shared.platform.storage import ObjectStorage

DEFAULT_BUCKET = "intake-documents"


class Settings:
    def __init__(self, provider_id: str, bucket: str):
        self.provider_id = provider_id
        self.bucket = bucket

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)


class IntakeSettings(DependencyProvider):
    """``PROVIDER_ID`` (required: each access provider runs its own intake) and ``INTAKE_BUCKET``."""

    def setup(self) -> None:
        config = self.container.config
        self.settings = Settings(
            require(config, "PROVIDER_ID", "the access provider this intake serves"),
            config.get("INTAKE_BUCKET") or DEFAULT_BUCKET,
        )

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class IntakeStorage(ObjectStorage):
    """The object store, with intake's scan bucket made sure of (versioned, Object Lock: W4) at start-up."""

    def start(self) -> None:
        super().start()
        bucket = self.container.config.get("INTAKE_BUCKET") or DEFAULT_BUCKET
        self.store.ensure_bucket(bucket, object_lock=True)
