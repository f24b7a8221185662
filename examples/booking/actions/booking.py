"""The booking assistant's Python actions (yours to edit; `assistc build` never
overwrites this file)."""

from __future__ import annotations

import hashlib

from actions._contracts import ActionContext, MakeBookingInput, MakeBookingOutput


def make_booking(inputs: MakeBookingInput, ctx: ActionContext) -> MakeBookingOutput:
    """Make the booking and return its reference (a stable hash stands in for a real
    reservation system here)."""
    summary = f"{inputs.cuisine}|{inputs.guests}|{inputs.date}|{inputs.time}|{inputs.email}"
    reference = hashlib.sha256(summary.encode()).hexdigest()[:6].upper()
    return MakeBookingOutput(booking_ref=reference)
