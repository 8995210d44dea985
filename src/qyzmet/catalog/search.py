"""The catalogue's search: forgiving, trilingual, and the same on every database.

A country pack has a few hundred services at most, so ranking happens in Python over an in-memory
index rebuilt only when the current versions change (keyed by their ids and checksums). That keeps
SQLite and PostgreSQL results identical, needs no database extension, and answers in about a
millisecond.

The index is a vocabulary of the words of every service's titles, summaries and `search_terms` in
kk, ru and en together — a Russian query finds a service while the interface speaks Kazakh. Words
are folded (case, ё→е, Kazakh letters to their Russian look-alikes, so `жургизуши` typed on a
Russian keyboard is `жүргізуші`). A query word matches a vocabulary word

* exactly,
* as another form of the same word (a long shared beginning: `справку`/`справка`,
  `потерял`/`потеря`, `registration`/`register`), or
* within a small edit distance that grows with the word (`adress`, `паспотр`),

and, when it is in Latin letters, also as transliterated Cyrillic (`propiska`) and as Cyrillic
typed with the wrong keyboard layout (`gfcgjhn` = `паспорт`). Each match counts by how rare the
word is (idf), how close the match is, and where the word stands (title > search term > summary);
words of the query that the vocabulary does not know at all (`how`, `мне`) are ignored instead of
sinking every result. A whole title or search-term phrase found in the query adds a bonus, so
`I moved` picks the service that lists that phrase.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from .package import LANGS, ServicePackage

_WORD = re.compile(r"\w+", re.UNICODE)

# Kazakh letters folded to the Russian letters people type instead of them (and ё→е, й→и).
_FOLD = str.maketrans(
    {
        "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х",
        "і": "и", "ё": "е", "й": "и",
    }
)  # fmt: skip
# Latin transliteration of Russian, longest spellings first.
_TRANSLIT = (
    ("shch", "щ"), ("sch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "е"), ("ye", "е"),
    ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"), ("g", "г"), ("d", "д"), ("e", "е"),
    ("z", "з"), ("i", "и"), ("j", "ж"), ("y", "ы"), ("k", "к"), ("q", "к"), ("c", "к"),
    ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("f", "ф"), ("h", "х"), ("x", "кс"),
)  # fmt: skip
# The Russian ЙЦУКЕН layout: what a key gives when the keyboard was left on English.
_LAYOUT = str.maketrans("qwertyuiop[]asdfghjkl;'zxcvbnm,.`", "йцукенгшщзхъфывапролджэячсмитьбюё")

WEIGHT_TITLE = 3.0
WEIGHT_TERM = 2.5
WEIGHT_SUMMARY = 1.0
SIM_PREFIX = 0.9
MIN_WORD = 2
RELATIVE_CUTOFF = 0.3


def search_normalise(text: str) -> str:
    """Lower case, ё→е, words separated by single spaces (a search term must keep a word)."""
    return " ".join(_WORD.findall(text.casefold().replace("ё", "е")))


def search_fold(text: str) -> list[str]:
    """The folded words of a text: the form both the vocabulary and queries are compared in."""
    return [w.translate(_FOLD) for w in _WORD.findall(text.casefold()) if w.strip("_")]


# --- word similarity ----------------------------------------------------------------------------


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts once), or `limit + 1` as
    soon as it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_typos(length: int) -> int:
    if length < 4:
        return 0
    return 1 if length < 7 else 2


def word_similarity(query: str, word: str) -> float:
    """How well one folded query word matches one folded vocabulary word, 0 for no match."""
    if query == word:
        return 1.0
    shortest = min(len(query), len(word))
    lcp = 0
    for ca, cb in zip(query, word, strict=False):
        if ca != cb:
            break
        lcp += 1
    # Another form of the same word: a long common beginning, differing only in the ending. A
    # short word must be whole and the ending short: "бала" (child) is not "балабақша".
    short_ok = lcp >= 5 or (lcp == shortest and abs(len(query) - len(word)) <= 2)
    if lcp >= 4 and lcp >= shortest - 3 and short_ok:
        return SIM_PREFIX + (0.05 if lcp == len(query) else 0.0)
    limit = _allowed_typos(len(query))
    if limit:
        distance = edit_distance(query, word, limit)
        if distance <= limit:
            return 0.85 - 0.1 * distance
        # A typo in a word whose ending also differs: compare the beginnings.
        if (
            len(query) >= 6
            and len(word) > len(query)
            and edit_distance(query, word[: len(query)], 1) <= 1
        ):
            return 0.7
    return 0.0


def _trigrams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _latin_variants(word: str) -> list[str]:
    """Cyrillic readings of a Latin word: transliterated, and retyped on the ЙЦУКЕН layout."""
    if not word.isascii() or not word.isalpha():
        return []
    out, i = [], 0
    while i < len(word):
        for latin, cyrillic in _TRANSLIT:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            i += 1
    variants = ["".join(out).translate(_FOLD), word.translate(_LAYOUT).translate(_FOLD)]
    return [v for v in dict.fromkeys(variants) if v and v != word]


# --- the index ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    code: str
    score: float


@dataclass
class SearchIndex:
    """Everything needed to rank the current services; build with `search_index_build`."""

    codes: list[str] = field(default_factory=list)
    # word -> {document index: the best field weight the word has in that document}
    postings: dict[str, dict[int, float]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    trigrams: dict[str, set[str]] = field(default_factory=dict)
    # Per document, the folded phrases (titles, search terms) that earn a bonus when quoted whole.
    phrases: list[list[tuple[str, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._match_cache: dict[str, list[tuple[str, float]]] = {}

    def matches(self, token: str) -> list[tuple[str, float]]:
        """The vocabulary words `token` matches, with their similarity (cached per index)."""
        cached = self._match_cache.get(token)
        if cached is not None:
            return cached
        found: dict[str, float] = {}
        for variant in [token, *_latin_variants(token)]:
            candidates: set[str] = set()
            if len(variant) < 4:
                candidates = {variant} if variant in self.postings else set()
            else:
                for gram in _trigrams(variant):
                    candidates |= self.trigrams.get(gram, set())
            penalty = 1.0 if variant == token else 0.9
            for word in candidates:
                sim = word_similarity(variant, word) * penalty
                if sim > found.get(word, 0.0):
                    found[word] = sim
        result = sorted(found.items())
        if len(self._match_cache) > 5000:
            self._match_cache.clear()
        self._match_cache[token] = result
        return result

    def rank(self, query: str) -> list[SearchHit]:
        """Every service matching `query`, best first; those far below the best are dropped."""
        tokens = [t for t in dict.fromkeys(search_fold(query)) if len(t) >= MIN_WORD]
        scores: dict[int, float] = defaultdict(float)
        covered: dict[int, int] = defaultdict(int)
        known = 0
        for token in tokens:
            matches = self.matches(token)
            if not matches:
                continue  # a word no service uses ("how", "мне"): no reason to sink anything
            known += 1
            best: dict[int, float] = {}
            for word, sim in matches:
                idf = self.idf[word]
                for doc, weight in self.postings[word].items():
                    value = sim * weight * idf
                    if value > best.get(doc, 0.0):
                        best[doc] = value
            for doc, value in best.items():
                scores[doc] += value
                covered[doc] += 1
        if not scores:
            return []
        folded = " " + " ".join(search_fold(query)) + " "
        for doc in list(scores):
            for phrase in self.phrases[doc]:
                if len(phrase) > 1 and f" {' '.join(phrase)} " in folded:
                    scores[doc] += sum(self.idf.get(w, 1.0) for w in phrase)
            scores[doc] *= 0.5 + 0.5 * covered[doc] / known
        top = max(scores.values())
        hits = [
            SearchHit(self.codes[doc], round(score, 6))
            for doc, score in scores.items()
            if score >= RELATIVE_CUTOFF * top
        ]
        return sorted(hits, key=lambda h: (-h.score, h.code))


def _texts_of(
    package: ServicePackage, synonyms: Sequence[Sequence[str]] = ()
) -> list[tuple[float, str]]:
    texts = [(WEIGHT_TITLE, package.titles.get(lang)) for lang in LANGS]
    texts += [(WEIGHT_SUMMARY, package.summary.get(lang)) for lang in LANGS]
    for lang in LANGS:
        texts += [(WEIGHT_TERM, term) for term in package.search_terms.get(lang, ())]
    # A synonym group joins the search terms when one of its phrases is in a title or term.
    own = " " + " ".join(" ".join(search_fold(t)) for w, t in texts if w != WEIGHT_SUMMARY) + " "
    for group in synonyms:
        if any(f" {' '.join(search_fold(p))} " in own for p in group):
            texts += [(WEIGHT_TERM, p) for p in group]
    return texts


def search_index_build(
    packages: Sequence[ServicePackage], synonyms: Sequence[Sequence[str]] = ()
) -> SearchIndex:
    """The index of these packages (one per code: pass the current versions), with the country
    pack's synonym groups (`countries/<cc>/search_synonyms.yaml`)."""
    index = SearchIndex()
    for doc, package in enumerate(packages):
        index.codes.append(package.code)
        phrases: list[tuple[str, ...]] = []
        for weight, text in _texts_of(package, synonyms):
            words = search_fold(text)
            if weight != WEIGHT_SUMMARY:
                phrases.append(tuple(words))
            for word in words:
                slot = index.postings.setdefault(word, {})
                slot[doc] = max(slot.get(doc, 0.0), weight)
        index.phrases.append(phrases)
    total = len(packages)
    for word, docs in index.postings.items():
        index.idf[word] = math.log(1.0 + total / len(docs))
        if len(word) >= 4:
            for gram in _trigrams(word):
                index.trigrams.setdefault(gram, set()).add(word)
    return index


_indexes: dict[tuple[object, ...], SearchIndex] = {}


def search_index_for(
    key: tuple[tuple[int, str], ...],
    packages: Sequence[ServicePackage],
    synonyms: tuple[tuple[str, ...], ...] = (),
) -> SearchIndex:
    """The index for a set of current versions, identified by their (id, checksum) pairs: a
    published version never changes, so the same key always means the same index."""
    full_key = (key, synonyms)
    index = _indexes.get(full_key)
    if index is None:
        if len(_indexes) > 8:
            _indexes.clear()
        index = _indexes[full_key] = search_index_build(packages, synonyms)
    return index
