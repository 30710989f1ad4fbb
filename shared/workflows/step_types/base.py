"""What every step type is: a config model, a save-time check and an executor, in
one class, so a new type is one module registered in ``step_types`` and nothing else.

The model parses one stored step (``extra="forbid"``: an unknown field is refused when
the workflow is saved). ``check`` adds what a model alone cannot know (that an agent
exists, that an event type may be published) and refuses through ``refuse``, which
names the step. ``execute`` renders the step's templates, writes what it was given into
``record["input"]`` (secrets redacted) before acting, so a failed step shows its input
too, does its one thing, and returns what it produced; a failure is ``StepFailed``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.errors import Invalid
from shared.workflows import retries as policy
from shared.workflows import templating

StepId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")]
# a value given as one template ("{{trigger.payload}}") instead of an object
TemplateText = Annotated[str, Field(max_length=2000)]
# as the event routes have it (shared.events.outbox checks the form)
EventTypeText = Annotated[str, Field(min_length=1, max_length=100)]
Refuse = Callable[[str], Invalid]


class StepModel(BaseModel):
    """The fields every step has, whatever its type: its id, and how often a failure a
    retry can fix is retried (``shared.workflows.retries``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: StepId
    retries: int = Field(policy.DEFAULT_RETRIES, ge=0, le=policy.MAX_RETRIES)
    backoff_seconds: float = Field(
        policy.DEFAULT_BACKOFF_SECONDS,
        alias="backoffSeconds",
        ge=policy.MIN_BACKOFF_SECONDS,
        le=policy.MAX_BACKOFF_SECONDS,
    )


class ConfigModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class RunContext:
    run_id: str
    workflow_id: str
    user_id: str
    depth: int  # event depth of what started the run
    owner: str = ""  # the executor's lease on the run
    retries_left: int = 0  # attempts of the step in flight that may follow this one

    def effect_key(self, step_id: str) -> str:
        """The same on every attempt of one step of one run: what makes its side
        effects idempotent when a resumed run executes the step again."""
        return f"{self.run_id}:{step_id}"


S = TypeVar("S", bound=StepModel)


class StepType(ABC, Generic[S]):
    """One kind of step. Subclasses set ``name`` and ``model`` and write ``execute``.
    A ``pure`` type reads only its scope and acts on nothing outside the run, so a run
    of pure steps may be executed inside the transaction that records it."""

    name: ClassVar[str]
    model: ClassVar[type[StepModel]]
    pure: ClassVar[bool] = False

    def parse(self, raw: dict[str, Any]) -> S:
        step: S = self.model.model_validate(raw)  # type: ignore[assignment]
        return step

    def check(self, step: S, refuse: Refuse) -> None:
        """Save-time rules beyond the model's; the default has none."""

    def templated(self, step: S) -> Any:
        """The part of the step whose placeholders are checked against earlier steps."""
        config = getattr(step, "config", None)
        return config.model_dump() if isinstance(config, BaseModel) else config

    def settled(self, ctx: RunContext, record: dict[str, Any]) -> bool:
        """Whether a step that just put its run to sleep may go on at once: what it
        waits for happened while it was going to sleep (a swarm's members all ended)."""
        return False

    def gate(self, output: Any) -> bool | None:
        """Whether a gate held (False skips the steps after it); None: not a gate."""
        return None

    @abstractmethod
    def execute(
        self, step: S, scope: dict[str, Any], ctx: RunContext, record: dict[str, Any]
    ) -> Any:
        """Run the step; its rendered input goes to ``record["input"]``."""


def is_one_placeholder(text: str) -> bool:
    return templating.PLACEHOLDER.fullmatch(text) is not None


def checked(refuse: Refuse, check: Callable[[Any], object], value: Any) -> None:
    """Run a rule another part owns (the condition language, the event type syntax) on
    a step's value, its refusal worded as that part words it and named for the step."""
    try:
        check(value)
    except Invalid as exc:
        raise refuse(exc.message) from None
