"""A staff reply turned into an answer entry from /missed: the reply shown under its group,
the report texts nearest it offered to pick from, the pick written, or "都不对".

The reply is never the answer: the curator picks the report text that says what the staff
said (bot.curation.staff_replies), and a reply the reports do not support stays a missed
question. The buttons ("m:r", "m:u", "m:n") are steps of bot.telegram.curators's one
curator button handler, which checks who taps them.
"""

from __future__ import annotations

import asyncio
from html import escape

from telegram import InlineKeyboardMarkup, Update

from bot.curation.service import (
    MissedGroup,
    Proposal,
    answer_from_reply,
    decline,
    propose,
    reply_of,
    shortened,
)
from bot.engine import messages as texts
from bot.store.handovers import Handover
from bot.store.question_log import Store
from bot.telegram import callbacks
from bot.telegram.context import Context
from bot.telegram.curator_chat import CuratorStep, close_buttons, say
from bot.telegram.keyboards import Rows, button, rows

MAX_SHOWN = 2  # staff replies shown under a group, newest first (each with its button)


def staff_reply_lines(group: MissedGroup) -> list[str]:
    """A group's staff replies as /missed shows them, masked and shortened."""
    return [
        texts.GROUP_STAFF_REPLY.format(
            handover=handover.id,
            when=escape((handover.replied_at or "")[:16].replace("T", " ")),
            reply=escape(shortened(handover.reply or "")),
        )
        for handover in group.staff_replies[:MAX_SHOWN]
    ]


def staff_reply_buttons(group: MissedGroup) -> Rows:
    """One "用工作人员答复生成答案" button per staff reply shown."""
    shown = group.staff_replies[:MAX_SHOWN]
    return rows(
        *(
            [
                button(
                    _tagged(texts.FROM_REPLY_BUTTON, h, len(shown)), callbacks.from_reply_data(h.id)
                )
            ]
            for h in shown
        )
    )


def _tagged(label: str, handover: Handover, shown: int) -> str:
    return label if shown == 1 else f"{label} #{handover.id}"


def proposals_text(group: MissedGroup, handover: Handover, proposals: list[Proposal]) -> str:
    lines = [
        texts.PROPOSALS_HEADER.format(
            group=escape(group.id),
            question=escape(handover.question),
            handover=handover.id,
            reply=escape(handover.reply or ""),
        )
    ]
    for number, proposal in enumerate(proposals, start=1):
        lines.append(
            texts.PROPOSAL.format(
                number=number, text=escape(proposal.text), citation=escape(proposal.citation)
            )
        )
    if not proposals:
        lines.append(escape(texts.NO_PROPOSALS))
    return "\n\n".join(lines)


def proposals_markup(handover_id: str, proposals: list[Proposal]) -> InlineKeyboardMarkup:
    picks = [
        [
            button(
                texts.PROPOSAL_BUTTON.format(number=number),
                callbacks.use_proposal_data(handover_id, proposal.id),
            )
        ]
        for number, proposal in enumerate(proposals, start=1)
    ]
    none = [button(texts.NONE_FITS_BUTTON, callbacks.none_fits_data(handover_id))]
    return InlineKeyboardMarkup(rows(*picks, none))


async def _proposals(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """The report texts nearest the staff reply, each with its source, to pick one."""
    engine = context.bot_data.engine
    group, handover = await asyncio.to_thread(reply_of, store, tapped.handover_id or "")
    proposals = await asyncio.to_thread(propose, engine, handover.question, handover.reply or "")
    await say(
        update,
        proposals_text(group, handover, proposals),
        proposals_markup(handover.id, proposals),
    )
    return None


async def _use_proposal(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """Answer the group with the picked report text; the reply kept as provenance."""
    settings = context.bot_data.settings
    outcome = await asyncio.to_thread(
        lambda: answer_from_reply(
            settings.root,
            store,
            context.bot_data.engine,
            tapped.handover_id or "",
            tapped.entry_id or "",
            curated=settings.curated_path,
        )
    )
    # The file was validated by loading it: that engine is the reload.
    context.bot_data.engine = outcome.engine
    entry = outcome.engine.kb.entries[outcome.entry_id]
    return texts.FROM_REPLY_WRITTEN.format(question=entry.question)


async def _none_fits(
    update: Update, context: Context, store: Store, tapped: callbacks.Button
) -> str | None:
    """Nothing written: say why under the proposals; the question stays in /missed."""
    await asyncio.to_thread(decline, store, tapped.handover_id or "")
    await close_buttons(update, texts.REPLY_UNSUPPORTED, "✖")
    return None


STAFF_REPLY_STEPS: dict[str, CuratorStep] = {
    "from_reply": _proposals,
    "use_proposal": _use_proposal,
    "none_fits": _none_fits,
}
