"""How a legal text is shown: paragraphs split at blank lines, «## » starts a heading. Plain text only (no HTML
or markdown reaches the page: Jinja escapes every block), so staff cannot publish a script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    heading: bool
    text: str


def paragraphs(body: str) -> list[Block]:
    blocks = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith("## "):
            heading, _, chunk = chunk.partition("\n")
            blocks.append(Block(True, heading[3:].strip()))
            chunk = chunk.strip()
        if chunk:
            blocks.append(Block(False, chunk))
    return blocks
