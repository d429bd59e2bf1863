"""The model interface, the default model's weights, and fake models for tests.

`import agentforge.llm` does not import torch. The local back end lives in its own module:

    from agentforge.llm.local import LocalModel

    model = LocalModel.load()  # the default model, SmolLM2-135M-Instruct, on CPU
"""

from agentforge.llm.base import Message, Model, ModelRequest, ModelResponse, run_sync
from agentforge.llm.guided import ValuePlan, plan_schema
from agentforge.llm.testing import FunctionModel, TestModel, minimal_instance
from agentforge.llm.weights import DEFAULT_MODEL, default_gguf_path, resolve_model_dir

__all__ = [
    "DEFAULT_MODEL",
    "FunctionModel",
    "Message",
    "Model",
    "ModelRequest",
    "ModelResponse",
    "TestModel",
    "ValuePlan",
    "default_gguf_path",
    "minimal_instance",
    "plan_schema",
    "resolve_model_dir",
    "run_sync",
]
