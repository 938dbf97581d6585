"""Train the acceptance filter on the user's own labelled completions, honestly evaluated.

Time-ordered split: the newest `test_share` of labelled completions is held out
and never seen in training (a random split would leak a session's habits from
the future into the past and flatter the model). Within the training part the
newest slice is the early-stopping validation set. We report AUC, log loss
against a constant predictor (the training acceptance rate), and the trade-off
table: for each threshold, the share of rejected suggestions that would have
been hidden and the share of accepted ones that would have been lost.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from completion.filter.features import feature_names, vectorize
from completion.filter.model import HIDDEN, AcceptanceModel, StageModel, auc, build_net, log_loss
from completion.flywheel.dataset import CompletionRecord, labelled

THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6)


class NotEnoughData(ValueError):
    def __init__(self, need: int, have: int, message: str = "") -> None:
        self.need, self.have = need, have
        super().__init__(message or f"need {need} labelled events, have {have}")


@dataclass
class TradeoffRow:
    threshold: float
    hidden: float  # share of all held-out suggestions hidden
    rejected_hidden: float  # share of rejected suggestions hidden (the gain)
    accepted_lost: float  # share of accepted suggestions hidden (the cost)


@dataclass
class TrainReport:
    n_train: int
    n_test: int
    acceptance_train: float
    acceptance_test: float
    auc: float
    auc_pre: float
    log_loss: float
    log_loss_constant: float
    threshold: float
    at_threshold: TradeoffRow
    recommended_threshold: float
    skip_threshold: float
    skip_at_threshold: TradeoffRow
    table: list[TradeoffRow] = field(default_factory=list)
    epochs: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def tradeoff(labels: Sequence[int], scores: Sequence[float], threshold: float) -> TradeoffRow:
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    share = lambda xs: (sum(1 for s in xs if s < threshold) / len(xs)) if xs else 0.0  # noqa: E731
    return TradeoffRow(threshold, round(share(list(scores)), 4), round(share(neg), 4), round(share(pos), 4))


def recommend_threshold(labels: Sequence[int], scores: Sequence[float], max_accepted_loss: float) -> float:
    """The highest threshold that loses at most `max_accepted_loss` of accepted suggestions."""
    best = 0.0
    for i in range(1, 100):
        t = i / 100
        if tradeoff(labels, scores, t).accepted_lost <= max_accepted_loss:
            best = t
    return best


def fit_stage(train: Sequence[dict[str, Any]], y_train: Sequence[int], stage: str, *, seed: int = 0,
              max_epochs: int = 600, patience: int = 100, weight_decay: float = 0.05, lr: float = 0.01
              ) -> tuple[StageModel, int]:
    """Fit one stage's MLP with early stopping on the newest 20% of `train`."""
    import torch

    torch.manual_seed(seed)
    names = feature_names(stage)
    n_val = max(1, len(train) // 5)
    fit_rows, val_rows = list(train[:-n_val]), list(train[-n_val:])
    fit_y, val_y = list(y_train[:-n_val]), list(y_train[-n_val:])
    vectors = [vectorize(r, stage) for r in fit_rows]
    raw = torch.tensor([[v.get(n, 0.0) for n in names] for v in vectors], dtype=torch.float32)
    mean = raw.mean(0)
    std = raw.std(0, unbiased=False)
    std = torch.where(std < 1e-6, torch.ones_like(std), std)
    model = StageModel(stage, names, mean.tolist(), std.tolist(), {}, HIDDEN)
    x, xv = model.matrix(fit_rows), model.matrix(val_rows)
    y = torch.tensor(fit_y, dtype=torch.float32)
    yv = torch.tensor(val_y, dtype=torch.float32)
    net = build_net(len(names), HIDDEN)
    with torch.no_grad():  # start from the base rate, not from 0.5
        rate = min(0.99, max(0.01, float(y.mean()))) if len(fit_y) else 0.5
        net[-1].bias.fill_(math.log(rate / (1 - rate)))
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    best_loss, best_state, best_epoch, since_best = math.inf, None, 0, 0
    for epoch in range(max_epochs):
        net.train()
        opt.zero_grad()
        loss = loss_fn(net(x).reshape(-1), y)
        loss.backward()
        opt.step()
        net.eval()
        with torch.no_grad():
            val = float(loss_fn(net(xv).reshape(-1), yv))
        if val < best_loss - 1e-5:
            best_loss, best_epoch, since_best = val, epoch, 0
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        else:
            since_best += 1
            if since_best >= patience:
                break
    model.state = best_state or net.state_dict()
    return model, best_epoch + 1


def train_filter(records: Sequence[CompletionRecord], *, test_share: float = 0.2, min_events: int = 200,
                 min_per_class: int = 20, threshold: float = 0.15, skip_threshold: float = 0.05,
                 max_accepted_loss: float = 0.1, seed: int = 0) -> tuple[AcceptanceModel, TrainReport]:
    """Train both stages on time-ordered records; raises NotEnoughData with counts when it cannot."""
    import torch

    torch.set_num_threads(1)  # a 16-unit MLP gains nothing from more, and the machine is shared
    data = labelled(records)
    data.sort(key=lambda r: (r.ts, r.completion_id))
    labels = [r.label or 0 for r in data]
    n_pos = sum(labels)
    if len(data) < min_events:
        raise NotEnoughData(min_events, len(data))
    if min(n_pos, len(data) - n_pos) < min_per_class:
        raise NotEnoughData(min_events, len(data),
                            f"need {min_per_class} accepted and {min_per_class} rejected events, have {n_pos} "
                            f"accepted and {len(data) - n_pos} rejected")
    n_test = max(1, int(round(len(data) * test_share)))
    train, test = data[:-n_test], data[-n_test:]
    y_train, y_test = labels[:-n_test], labels[-n_test:]
    if len(set(y_test)) < 2:
        raise NotEnoughData(min_events, len(data), f"the newest {n_test} labelled events (held out for "
                            "evaluation) are all accepted or all rejected; need more varied data")
    feats = lambda rs: [r.features for r in rs]  # noqa: E731
    full, full_epochs = fit_stage(feats(train), y_train, "full", seed=seed)
    pre, pre_epochs = fit_stage(feats(train), y_train, "pre", seed=seed)
    scores = full.predict(feats(test))
    pre_scores = pre.predict(feats(test))
    rate_train = sum(y_train) / len(y_train)
    report = TrainReport(
        n_train=len(train), n_test=len(test),
        acceptance_train=round(rate_train, 4), acceptance_test=round(sum(y_test) / len(y_test), 4),
        auc=round(auc(y_test, scores), 4), auc_pre=round(auc(y_test, pre_scores), 4),
        log_loss=round(log_loss(y_test, scores), 4),
        log_loss_constant=round(log_loss(y_test, [rate_train] * len(y_test)), 4),
        threshold=threshold, at_threshold=tradeoff(y_test, scores, threshold),
        recommended_threshold=recommend_threshold(y_test, scores, max_accepted_loss),
        skip_threshold=skip_threshold, skip_at_threshold=tradeoff(y_test, pre_scores, skip_threshold),
        table=[tradeoff(y_test, scores, t) for t in THRESHOLDS],
        epochs={"full": full_epochs, "pre": pre_epochs},
    )
    model = AcceptanceModel(full, pre, threshold=report.recommended_threshold, metrics=report.to_dict())
    return model, report


def format_report(report: TrainReport) -> str:
    lines = [
        f"labelled completions: {report.n_train} train, {report.n_test} held out (newest)",
        f"acceptance rate: train {report.acceptance_train:.1%}, held out {report.acceptance_test:.1%}",
        f"AUC (held out): {report.auc:.3f} full model, {report.auc_pre:.3f} pre-generation model, 0.500 constant",
        f"log loss (held out): {report.log_loss:.4f} model vs {report.log_loss_constant:.4f} constant",
        "",
        "threshold  hidden  rejected hidden  accepted lost",
    ]
    for row in report.table:
        mark = " <" if abs(row.threshold - report.threshold) < 1e-9 else ""
        lines.append(f"  {row.threshold:5.2f}   {row.hidden:6.1%}   {row.rejected_hidden:13.1%}   "
                     f"{row.accepted_lost:11.1%}{mark}")
    a = report.at_threshold
    lines += [
        "",
        f"at filter.threshold={report.threshold:.2f}: hides {a.rejected_hidden:.1%} of rejected suggestions, "
        f"loses {a.accepted_lost:.1%} of accepted ones",
        f"recommended threshold (loses at most the allowed share of accepted): {report.recommended_threshold:.2f}",
        f"pre-generation skip at filter.skipThreshold={report.skip_threshold:.2f}: skips "
        f"{report.skip_at_threshold.rejected_hidden:.1%} of rejected, "
        f"{report.skip_at_threshold.accepted_lost:.1%} of accepted",
    ]
    return "\n".join(lines)
