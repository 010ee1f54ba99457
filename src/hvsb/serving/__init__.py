"""Model servers that hvsb starts for Inspect and lm-eval (vLLM's OpenAI-compatible server)."""
