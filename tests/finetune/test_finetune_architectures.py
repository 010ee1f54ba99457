"""The causal families the paper fine-tuned (GPT-2, OPT, Phi) and Llama-style, built tiny here.

Random-weight models from each family's config with the embedded model's tokenizer
(no chat template, like the paper's models; the paper's plain `prompt + " " +
explanation` format is the default anyway): LoRA on all linear layers must train, lower
the eval loss, and merge into a folder that loads and generates as a plain model of that
family. hvsb's options (chat template, completion-only loss, EOS) train a tiny Llama with
the embedded model's chat template, and its card says they were used.
"""

from __future__ import annotations

import json

import pytest
import torch

from hvsb.cli import main
from hvsb.finetune.card import CARD_JSON

pytestmark = pytest.mark.model


def _configs(vocab: int, pad: int, bos: int, eos: int) -> dict:
    from transformers import GPT2Config, LlamaConfig, OPTConfig, PhiConfig

    ids = {"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad}
    return {
        "gpt2": GPT2Config(vocab_size=vocab, n_embd=64, n_layer=2, n_head=2, n_positions=512, **ids),
        "opt": OPTConfig(
            vocab_size=vocab, hidden_size=64, word_embed_proj_dim=64, ffn_dim=128,
            num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=512, **ids,
        ),
        "phi": PhiConfig(
            vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=512, **ids,
        ),
        "llama": LlamaConfig(
            vocab_size=vocab, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=512, **ids,
        ),
    }  # fmt: skip


@pytest.mark.parametrize("family", ["gpt2", "opt", "phi", "llama"])
def test_family_trains_and_merges(family, tmp_path, teacher_log, model_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    tokenizer.chat_template = None
    config = _configs(
        len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
    )[family]
    torch.manual_seed(0)
    base = tmp_path / family
    AutoModelForCausalLM.from_config(config).save_pretrained(str(base))
    tokenizer.save_pretrained(str(base))

    out = tmp_path / "run"
    code = main(
        ["finetune", "train", "--base", str(base), "--data", str(teacher_log), "--out", str(out),
         "--eval-fraction", "0.2", "--batch-size", "2", "--lora-r", "8", "--lr", "1e-2",
         "--warmup-steps", "0", "--max-steps", "4", "--eval-steps", "4"]
    )  # fmt: skip
    assert code == 0
    card = json.loads((out / "merged" / CARD_JSON).read_text())
    assert card["prompt_format"] == "plain"
    assert card["eval_loss_after"] < card["eval_loss_before"]

    merged = AutoModelForCausalLM.from_pretrained(str(out / "merged"))
    assert merged.config.model_type == config.model_type
    assert not any("lora" in name for name, _ in merged.named_parameters())
    prompt = tokenizer("Context: Two people met. Answer: The old one", return_tensors="pt")
    with torch.no_grad():
        generated = merged.generate(**prompt, max_new_tokens=4, do_sample=False)
    assert generated.shape[1] > prompt["input_ids"].shape[1]
    original = AutoModelForCausalLM.from_pretrained(str(base)).state_dict()
    changed = [k for k, v in merged.state_dict().items() if not torch.equal(v, original[k])]
    assert changed and all(k.endswith("weight") for k in changed)  # LoRA deltas, no bias


def test_hvsb_options_are_flags_and_the_card_says_so(tmp_path, teacher_log, model_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))  # keeps its chat template
    config = _configs(
        len(tokenizer), tokenizer.pad_token_id, tokenizer.bos_token_id, tokenizer.eos_token_id
    )["llama"]
    torch.manual_seed(0)
    base = tmp_path / "llama"
    AutoModelForCausalLM.from_config(config).save_pretrained(str(base))
    tokenizer.save_pretrained(str(base))
    out = tmp_path / "run"
    code = main(
        ["finetune", "train", "--base", str(base), "--data", str(teacher_log), "--out", str(out),
         "--eval-fraction", "0.2", "--batch-size", "2", "--lora-r", "8", "--lr", "1e-2",
         "--warmup-steps", "0", "--max-steps", "2", "--eval-steps", "2",
         "--prompt-format", "chat", "--loss", "completion", "--eos"]
    )  # fmt: skip
    assert code == 0
    card = json.loads((out / "merged" / CARD_JSON).read_text())
    readme = (out / "merged" / "README.md").read_text()
    assert card["hyperparameters"]["eos"] is True and card["prompt_format"] == "chat"
    assert card["training_text"]["loss_on"] == "completion"
    assert card["training_text"]["ending"] == "the chat template's end-of-turn token"
    departures = card["departures_from_paper"]
    assert "loss_on: 'completion' (paper: 'full')" in departures
    assert "eos: True (paper: False)" in departures
    assert any(d.startswith("prompt_format: 'chat'") for d in departures)
    assert "Loss: on the explanation tokens only" in readme
    assert "- loss_on: 'completion' (paper: 'full')" in readme
