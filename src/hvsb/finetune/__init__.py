"""Task 3 of the study: teach small LMs to explain social bias (PROTOCOL §4).

explanations (Inspect log / lm-eval samples / JSONL) → SFT split (`data`, `tokenize`) →
LoRA or QLoRA (`method`, `train`) → adapters merged into a plain HF folder with a model
card (`merge`, `card`, `run`) → base vs fine-tuned readability and agreeability
(`evaluate`, `inspect_runs`), shown in `hvsb report` (`report`). torch and transformers
load only when a command runs.
"""
