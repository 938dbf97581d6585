"""Model backends: local llama.cpp in-process, remote HTTP servers, and the model registry.

Knows nothing of editors or LSP; the completion layer hands it a rendered prompt
and stop rules and gets a token stream's result back.
"""
