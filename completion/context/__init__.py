"""Repository context for the prompt: analogy windows and signatures, packed under one token budget."""
