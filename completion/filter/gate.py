"""The server-side use of the acceptance model: skip generation, or hide a suggestion.

Cold start is the normal first state: with no model file every request is
generated and every suggestion shown, and the events gathered meanwhile are
what `tabstop flywheel train-filter` learns from. A small exploration rate
shows a few would-be-hidden suggestions anyway, so a trained filter keeps
receiving labels for the region it hides (otherwise it could never learn that
it was wrong there).
"""
from __future__ import annotations

import logging
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from completion.filter.model import AcceptanceModel

log = logging.getLogger(__name__)
ENV_MODEL = "TABSTOP_FILTER_MODEL"
MODEL_NAME = "filter.pt"


def resolve_model_path(setting_path: str, data_dir: Path) -> Path:
    """TABSTOP_FILTER_MODEL, else `filter.modelPath`, else `<user data dir>/filter.pt`."""
    env = os.environ.get(ENV_MODEL, "").strip()
    if env:
        return Path(env).expanduser()
    if setting_path.strip():
        return Path(setting_path.strip()).expanduser()
    return data_dir / MODEL_NAME


@dataclass
class Verdict:
    score: float | None  # None: no model for this stage
    hide: bool
    explored: bool = False  # shown although the model said hide (exploration)


class FilterGate:
    def __init__(self, model: AcceptanceModel | None = None, *, enabled: bool = True, threshold: float = 0.15,
                 skip_threshold: float = 0.05, min_skip_auc: float = 0.65, explore_rate: float = 0.0,
                 seed: int | None = None) -> None:
        self.model = model
        self.enabled = enabled
        self.threshold = threshold
        self.skip_threshold = skip_threshold
        self.min_skip_auc = min_skip_auc
        self.explore_rate = explore_rate
        self._rng = random.Random(seed)

    @property
    def active(self) -> bool:
        return self.enabled and self.model is not None

    @staticmethod
    def load_model(path: Path) -> AcceptanceModel | None:
        """The model at `path`, or None (cold start) when there is none or it cannot be read."""
        if not path.is_file():
            log.info("no filter model at %s: showing every suggestion (cold start)", path)
            return None
        try:
            model = AcceptanceModel.load(path)
        except ValueError as exc:
            log.warning("%s; filter disabled", exc)
            return None
        log.info("filter model loaded from %s (AUC %s)", path, model.metrics.get("auc"))
        return model

    def _verdict(self, score: float | None, threshold: float) -> Verdict:
        if score is None or score >= threshold:
            return Verdict(score, False)
        if self.explore_rate > 0 and self._rng.random() < self.explore_rate:
            return Verdict(score, False, explored=True)
        return Verdict(score, True)

    def can_skip(self) -> bool:
        """Skipping costs a suggestion the user never sees, so only a pre-generation model that
        proved itself on held-out events (AUC >= min_skip_auc at training time) may do it."""
        if not self.active or self.model is None or self.model.pre is None or self.skip_threshold <= 0:
            return False
        auc_pre = self.model.metrics.get("auc_pre")
        return isinstance(auc_pre, (int, float)) and auc_pre >= self.min_skip_auc

    def before(self, features: dict[str, Any]) -> Verdict:
        """Pre-generation: hide=True means "do not even generate"."""
        if not self.can_skip() or self.model is None:
            return Verdict(None, False)
        return self._verdict(self.model.score(features, "pre"), self.skip_threshold)

    def after(self, features: dict[str, Any]) -> Verdict:
        if not self.active or self.model is None:
            return Verdict(None, False)
        return self._verdict(self.model.score(features, "full"), self.threshold)
