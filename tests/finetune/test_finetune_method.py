"""LoRA vs QLoRA selection, the paper's 4-bit setting, and what the CLI says about it.

The QLoRA training path itself needs a CUDA GPU with bitsandbytes and cannot run here;
these tests cover the decision and the configuration it would load the model with.
"""

from __future__ import annotations

import torch

from hvsb.cli import main
from hvsb.finetune.method import choose_method, quantization_config


def test_auto_picks_qlora_only_with_cuda_and_bitsandbytes():
    assert choose_method("auto", cuda=True, bitsandbytes=True).name == "qlora"
    for cuda, bnb in ((False, True), (True, False), (False, False)):
        method = choose_method("auto", cuda=cuda, bitsandbytes=bnb)
        assert method.name == "lora"
        assert "falling back to LoRA" in method.reason
        assert ("torch.cuda.is_available() is False" in method.reason) == (not cuda)
        assert ("bitsandbytes is not installed" in method.reason) == (not bnb)


def test_none_is_always_lora():
    assert choose_method("none", cuda=True, bitsandbytes=True).name == "lora"


def test_explicit_4bit_without_cuda_is_an_error_not_a_fallback():
    import pytest

    from hvsb.errors import HvsbError

    with pytest.raises(HvsbError, match="needs a CUDA GPU and bitsandbytes: no CUDA GPU"):
        choose_method("4bit", cuda=False, bitsandbytes=True)


def test_quantization_config_is_the_papers():
    config = quantization_config()
    assert config.load_in_4bit and not config.load_in_8bit
    assert config.bnb_4bit_quant_type == "nf4"
    assert config.bnb_4bit_use_double_quant is True
    assert config.bnb_4bit_compute_dtype == torch.float16


def test_cli_refuses_4bit_on_this_machine(tmp_path, capsys):
    if torch.cuda.is_available():
        import pytest

        pytest.skip("this machine has CUDA: 4-bit may work here")
    code = main(
        [
            "finetune",
            "train",
            "--data",
            str(tmp_path / "x.jsonl"),
            "--out",
            str(tmp_path / "o"),
            "--quantization",
            "4bit",
        ]
    )
    assert code == 2
    assert "--quantization 4bit needs a CUDA GPU" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_defaults_are_the_papers():
    """PROTOCOL §4's hyperparameters, as the parser's defaults."""
    from hvsb.cli import build_parser

    args = build_parser().parse_args(["finetune", "train", "--data", "x", "--out", "y"])
    assert (args.lora_r, args.lora_alpha, args.lora_dropout) == (64, 16, 0.1)
    assert args.target_modules == "all-linear"
    assert (args.epochs, args.batch_size, args.lr) == (1.0, 4, 3e-4)
    assert (args.warmup_steps, args.weight_decay) == (100, 0.001)
    assert (args.eval_fraction, args.max_length) == (0.05, 512)
    assert args.quantization == "auto"
