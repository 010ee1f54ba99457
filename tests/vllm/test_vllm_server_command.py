"""The command hvsb starts vLLM's server with, read back by vLLM's own argument parser."""

from __future__ import annotations

import pytest

from hvsb.serving.vllm import server_command, vllm_importable


@pytest.mark.parametrize("key", ["plainKey_123", "-starts-with-a-dash", "--two-dashes"])
def test_server_reads_back_every_key_and_flag(key: str) -> None:
    # Caught live: a random key beginning with "-" made the server exit at once with
    # "argument --api-key: expected at least one argument".
    if not vllm_importable():
        pytest.skip("vLLM is not installed (bash scripts/install.sh --vllm)")
    # The parser `python -m vllm.entrypoints.openai.api_server` builds (not a public API:
    # it is what the server itself runs, so it is the parser to check against).
    from vllm.entrypoints.launchers.cli_args import make_arg_parser
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    command = server_command("/models/m", 8123, key, ["--max-model-len", "2048"])
    assert command[1:3] == ["-m", "vllm.entrypoints.openai.api_server"]
    parsed = make_arg_parser(FlexibleArgumentParser()).parse_args(command[3:])
    assert parsed.api_key == [key]
    assert (parsed.model, parsed.host, parsed.port) == ("/models/m", "127.0.0.1", 8123)
    assert parsed.max_model_len == 2048
