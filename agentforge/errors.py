"""One exception tree. Every error agentforge raises on purpose is an `AgentforgeError`."""

from __future__ import annotations


class AgentforgeError(Exception):
    """Base class of every error agentforge raises on purpose."""


class ScanError(AgentforgeError):
    """The repository could not be scanned at all (a per-file problem is a warning, not this)."""


class PlanError(AgentforgeError):
    """The plan could not be made, or a plan file is invalid."""


class CatalogError(AgentforgeError):
    """A module kind or agent role in the catalog is missing or invalid."""


class BuildError(AgentforgeError):
    """The dynamic app could not be written."""


class ModelError(AgentforgeError):
    """A model back end failed to load or to answer."""


class ModelUnavailableError(ModelError):
    """The requested model cannot be had on this machine (not installed, not reachable)."""


class OutputValidationError(AgentforgeError):
    """A model's output did not fit the module's schema after every retry."""


class NotFoundError(AgentforgeError):
    """A module, trace, adapter or job id that does not exist."""


class InvalidCorrectionError(AgentforgeError):
    """A correction whose value does not fit the module's output schema."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class StoreError(AgentforgeError):
    """The store could not be opened, migrated or written."""


class TrainingError(AgentforgeError):
    """A training job failed."""


class PromotionError(AgentforgeError):
    """A hand promotion or rollback that cannot be done (nothing to roll back to, a rejected adapter, ...)."""


class ExportError(AgentforgeError):
    """An adapter could not be exported (missing base model or converter, a failed merge or conversion)."""


class InvalidInputError(AgentforgeError):
    """Inputs to a module call that do not fit its input schema."""


class AuthError(AgentforgeError):
    """A request without a valid, unrevoked API key for what it asks."""


class ArchiveError(AgentforgeError):
    """An uploaded archive refused: unsafe entries, over a limit, or damaged."""


class TooLargeError(AgentforgeError):
    """A request body over the server's limit."""


class ConfigError(AgentforgeError):
    """Settings that cannot work together (a back end, a URL, a key variable)."""


class JobError(AgentforgeError):
    """A job operation its state does not allow (cancel a finished job, retry a running one)."""


class LeaseLostError(JobError):
    """The worker no longer holds the job's lease (it expired and another worker took the job over)."""


class JobStoppedError(JobError):
    """A running job was asked to stop: cancelled by a user, or its worker is shutting down."""
