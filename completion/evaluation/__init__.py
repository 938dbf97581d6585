"""`tabstop eval`: a CrossCodeEval-style cross-file benchmark run through the server's own pipeline."""
