"""The block editor's one form, read without JavaScript: every block's fields (``b<N>-<field>``, ``count`` of
them) and the button pressed (``action``): ``save``, ``add:<type>``, ``up:<N>``, ``down:<N>``, ``delete:<N>``,
``addproduct:<N>:<product id>``. Every action posts all fields, so nothing typed is lost; the result is checked
as a whole (``blocks.validate_blocks``) before it is saved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from crm.campaigns.blocks import BLOCK_TYPES, MAX_BLOCKS, MAX_PRODUCTS, TYPE_FIELDS, BlocksRefused, new_block


def _ids(text: str, number: int) -> list[int]:
    parts = [part for part in text.replace(";", ",").replace(" ", ",").split(",") if part]
    if len(parts) > MAX_PRODUCTS:
        raise BlocksRefused(
            _("%(block)s: at most %(limit)s products in one block.", block=_("Block %(number)s", number=number),
              limit=MAX_PRODUCTS)
        )  # fmt: skip
    if not all(part.isdigit() and len(part) <= 10 for part in parts):
        raise BlocksRefused(
            _("%(block)s: product numbers are whole numbers separated by commas.",
              block=_("Block %(number)s", number=number))
        )  # fmt: skip
    return [int(part) for part in parts]


def blocks_from_form(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The posted blocks as raw dicts (their content is checked later, by ``validate_blocks``)."""
    count_text = form.get("count", "0")
    if not count_text.isdigit() or int(count_text) > MAX_BLOCKS:
        raise BlocksRefused(_("A message may have at most %(limit)s blocks.", limit=MAX_BLOCKS))
    blocks: list[dict[str, Any]] = []
    for index in range(int(count_text)):
        kind = form.get(f"b{index}-type", "")
        block: dict[str, Any] = {"type": kind}
        for field in TYPE_FIELDS.get(kind, {}):
            block[field] = form.get(f"b{index}-{field}", "")
        if kind == "products":
            block["ids"] = _ids(form.get(f"b{index}-ids", ""), index + 1)
        blocks.append(block)
    return blocks


def _index(text: str, blocks: list[dict[str, Any]]) -> int:
    if not text.isdigit() or int(text) >= len(blocks):
        raise BlocksRefused(_("This block no longer exists. Reload the page."))
    return int(text)


def apply_action(blocks: list[dict[str, Any]], action: str) -> tuple[list[dict[str, Any]], int | None]:
    """The blocks after the pressed button, and the block to scroll to."""
    name, _sep, argument = action.partition(":")
    blocks = list(blocks)
    if name in ("save", "template", ""):
        return blocks, None
    if name == "add":
        if argument not in BLOCK_TYPES:
            raise BlocksRefused(_("Unknown block type."))
        if len(blocks) >= MAX_BLOCKS:
            raise BlocksRefused(_("A message may have at most %(limit)s blocks.", limit=MAX_BLOCKS))
        blocks.append(new_block(argument))
        return blocks, len(blocks) - 1
    if name in ("up", "down", "delete"):
        index = _index(argument, blocks)
        if name == "delete":
            del blocks[index]
            return blocks, min(index, len(blocks) - 1) if blocks else None
        other = index - 1 if name == "up" else index + 1
        if 0 <= other < len(blocks):
            blocks[index], blocks[other] = blocks[other], blocks[index]
            return blocks, other
        return blocks, index
    if name == "addproduct":
        block_text, _sep, product_text = argument.partition(":")
        index = _index(block_text, blocks)
        if blocks[index].get("type") != "products" or not product_text.isdigit() or len(product_text) > 10:
            raise BlocksRefused(_("This block no longer exists. Reload the page."))
        product_id = int(product_text)
        ids = list(blocks[index].get("ids") or [])
        if product_id not in ids:
            ids.append(product_id)
        blocks[index] = {**blocks[index], "ids": ids}
        return blocks, index
    raise BlocksRefused(_("Unknown action. Reload the page."))
