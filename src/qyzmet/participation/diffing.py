"""The difference between two versions of a draft's text, for people: paragraphs compared with
difflib, and inside a changed paragraph the words, so a reader sees exactly which words went and
which came. The result is plain data the template renders as <del>/<ins>."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_WORDS = re.compile(r"\s+|[^\s]+")


def paragraphs(text: str) -> list[str]:
    """A text's paragraphs: blocks separated by blank lines (single line breaks inside a block
    are kept as spaces), without empty ones. Paragraph numbers are positions in this list + 1."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    return [" ".join(line.strip() for line in b.splitlines() if line.strip()) for b in blocks
            if b.strip()]


@dataclass
class Block:
    """One paragraph of the comparison: `kind` is equal | changed | added | removed, `parts`
    (op, text) with op equal | del | ins; `old`/`new` the paragraph numbers (None if absent)."""

    kind: str
    old: int | None
    new: int | None
    parts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Diff:
    blocks: list[Block]
    added: int = 0  # words inserted
    removed: int = 0  # words deleted
    changed_paragraphs: int = 0

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _count_words(text: str) -> int:
    return len(text.split())


def _words(old: str, new: str, diff: Diff) -> list[tuple[str, str]]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            removed = "".join(a[i1:i2])
            parts.append(("del", removed))
            diff.removed += _count_words(removed)
        if j2 > j1:
            added = "".join(b[j1:j2])
            parts.append(("ins", added))
            diff.added += _count_words(added)
    return parts


def text_diff(old: str, new: str) -> Diff:
    old_p, new_p = paragraphs(old), paragraphs(new)
    diff = Diff(blocks=[])
    matcher = difflib.SequenceMatcher(a=old_p, b=new_p, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for k in range(i2 - i1):
                diff.blocks.append(
                    Block("equal", i1 + k + 1, j1 + k + 1, [("equal", old_p[i1 + k])])
                )
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):  # paragraphs edited in place: compare their words
            diff.changed_paragraphs += 1
            diff.blocks.append(
                Block("changed", i1 + k + 1, j1 + k + 1, _words(old_p[i1 + k], new_p[j1 + k], diff))
            )
        for k in range(i1 + pairs, i2):
            diff.changed_paragraphs += 1
            diff.removed += _count_words(old_p[k])
            diff.blocks.append(Block("removed", k + 1, None, [("del", old_p[k])]))
        for k in range(j1 + pairs, j2):
            diff.changed_paragraphs += 1
            diff.added += _count_words(new_p[k])
            diff.blocks.append(Block("added", None, k + 1, [("ins", new_p[k])]))
    return diff
