"""The only place hvsb reaches into Inspect's private modules; none of these has a public form.

- `active_generate_config()`: the generate config in force for the running sample (the
  task's config merged with the eval's options). `study_generate` hands it to the grader
  role's model, and the log-likelihood judge reads `system_message` and `max_connections`.
- `record_and_check_model_usage(model, usage, role=...)`: the token bookkeeping
  `Model.generate` does, which the log-likelihood mode (it never calls generate) must do
  itself for the log's usage and token limits.

`tests/tasks/inspect/test_inspect_private.py` fails loudly when Inspect moves or changes
any of them.
"""

from inspect_ai.model._generate_config import active_generate_config
from inspect_ai.model._model import record_and_check_model_usage

__all__ = ["active_generate_config", "record_and_check_model_usage"]
