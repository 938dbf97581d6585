"""workspace/executeCommand handlers. `tabstop.accept` runs when the user accepts an item."""
from __future__ import annotations

import logging

from lsp.features.inline import ACCEPT_COMMAND

log = logging.getLogger(__name__)


def register(server) -> None:
    @server.command(ACCEPT_COMMAND)
    def accept(ls, completion_id: str = "") -> None:
        log.info("accepted completion %s", completion_id)
        if ls.services is not None:
            ls.services.engine.on_accept(str(completion_id))  # prefetch what comes next
        feedback = getattr(ls.services, "feedback", None) if ls.services else None
        if feedback is not None and completion_id:
            feedback.accepted(ls, str(completion_id))  # telemetry (docs/telemetry.md)
