"""Step 5: clean up what the model produced. One small pure filter per file.

`postprocess` runs the filters in order; `stop_rule` builds the streaming stop
rule the backend calls between tokens, from the same block/line logic.
"""
from completion.postprocess.context import PostContext
from completion.postprocess.pipeline import FILTERS, postprocess, stop_rule

__all__ = ["FILTERS", "PostContext", "postprocess", "stop_rule"]
