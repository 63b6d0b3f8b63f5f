"""Touching a user's model without changing it: the state guard, the layer summary, checks.

Shared by ``record``, ``analyze``, ``models`` and ``pipelines`` (STYLE rules 2-3):

- ``preserve_model_state(model, train=, grad=, requires_grad=)`` saves every module's
  ``training`` flag, every parameter's ``requires_grad`` and ``.grad`` and the grad mode, sets
  what the body needs and restores everything on exit, also when the body raises;
  ``guarded(model, grad=)`` is its setting for analyses (eval mode, parameters frozen).
- ``leaf_layers(model, x)`` summarises every layer module as it ran (``LayerInfo``; with
  ``every=True`` containers too); ``default_layers(model, x)`` names the layers worth recording
  when the user names none; ``reused_message`` is the one refusal of a reused module;
  ``type_matches`` matches a type name with its subclasses.
- ``call_factory(factory, sizes)`` builds a model from a user's factory with the sizes it takes
  (``accepted_sizes``), as the model zoo and the Recorder's spec check both do.
- ``find_module``, ``model_device_dtype``, ``check_images``, ``logits_of``, ``check_target``,
  ``short_list``: look-ups and input checks with one-line errors.
"""

from ._checks import (
    check_images,
    check_target,
    find_module,
    logits_of,
    model_device_dtype,
    short_list,
)
from ._factory import IMPORT_SPEC, accepted_sizes, call_factory
from ._layers import (
    LayerInfo,
    call_counts,
    check_single_use,
    default_layers,
    first_tensor,
    is_layer,
    leaf_layers,
    output_option,
    reused_message,
    select_output,
    type_matches,
)
from ._state import guarded, preserve_model_state

__all__ = [
    "IMPORT_SPEC",
    "LayerInfo",
    "accepted_sizes",
    "call_factory",
    "call_counts",
    "check_single_use",
    "check_images",
    "check_target",
    "default_layers",
    "find_module",
    "first_tensor",
    "guarded",
    "is_layer",
    "leaf_layers",
    "logits_of",
    "model_device_dtype",
    "output_option",
    "preserve_model_state",
    "reused_message",
    "select_output",
    "short_list",
    "type_matches",
]
