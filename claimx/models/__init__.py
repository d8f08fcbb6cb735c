"""Backends: the only package that imports openai, instructor or llama_cpp."""

from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.registry import default_model_spec, resolve_model

__all__ = ["Model", "ModelReply", "ModelRequest", "RetryPolicy", "default_model_spec", "resolve_model"]
