"""Prompt building: FIM templates per model family and prefix/suffix windows."""
from completion.prompt.templates import TEMPLATES, FimTemplate, family_from_metadata, get_template
from completion.prompt.window import Window, cut_window

__all__ = ["TEMPLATES", "FimTemplate", "Window", "cut_window", "family_from_metadata", "get_template"]
