"""The completion logic: analysis, context, prompts, post-processing, filter.

Never imports pygls/lsprotocol: the lsp layer converts protocol types into the
plain dataclasses in `completion.types`.
"""
