"""The shared vocabulary: every stage reads and writes these pydantic artifacts, and nothing else.

Data flows forward (scan -> plan -> build -> runtime -> learn); a stage imports the artifacts it
consumes from here, never another stage's internals.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JsonSchema = dict[str, Any]
"""A JSON Schema document (draft 2020-12 subset), as a plain dict."""

DEFAULT_WORKSPACE = "default"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Artifact(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


# --------------------------------------------------------------------------------------------- scan


class Language(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"


class ByteSpan(Artifact):
    start_byte: int
    end_byte: int
    start_line: int
    """1-based."""
    end_line: int


class DetectionReason(Artifact):
    code: str
    """Stable machine name, e.g. `returns_literal`, `not_implemented`, `smart_name`, `plumbing_name`."""
    detail: str
    """One human sentence: what in the code made us think so."""
    confidence: float = Field(ge=0.0, le=1.0)
    """What this hint alone says: the logistic of its weight (below 0.5 for evidence against a stub)."""
    weight: float = 0.0
    """The hint's log-odds contribution to the module's confidence; negative for evidence against a stub."""


class Param(Artifact):
    name: str
    annotation: str | None = None
    """The type annotation as written in the source."""
    json_schema: JsonSchema = Field(default_factory=dict)
    required: bool = True


class ModuleSpec(Artifact):
    """One fake "smart part" of a prototype, with the typed contract it must keep."""

    id: str
    """Stable id `relative/path.py::QualName`."""
    name: str
    """The function's qualified name inside its file."""
    language: Language
    path: str
    """POSIX path relative to the scanned root."""
    span: ByteSpan
    """The whole function definition."""
    body_span: ByteSpan
    """The function body: the exact bytes `build` replaces."""
    is_async: bool = False
    feeds: str | None = None
    """The callback parameter the stub hands its answer to (`push(chunk)`) instead of returning it; the build
    feeds the runtime's answer to it."""
    params: list[Param] = Field(default_factory=list)
    input_schema: JsonSchema = Field(default_factory=dict)
    """Object schema whose properties are the parameters."""
    output_annotation: str | None = None
    output_schema: JsonSchema = Field(default_factory=dict)
    """Schema of the return value; enum labels included for `Enum`/`Literal` outputs."""
    intent: str = ""
    """What the function is meant to do, from its docstring, comments and name."""
    static_example: Any = None
    """The hard-coded value the stub returns, as JSON, when it can be read statically."""
    static_source: str | None = None
    """Source text of the hard-coded return expression."""
    reasons: list[DetectionReason] = Field(default_factory=list)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    calls: list[str] = Field(default_factory=list)
    """Ids of other stub modules this one calls."""
    called_by: list[str] = Field(default_factory=list)
    source_hash: str = ""
    """sha256 of the function's source bytes."""


class ScanWarning(Artifact):
    path: str
    message: str


class Candidate(Artifact):
    """A function the scan judged and did not report, with the evidence it weighed (`scan --explain`)."""

    id: str
    name: str
    path: str
    span: ByteSpan
    confidence: float = Field(ge=0.0, le=1.0)
    reasons: list[DetectionReason] = Field(default_factory=list)
    why: str
    """One sentence: why it is not reported."""


class ScanResult(Artifact):
    root: str
    modules: list[ModuleSpec] = Field(default_factory=list)
    """The findings: stubs whose confidence reaches `min_confidence`."""
    warnings: list[ScanWarning] = Field(default_factory=list)
    files_scanned: int = 0
    functions: int = 0
    """Functions the scan read (the candidates for being a stub)."""
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    """The threshold the findings were chosen by."""
    candidates: list[Candidate] = Field(default_factory=list)
    """With `explain`: the functions that showed some evidence of faking and were not reported."""


# --------------------------------------------------------------------------------------------- plan


class Canary(Artifact):
    target: str
    """`adapter@version` name."""
    fraction: float = Field(ge=0.0, le=1.0)


class Route(Artifact):
    """Where a module's calls go. Targets are `base`, an immutable adapter name, `backend:NAME` or `static`;
    any but `static` may end in `+examples` (or `+examples:K`) to carry retrieved corrections in the prompt."""

    champion: str = "base"
    canary: Canary | None = None
    fallback: list[str] = Field(default_factory=lambda: ["base", "static"])
    examples: int = Field(default=0, ge=0)
    """Most similar past corrections the champion's prompt carries as examples (0: none). Also the count a
    `+examples` target without `:K` uses, when above 0."""


class Policy(Artifact):
    max_retries: int = Field(default=2, ge=0)
    """Extra attempts after an output fails validation; the error is fed back each time."""
    timeout_s: float = Field(default=60.0, gt=0)
    max_new_tokens: int | None = Field(default=None, ge=1)
    """Most tokens one answer may take; `None` leaves it to the kind (32 for labels and numbers, 256 else)."""
    static_fallback: bool = True
    """Return the prototype's original static value when every route fails (flagged in the trace)."""
    review_rounds: int = Field(default=1, ge=1)
    """Most times a team's reviewer may send a draft back for revision (teams only: `ModulePlan.reviewer`); the
    last revision stands unreviewed."""


Framework = Literal["langgraph", "crewai", "autogen"]
"""Agent frameworks a module can run on (`agentforge.runtime.agents`)."""
FRAMEWORKS: tuple[Framework, ...] = ("langgraph", "crewai", "autogen")


class ModulePlan(Artifact):
    module_id: str
    kind: str
    """A module kind from the `modules/` catalog."""
    agent_role: str
    """An agent role from the `agents/` catalog."""
    route: Route = Field(default_factory=Route)
    framework: Framework = "langgraph"
    """The framework whose agent answers the module's calls; one of the role's `frameworks`."""
    reviewer: str | None = None
    """An agent role that reviews each draft: a writer → reviewer → reviser team (LangGraph) answers instead of
    a single call. For generation kinds; None: a single-call agent."""
    tools: list[str] = Field(default_factory=list)
    """Ids of the modules this one calls in the prototype, which its coordinator calls first and whose answers
    its prompt carries (composed modules, from the call graph); empty: the module uses no other module."""
    policy: Policy = Field(default_factory=Policy)
    decided_by: str = ""
    """The rule (or model) that chose the kind, for review."""
    rationale: str = ""


class Plan(Artifact):
    root: str
    base_model: str
    modules: list[ModulePlan] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    """Module ids a reviewer left static: the build does not rewrite them."""
    mermaid: str = ""
    created_at: datetime = Field(default_factory=utcnow)

    def for_module(self, module_id: str) -> ModulePlan | None:
        return next((m for m in self.modules if m.module_id == module_id), None)


class CatalogEntries(Artifact):
    """A workspace's own catalog entries (its `modules/` and `agents/` YAML, by name), which add to the built-in
    catalog or override its entries; checked when a catalog is made of them (`agentforge.catalog`)."""

    kinds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Manifest(Artifact):
    """`agentforge.yaml`: everything `serve` needs to run a built app."""

    app_name: str
    source_root: str
    workspace_id: str = DEFAULT_WORKSPACE
    specs: list[ModuleSpec]
    plan: Plan
    catalog: CatalogEntries = Field(default_factory=CatalogEntries)
    """The workspace catalog entries the plan was made with; the runtime and the trainer use them too."""
    built_at: datetime = Field(default_factory=utcnow)


# ------------------------------------------------------------------------------------------ runtime


class Rung(StrEnum):
    """Which rung of the ladder answered a call."""

    BASE = "base"
    BASE_EXAMPLES = "base+examples"
    """The base model with the module's most similar past corrections in its prompt."""
    ADAPTER = "adapter"
    ADAPTER_EXAMPLES = "adapter+examples"
    NEAREST = "nearest"
    """The answer most of the nearest past corrections give (no model call)."""
    CENTROID = "centroid"
    """The answer whose past corrections are the most similar on average (no model call)."""
    HEAD = "head"
    """The answer of a linear head fitted on the past corrections' embeddings (no model call)."""
    TAGGER = "tagger"
    """The spans an adapter version's tuned encoder tags in the input (no model call)."""
    STATIC = "static"


class RouteTaken(Artifact):
    model: str
    adapter: str | None = None
    rung: Rung = Rung.BASE
    examples: list[str] = Field(default_factory=list)
    """Trace ids of the corrections the prompt carried as examples, least similar first."""


class ToolCall(Artifact):
    """One call a coordinator made to another module before answering: its answer is part of the prompt."""

    module_id: str
    name: str
    """The module's function name, as the coordinator's prompt shows it."""
    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    trace_id: str | None = None
    """The called module's own trace (stored when the coordinator's call is; None when the call failed)."""
    error: str | None = None
    """Why the module gave no answer; the coordinator's prompt leaves it out."""


class Trace(Artifact):
    id: str = Field(default_factory=new_id)
    workspace_id: str = DEFAULT_WORKSPACE
    module_id: str
    input: dict[str, Any]
    output: Any = None
    route: RouteTaken
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    fallback_used: bool = False
    error: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """The modules a coordinator called first, with their answers (what its prompt carried)."""
    created_at: datetime = Field(default_factory=utcnow)


class FeedbackKind(StrEnum):
    CORRECTION = "correction"
    """A full corrected output."""
    RATING = "rating"
    """Up or down on the output as it was."""
    EDIT = "edit"
    """Field-level edits (JSON pointers) applied to the output."""


class FieldEdit(Artifact):
    path: str
    """RFC 6901 JSON pointer into the trace's output (`/amount`, `/items/0/name`); `""` is the whole output."""
    value: Any
    """The value the field should have had."""


class Correction(Artifact):
    """A user's feedback on a trace, validated against the module's output schema before storage."""

    id: str = Field(default_factory=new_id)
    workspace_id: str = DEFAULT_WORKSPACE
    trace_id: str
    module_id: str
    value: Any = None
    """The output the module should have given: the correction, the edited output, or for an up-rating the
    output itself; `None` for a down-rating."""
    kind: FeedbackKind = FeedbackKind.CORRECTION
    rating: Literal["up", "down"] | None = None
    edits: list[FieldEdit] = Field(default_factory=list)
    route: RouteTaken | None = None
    """The route that produced the output this feedback is about (model, adapter version, rung)."""
    created_at: datetime = Field(default_factory=utcnow)


class Example(Artifact):
    """A supervised example for a module: the input it saw and the output it should have given."""

    trace_id: str
    module_id: str
    input: dict[str, Any]
    model_output: Any = None
    target: Any
    route: RouteTaken
    feedback: FeedbackKind = FeedbackKind.CORRECTION
    """The feedback the target comes from (an up-rating makes the model's own output the target)."""
    rejected: list[Any] = Field(default_factory=list)
    """Outputs users rated down for this same input: the rejected side of preference pairs."""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """A coordinator's tool answers as its trace recorded them, so training renders the prompt it was served."""


# -------------------------------------------------------------------------------------------- learn


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    EVALUATING = "evaluating"
    PROMOTED = "promoted"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def active(self) -> bool:
        """Held by a worker under a lease."""
        return self in (JobState.RUNNING, JobState.EVALUATING)

    @property
    def finished(self) -> bool:
        return self in (JobState.PROMOTED, JobState.REJECTED, JobState.FAILED, JobState.CANCELLED)


class JobTrigger(StrEnum):
    """Why a job was queued."""

    CORRECTIONS = "corrections"
    MANUAL = "manual"
    SCHEDULE = "schedule"


class JobProgress(Artifact):
    phase: str
    """`train`, `evaluate …`."""
    done: int = 0
    total: int = 0


class TrainingJob(Artifact):
    """A durable queue entry: one module's retraining, claimed by a worker under a lease it must keep renewing."""

    id: str = Field(default_factory=new_id)
    workspace_id: str = DEFAULT_WORKSPACE
    module_id: str
    state: JobState = JobState.QUEUED
    trigger: JobTrigger = JobTrigger.MANUAL
    recipe: str = "cpu-default"
    """Recipe name in `adapters/` or a YAML path, resolved by the worker."""
    adapter: str | None = None
    """The adapter version this job produced, once trained."""
    error: str | None = None
    """The last attempt's error."""
    attempts: int = 0
    """Claims so far, redeliveries included."""
    max_attempts: int = 3
    lease_owner: str | None = None
    """The worker holding the job, or the last one that held it."""
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    run_after: datetime = Field(default_factory=utcnow)
    """Not claimed before this time (backoff, schedule)."""
    cancel_requested: bool = False
    corrections: int = 0
    """The module's correction count when the job was queued (what the next trigger counts from)."""
    progress: JobProgress | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EvalReport(Artifact):
    """The evaluation gate's evidence for one decision."""

    module_id: str
    metric: str
    n: int
    champion: str
    candidate: str
    champion_score: float
    candidate_score: float
    champion_validity: float
    candidate_validity: float
    margin: float
    promoted: bool
    reason: str
    rungs: dict[str, float] = Field(default_factory=dict)
    """Mean held-out score of every rung the gate evaluated (the champion's included), by route target."""
    cross_validated: dict[str, float] = Field(default_factory=dict)
    """Mean cross-validated score on the training corrections of every rung without a model that competed for the
    one place among the gate's candidates (`learn/vote_selection.py`); the best of them is in `rungs`."""


class AdapterStatus(StrEnum):
    CANDIDATE = "candidate"
    CHAMPION = "champion"
    REJECTED = "rejected"
    RETIRED = "retired"


class AdapterVersion(Artifact):
    """An immutable, content-named LoRA adapter and its card."""

    name: str
    """`<module-slug>@<hash12>`: a retrained adapter is always a new name."""
    workspace_id: str = DEFAULT_WORKSPACE
    module_id: str
    base_model: str
    path: str
    status: AdapterStatus = AdapterStatus.CANDIDATE
    recipe: dict[str, Any] = Field(default_factory=dict)
    data_hash: str = ""
    train_examples: int = 0
    train_seconds: float = 0.0
    report: EvalReport | None = None
    created_at: datetime = Field(default_factory=utcnow)
