"""Print the README's configuration table, or rewrite it in place: ``python -m devtools.settings_table [README.md]``."""

from __future__ import annotations

import sys
from pathlib import Path

from storefront.config import markdown_table, readme_with_table


def main(argv: list[str]) -> None:
    if not argv:
        sys.stdout.write(markdown_table())
        return
    readme = Path(argv[0])
    readme.write_text(readme_with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
