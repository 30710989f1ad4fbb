"""mnemosyne_01: the memory agent. ``store`` writes a memory (the payload of
``POST /api/memory/store``), ``recall`` finds memories (the payload of
``POST /api/memory/recall``). Bad payloads and model failures are answered with
``success=False``, never raised, so a workflow step fails cleanly."""

from __future__ import annotations

from pydantic import ValidationError

from shared.agents.base import TRANSIENT_MODEL_FAILURES, AgentResult, AgentTask
from shared.errors import Invalid
from shared.memory.kinds import jsonable
from shared.memory.schemas import RecallMemories, StoreMemory
from shared.memory.service import recall_memories, store_memory
from shared.model.port import ModelFailure


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()[:10]
    )


class Mnemosyne:
    id = "mnemosyne_01"
    description = (
        "Memory keeper: stores episodic, semantic and procedural memories for the user "
        "and recalls the ones most similar to a query."
    )
    actions = frozenset({"store", "recall"})

    def execute(self, task: AgentTask) -> AgentResult:
        try:
            if task.action == "store":
                body = StoreMemory.model_validate(task.payload)
                stored, usage = store_memory(task.user_id, body, source=self.id)
                memory = jsonable({"type": body.type, **stored.memory})
                return AgentResult(True, {"memory": memory, "action": stored.action}, usage=usage)
            if task.action == "recall":
                query = RecallMemories.model_validate(task.payload)
                memories, usage = recall_memories(task.user_id, query)
                return AgentResult(True, {"memories": jsonable(memories)}, usage=usage)
            return AgentResult(False, {}, error=f"{self.id} has no action {task.action!r}")
        except ValidationError as exc:
            return AgentResult(False, {}, error=f"invalid payload: {_problems(exc)}")
        except Invalid as exc:
            return AgentResult(False, {}, error=exc.message)
        except ModelFailure as exc:
            return AgentResult(
                False,
                {},
                error=f"model unavailable: {exc.message}",
                usage=exc.usage,
                retryable=exc.kind in TRANSIENT_MODEL_FAILURES,
            )


AGENT = Mnemosyne()
