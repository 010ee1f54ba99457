"""Model-side computations hvsb runs itself (nothing here knows an evaluation framework)."""
