"""A buyer's Telegram chat: linked once the buyer presses «Start» in the bot's chat with their one-time token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db import Base


class TelegramLink(Base):
    __tablename__ = "telegram_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id", ondelete="CASCADE"), unique=True)
    #: SHA-256 of the one-time deep-link token (the token itself is only in the buyer's link), and its end.
    start_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    start_token_expires_at: Mapped[datetime | None] = mapped_column()
    #: The private chat with the bot (= the user's Telegram id); None until linked and after unlinking.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    linked_at: Mapped[datetime | None] = mapped_column()
    #: When and why the chat was unlinked: «stop» (/stop), «account» (the profile button), «blocked» (the user
    #: blocked the bot; learned from an update or from a refused message).
    unlinked_at: Mapped[datetime | None] = mapped_column()
    unlink_reason: Mapped[str | None] = mapped_column(String(16))

    @property
    def linked(self) -> bool:
        return self.chat_id is not None
