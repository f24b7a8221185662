"""Support actions of the pizzeria (yours to edit; `assistc build` never overwrites it)."""

from __future__ import annotations

import logging

from actions._contracts import ActionContext, FileComplaintInput

log = logging.getLogger(__name__)


def file_complaint(inputs: FileComplaintInput, ctx: ActionContext) -> None:
    """Record the complaint where staff will see it."""
    log.info("complaint about %s: %s", inputs.order_id, inputs.complaint)
