"""Automatic coders of brand posts, evaluation against human codes, cross-validation.

Two coders share one interface - ``fit(posts, codes)``, ``predict(posts)`` and, where a
probability is meaningful, ``predict_proba(posts)``; ``posts`` is a sequence of texts, a
Series, or a DataFrame with a text column:

- :class:`DictionaryCoder`: transparent rules. Its patterns live in the codebook data
  (per language: en, es, fa, el); :meth:`DictionaryCoder.explain` says which rules fired
  for each post. It learns nothing (``fit`` only checks the input) and has no
  probabilities.
- :class:`SupervisedCoder`: a scikit-learn pipeline (TF-IDF of character 2-5-grams and
  word 1-2-grams on normalised text, multinomial logistic regression with balanced class
  weights) trained on human-coded posts; saved and loaded with skops, which refuses to
  load any object type that is not explicitly trusted.

:func:`evaluate` compares machine with human codes; :func:`cross_validate` reports
held-out macro-F1 overall and per language with the number of posts in each cell.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_positive_int
from ..exceptions import ConvergenceWarning, DataError
from ._text import normalize
from .codebook import Codebook, load_codebook

__all__ = [
    "DictionaryCoder",
    "Evaluation",
    "SupervisedCoder",
    "cross_validate",
    "evaluate",
    "prepare_text",
]

Posts = Sequence[str] | pd.Series | pd.DataFrame
UNCODED = "uncoded"
_GROUP = re.compile(r"(?<!\\)\((?!\?)")


def prepare_text(text: str) -> str:
    """Normalise and case-fold a post for the supervised coder's vectorisers.

    Examples
    --------
    >>> prepare_text("¡GRAN Sorteo! Ψηφίστε")
    '¡gran sorteo! ψηφιστε'
    """
    return normalize(text).casefold()


def _texts(posts: Posts, text: str) -> list[str]:
    if isinstance(posts, pd.DataFrame):
        if text not in posts.columns:
            raise DataError(
                f"posts lack the text column '{text}'; available: "
                f"{', '.join(map(str, posts.columns))}. Pass text='your_column'."
            )
        values = posts[text]
    elif isinstance(posts, str):
        raise DataError("posts must be a sequence of texts or a DataFrame, not a single string.")
    else:
        values = pd.Series(list(posts), dtype=object)
    return ["" if pd.isna(v) else str(v) for v in values]


def _languages(posts: Posts, language: str | None, n: int) -> list[str | None]:
    if language and isinstance(posts, pd.DataFrame) and language in posts.columns:
        return [None if pd.isna(v) else str(v).strip().lower() for v in posts[language]]
    return [None] * n


def _codes(codes: Sequence[str] | pd.Series, valid: tuple[str, ...], n: int) -> np.ndarray:
    out = np.array(["" if pd.isna(c) else str(c).strip().upper() for c in codes], dtype=object)
    if len(out) != n:
        raise DataError(f"got {n} posts but {len(out)} codes; give one code per post.")
    original = list(codes)
    for i, c in enumerate(out):
        if c not in valid:
            raise DataError(
                f"codes, position {i}, value {original[i]!r}: unknown code; use one of "
                f"{', '.join(valid)}."
            )
    return out


def _lower_pattern(pattern: str) -> str:
    r"""Case-fold a regular expression's literal characters, keeping escapes (``\S``)."""
    out, escaped = [], False
    for ch in pattern:
        out.append(ch if escaped else ch.casefold())
        escaped = ch == "\\" and not escaped
    return "".join(out)


def _split_alternatives(pattern: str) -> list[str]:
    """Split a regular expression at its top-level ``|``."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


_DIGIT = "\x00"  # index key: the alternative starts with a digit (\d)


def _prefixes(items: list, limit: int) -> set[str]:
    """Literal strings (up to ``limit`` long) one of which every match must start with."""
    from re import _constants as sc

    out: set[str] = set()

    def walk(seq: list, prefix: str) -> None:
        if len(prefix) >= limit or not seq:
            out.add(prefix)
            return
        op, av = seq[0]
        rest = seq[1:]
        if op is sc.LITERAL:
            ch = chr(av)
            if prefix and not _is_word(ch):  # keys are word starts or a single symbol
                out.add(prefix)
            elif not prefix and not _is_word(ch):
                out.add(ch)
            else:
                walk(rest, prefix + ch)
        elif op is sc.AT and av is sc.AT_BOUNDARY and not prefix:
            walk(rest, prefix)
        elif op is sc.SUBPATTERN:
            walk(list(av[-1]) + rest, prefix)
        elif op is sc.BRANCH:
            for alt in av[1]:
                walk(list(alt) + rest, prefix)
        elif op is sc.IN and len(av) <= 4 and all(o is sc.LITERAL for o, _ in av):
            for _, v in av:
                walk([(sc.LITERAL, v), *rest], prefix)
        elif op is sc.IN and av == [(sc.CATEGORY, sc.CATEGORY_DIGIT)] and not prefix:
            out.add(_DIGIT)  # a match starting with any digit
        elif op in (sc.MAX_REPEAT, sc.MIN_REPEAT):
            if av[0] == 0:
                walk(rest, prefix)  # the optional item skipped
            walk(list(av[2]), prefix)  # its first repetition, then stop extending
        else:  # anything else ends the literal prefix (still a valid, shorter prefix)
            out.add(prefix)

    walk(items, "")
    return out


_SCRIPTS = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "greek": re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"),
    "arabic": re.compile(r"[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]"),
}
_SCRIPT_LANGUAGES_BY_SCRIPT = {"latin": ("en", "es"), "greek": ("el",), "arabic": ("fa",)}
_SCRIPT_LANGUAGES = {lang for v in _SCRIPT_LANGUAGES_BY_SCRIPT.values() for lang in v}


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class _Matcher:
    r"""Fast exact matching of many dictionary rules on case-folded, normalised text.

    Every rule is split into its top-level alternatives. An alternative that must start
    at a word start (leading ``\b`` and a letter or digit) or at a symbol (``@``, ``#``,
    ``€``) is indexed by its possible first one to three word characters (or by "any
    digit") and tried only where a word starting with one of those keys occurs; the few
    others are searched in full.
    Each alternative is matched at each candidate position, so rules never mask each
    other: the result equals running every rule's ``search`` on the text.
    """

    LIMIT = 3

    def __init__(self, rules) -> None:
        from re import _constants as sc
        from re import _parser

        self.index: dict[str, list[tuple[str, re.Pattern]]] = {}
        scan: list[tuple[str, str]] = []
        for rule in rules:
            pattern = _lower_pattern(_GROUP.sub("(?:", normalize(rule.pattern)))
            for alt in _split_alternatives(pattern):
                parsed = list(_parser.parse(alt))
                bounded = bool(parsed) and parsed[0] == (sc.AT, sc.AT_BOUNDARY)
                keys = _prefixes(parsed, self.LIMIT)
                # Positions are word starts and symbols, so an alternative that can start
                # inside a word (no leading \b before a letter or digit) is searched in full.
                word_start = all(
                    k and (bounded or (k != _DIGIT and not _is_word(k[0]))) for k in keys
                )
                if keys and word_start and "" not in keys:
                    compiled = re.compile(alt)
                    for key in keys:
                        self.index.setdefault(key, []).append((rule.id, compiled))
                else:
                    scan.append((rule.id, alt))
        symbols = "".join(
            sorted({re.escape(k[0]) for k in self.index if k != _DIGIT and not _is_word(k[0])})
        )
        self.positions = re.compile(r"\b\w{1,3}" + (f"|[{symbols}]" if symbols else ""))
        self.cache: dict[str, tuple] = {}
        self.scan_names = {f"s{i}": rid for i, (rid, _) in enumerate(scan)}
        self.scan = (
            re.compile("|".join(f"(?P<s{i}>{alt})" for i, (_, alt) in enumerate(scan)))
            if scan
            else None
        )

    def _candidates(self, gram: str):
        """Alternatives that may match where ``gram`` starts, with one regex to test them all."""
        cands = tuple(c for k in range(1, len(gram) + 1) for c in self.index.get(gram[:k], ()))
        if gram[0].isdigit():
            cands += tuple(self.index.get(_DIGIT, ()))
        if not cands:
            return ()
        gate = re.compile("|".join(c.pattern for _, c in cands)) if len(cands) > 1 else None
        return gate, cands

    def matches(self, text: str) -> list[tuple[str, str]]:
        """Return ``(rule id, matched text)`` for every rule alternative that matches."""
        found = []
        if self.index:
            cache = self.cache
            for m in self.positions.finditer(text):
                gram = m.group()
                entry = cache.get(gram)
                if entry is None:
                    entry = cache[gram] = self._candidates(gram)
                if not entry:
                    continue
                pos = m.start()
                gate, cands = entry
                if gate is not None and gate.match(text, pos) is None:
                    continue  # no candidate matches here (the common case)
                for rid, compiled in cands:
                    hit = compiled.match(text, pos)
                    if hit:
                        found.append((rid, hit.group()))
        if self.scan is not None:
            for m in self.scan.finditer(text):
                found.append((self.scan_names[m.lastgroup], m.group()))
        return found


class DictionaryCoder:
    """Transparent rule-based coder using the codebook's dictionary patterns.

    Each rule is a regular expression for one code in one language (see the
    ``dictionary`` section of ``codebook.yaml``). A post's score for a code is the sum of
    the weights of its rules that match; the primary code is the highest score, ties
    broken by the codebook's ``priority`` order; a post where no code reaches
    ``min_score`` is left uncoded (``None``) unless ``fallback`` is given.

    Parameters
    ----------
    codebook : Codebook, optional
        Default: :func:`load_codebook`.
    text : str, default "text"
        Text column when posts are a DataFrame.
    language : str, default "language"
        Language column (ISO 639-1) when posts are a DataFrame: a post in a language with
        patterns is matched with that language's rules only. Any other post (or posts
        without the column) is matched with the rules of the languages written in the
        scripts it contains: Latin script - en and es; Greek - el; Arabic script - fa
        (rules of other languages added to the codebook are always used).
    fallback : str, optional
        Code given to posts where no rule fires (default: leave them uncoded).

    Examples
    --------
    >>> from nrel_research.coding import DictionaryCoder
    >>> coder = DictionaryCoder()
    >>> coder.predict(["Win a trip! Tag two friends to enter the giveaway.",
    ...                "Πάρτε μέρος στη δημοσκόπησή μας",
    ...                "Nothing to see"]).tolist()
    ['E4', 'L1', None]
    >>> coder.explain(["20% de descuento en toda la tienda"])[["code", "rules"]].iloc[0].tolist()
    ['R2', 'es:R2:1']
    """

    def __init__(
        self,
        codebook: Codebook | None = None,
        *,
        text: str = "text",
        language: str = "language",
        fallback: str | None = None,
    ):
        self.codebook = codebook or load_codebook()
        self.text = text
        self.language = language
        self.codes = self.codebook.codes
        if fallback is not None and fallback not in self.codes:
            raise DataError(f"fallback={fallback!r} is not a code; use one of {self.codes}.")
        self.fallback = fallback
        self._rank = {c: i for i, c in enumerate(self.codebook.priority)}
        self._weights = {r.id: r.weight for r in self.codebook.dictionary}
        self._code_of = {r.id: r.code for r in self.codebook.dictionary}
        self._matchers = {
            lang: _Matcher(self.codebook.rules_for(lang)) for lang in self.codebook.languages
        }
        self._matchers[None] = _Matcher(self.codebook.dictionary)

    # -- interface -------------------------------------------------------------------
    def fit(self, posts: Posts | None = None, codes: Sequence[str] | None = None):
        """Check the input and return ``self``: the dictionary coder learns nothing."""
        if posts is not None and codes is not None:
            texts = _texts(posts, self.text)
            _codes(codes, self.codes, len(texts))
        return self

    def _match(self, posts: Posts) -> list[dict[str, list[tuple[str, str]]]]:
        texts = _texts(posts, self.text)
        langs = _languages(posts, self.language, len(texts))
        code_of = self._code_of
        out = []
        for t, lang in zip(texts, langs, strict=True):
            matcher = self._matchers.get(lang) or self._script_matcher(t)
            fired: dict[str, list[tuple[str, str]]] = {}
            for rule, matched in matcher.matches(normalize(t).casefold()):
                hits = fired.setdefault(code_of[rule], [])
                if all(r != rule for r, _ in hits):
                    hits.append((rule, matched))
            out.append(fired)
        return out

    def _script_matcher(self, text: str) -> _Matcher:
        """Matcher for a post of unknown language: the languages of the scripts it uses."""
        flags = tuple(bool(p.search(text)) for p in _SCRIPTS.values())
        matcher = self._by_script.get(flags)
        if matcher is None:
            known = set(self._matchers)
            langs = {lang for lang in known if lang not in _SCRIPT_LANGUAGES}  # always used
            for script, present in zip(_SCRIPTS, flags, strict=True):
                if present:
                    langs |= known & set(_SCRIPT_LANGUAGES_BY_SCRIPT[script])
            key = langs or known
            rules = tuple(r for r in self.codebook.dictionary if r.language in key)
            matcher = self._by_script[flags] = _Matcher(rules)
        return matcher

    def _decide(
        self, fired: dict[str, list[tuple[str, str]]]
    ) -> tuple[list[str], dict[str, float]]:
        scores = {c: sum(self._weights[r] for r, _ in hits) for c, hits in fired.items()}
        ranked = sorted(
            (c for c, s in scores.items() if s >= self.codebook.min_score),
            key=lambda c: (-scores[c], self._rank[c]),
        )
        return ranked, scores

    def scores(self, posts: Posts) -> pd.DataFrame:
        """Return each post's rule score per code (rows: posts, columns: codes)."""
        rows = [self._decide(f)[1] for f in self._match(posts)]
        return pd.DataFrame(rows, columns=list(self.codes)).fillna(0.0)

    def predict(self, posts: Posts) -> np.ndarray:
        """Return the primary code of each post (``None`` where no rule fired)."""
        out = []
        for fired in self._match(posts):
            ranked, _ = self._decide(fired)
            out.append(ranked[0] if ranked else self.fallback)
        return np.array(out, dtype=object)

    def predict_proba(self, posts: Posts) -> pd.DataFrame:
        """Not available: rule scores are not probabilities (use :meth:`scores`)."""
        raise NotImplementedError(
            "the dictionary coder has rule scores, not probabilities; use scores(posts) or "
            "explain(posts), or SupervisedCoder.predict_proba for calibrated probabilities."
        )

    def explain(self, posts: Posts) -> pd.DataFrame:
        """Return, per post, the codes chosen and the rules that fired.

        Returns
        -------
        pandas.DataFrame
            ``code`` (primary), ``secondary_code`` (the runner-up that reached the minimum
            score, or empty), ``score``, ``rules`` (the ids of the rules that fired for
            the primary code, ``language:code:number``, ``;``-separated), ``matched`` (the
            text each of them matched) and ``all_rules`` (every rule that fired, for any
            code).
        """
        rows = []
        for fired in self._match(posts):
            ranked, scores = self._decide(fired)
            code = ranked[0] if ranked else self.fallback
            hits = fired.get(code, []) if code else []
            rows.append(
                {
                    "code": code,
                    "secondary_code": ranked[1] if len(ranked) > 1 else "",
                    "score": scores.get(code, 0.0) if code else 0.0,
                    "rules": ";".join(r for r, _ in hits),
                    "matched": ";".join(m for _, m in hits),
                    "all_rules": ";".join(r for c in self.codes for r, _ in fired.get(c, [])),
                }
            )
        return pd.DataFrame(
            rows, columns=["code", "secondary_code", "score", "rules", "matched", "all_rules"]
        )


# Types a saved SupervisedCoder may contain beyond skops' defaults; anything else in a
# file is refused.
_TRUSTED = {
    "nrel_research.coding.auto.prepare_text",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
}


class SupervisedCoder:
    """Supervised coder: TF-IDF character and word n-grams + logistic regression.

    Parameters
    ----------
    C : float, default 10.0
        Inverse regularisation strength of the logistic regression.
    char_ngrams, word_ngrams : tuple of int
        N-gram ranges of the character (within word boundaries) and word features.
    min_df : int, default 1
        Minimum number of posts a feature must occur in.
    text : str, default "text"
        Text column when posts are a DataFrame.
    seed : int, default 0
        Random state of the solver (the result is deterministic for a given seed).

    Notes
    -----
    Character n-grams on accent- and script-normalised text work across the four
    languages without tokenisers and tolerate spelling variants; balanced class weights
    keep rare codes from being ignored. Train it on human-coded posts that resemble the
    posts to be coded (platforms, sectors, languages) and check it on held-out posts
    with :func:`cross_validate` before relying on it.

    Examples
    --------
    >>> from nrel_research.coding import SupervisedCoder
    >>> texts = ["Win a prize in our contest", "Enter the giveaway and win",
    ...          "20% off all shoes", "Big sale: 30% off"]
    >>> coder = SupervisedCoder().fit(texts, ["E4", "E4", "R2", "R2"])
    >>> coder.predict(["Giveaway: win a trip", "Summer sale, 40% off"]).tolist()
    ['E4', 'R2']
    >>> coder.predict_proba(["Giveaway: win a trip"]).columns.tolist()
    ['E4', 'R2']
    """

    def __init__(
        self,
        *,
        C: float = 10.0,
        char_ngrams: tuple[int, int] = (2, 5),
        word_ngrams: tuple[int, int] = (1, 2),
        min_df: int = 1,
        text: str = "text",
        seed: int = 0,
    ):
        self.C = C
        self.char_ngrams = tuple(char_ngrams)
        self.word_ngrams = tuple(word_ngrams)
        self.min_df = min_df
        self.text = text
        self.seed = seed
        self.pipeline_ = None

    def _pipeline(self):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                (
                    "char",
                    TfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=self.char_ngrams,
                        preprocessor=prepare_text,
                        sublinear_tf=True,
                        min_df=self.min_df,
                    ),
                ),
                (
                    "word",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=self.word_ngrams,
                        preprocessor=prepare_text,
                        token_pattern=r"(?u)\b\w+\b",
                        sublinear_tf=True,
                        min_df=self.min_df,
                    ),
                ),
            ]
        )
        model = LogisticRegression(
            C=self.C,
            class_weight="balanced",
            solver="newton-cg",
            max_iter=1000,
            random_state=self.seed,
        )
        return Pipeline([("features", features), ("model", model)])

    @property
    def classes_(self) -> tuple[str, ...]:
        """The codes seen in training, in the order of :meth:`predict_proba`'s columns."""
        self._check_fitted()
        return tuple(self.pipeline_.classes_)

    def _check_fitted(self) -> None:
        if self.pipeline_ is None:
            raise DataError("this SupervisedCoder is not trained; call fit(posts, codes) first.")

    def fit(self, posts: Posts, codes: Sequence[str] | pd.Series):
        """Train on human-coded posts; returns ``self``."""
        texts = _texts(posts, self.text)
        valid = load_codebook().codes
        y = _codes(codes, valid, len(texts))
        if len(set(y)) < 2:
            raise DataError("training needs posts of at least two different codes.")
        from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
        from threadpoolctl import threadpool_limits

        # Single-threaded BLAS: on these small problems threads only add overhead.
        with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SklearnConvergenceWarning)
            self.pipeline_ = self._pipeline().fit(texts, y)
        for w in caught:
            warnings.warn(
                f"the supervised coder's logistic regression did not converge ({w.message}); "
                "raise C's regularisation (lower C) or check the training data.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def predict(self, posts: Posts) -> np.ndarray:
        """Return the most probable code of each post."""
        from threadpoolctl import threadpool_limits

        self._check_fitted()
        with threadpool_limits(1):
            return np.asarray(self.pipeline_.predict(_texts(posts, self.text)), dtype=object)

    def predict_proba(self, posts: Posts) -> pd.DataFrame:
        """Return the probability of each code (columns) for each post (rows)."""
        from threadpoolctl import threadpool_limits

        self._check_fitted()
        with threadpool_limits(1):
            proba = self.pipeline_.predict_proba(_texts(posts, self.text))
        return pd.DataFrame(proba, columns=list(self.pipeline_.classes_))

    def save(self, path: str | PathLike[str]) -> Path:
        """Save the trained coder with skops (no pickle); returns the path."""
        import skops.io as sio

        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sio.dump({"pipeline": self.pipeline_, "params": self._params(), "format": 1}, path)
        return path

    def _params(self) -> dict:
        return {
            "C": float(self.C),
            "char_ngrams": list(self.char_ngrams),
            "word_ngrams": list(self.word_ngrams),
            "min_df": int(self.min_df),
            "text": self.text,
            "seed": int(self.seed),
        }

    @classmethod
    def load(cls, path: str | PathLike[str]) -> SupervisedCoder:
        """Load a coder saved by :meth:`save`.

        skops rebuilds only object types it trusts. Beyond skops' defaults this trusts
        exactly the types a :class:`SupervisedCoder` consists of (scikit-learn's TF-IDF
        vectoriser, feature union, pipeline and logistic regression, and
        :func:`prepare_text`); a file holding anything else is refused with the list of
        unexpected types, so a tampered or foreign file cannot run code on loading.

        Raises
        ------
        DataError
            If the file does not exist, is not a skops file, or holds untrusted types.
        """
        import skops.io as sio

        path = Path(path)
        if not path.is_file():
            raise DataError(f"model file '{path}' does not exist.")
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as exc:  # zip/json errors from a file that is not a skops file
            raise DataError(f"model file '{path}' is not a skops file: {exc}.") from exc
        unexpected = sorted(set(untrusted) - _TRUSTED)
        if unexpected:
            raise DataError(
                f"model file '{path}' holds object types a SupervisedCoder never contains: "
                f"{', '.join(unexpected)}; refusing to load it. Only load model files you "
                "created or whose origin you trust."
            )
        state = sio.load(path, trusted=list(untrusted))
        params = dict(state["params"])
        params["char_ngrams"] = tuple(params["char_ngrams"])
        params["word_ngrams"] = tuple(params["word_ngrams"])
        coder = cls(**params)
        coder.pipeline_ = state["pipeline"]
        return coder


@dataclass(frozen=True)
class Evaluation:
    """Machine codes compared with human (gold) codes; see :func:`evaluate`."""

    overall: pd.DataFrame
    per_code: pd.DataFrame
    confusion: pd.DataFrame

    def metric(self, name: str) -> float:
        """Return one overall metric (``accuracy``, ``macro_f1``, ``krippendorff_alpha``...)."""
        values = self.overall.set_index("metric")["value"]
        if name not in values.index:
            raise DataError(f"unknown metric {name!r}; use one of {', '.join(values.index)}.")
        return float(values[name])

    def summary(self) -> str:
        """Return a short plain-text report."""
        lines = [
            f"{r.metric}: {r.value:.3f}" if isinstance(r.value, float) else f"{r.metric}: {r.value}"
            for r in self.overall.itertuples()
        ]
        return "\n".join(lines) + "\n\n" + self.per_code.round(3).to_string(index=False)


def evaluate(
    predicted: Sequence[str | None] | pd.Series,
    gold: Sequence[str] | pd.Series,
    *,
    codes: tuple[str, ...] | None = None,
) -> Evaluation:
    """Compare machine codes with human (gold) codes.

    Parameters
    ----------
    predicted : sequence
        Machine codes; ``None``/empty means the coder left the post uncoded.
    gold : sequence
        Human codes for the same posts, in the same order.
    codes : tuple of str, optional
        The code set (default: the codebook's codes).

    Returns
    -------
    Evaluation
        ``overall``: ``accuracy``, ``macro_f1`` (over the codes present in the gold
        standard), ``krippendorff_alpha`` (machine and human as two coders, nominal; posts
        the machine left uncoded are missing), ``n`` and ``n_uncoded`` (uncoded posts
        count as errors in accuracy and F1); ``per_code``: precision, recall, F1 and
        support per code; ``confusion``: gold codes (rows) by predicted codes (columns,
        with ``uncoded``).

    Notes
    -----
    Metrics are scikit-learn's (``accuracy_score``, ``precision_recall_fscore_support``
    with ``zero_division=0``); alpha is :func:`krippendorff_alpha`, checked against the
    ``krippendorff`` package.

    Examples
    --------
    >>> from nrel_research.coding import evaluate
    >>> ev = evaluate(["R2", "E4", None, "L1"], ["R2", "E4", "E3", "E3"])
    >>> round(ev.metric("accuracy"), 2), int(ev.metric("n_uncoded"))
    (0.5, 1)
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    from .reliability import krippendorff_alpha

    codes = codes or load_codebook().codes
    gold_arr = _codes(list(gold), codes, len(gold))
    pred = np.array(
        [
            UNCODED if (p is None or pd.isna(p) or str(p).strip() == "") else str(p).strip().upper()
            for p in predicted
        ],
        dtype=object,
    )
    if len(pred) != len(gold_arr):
        raise DataError(
            f"got {len(pred)} predicted and {len(gold_arr)} gold codes; they must pair up."
        )
    bad = [p for p in pred if p != UNCODED and p not in codes]
    if bad:
        raise DataError(f"predicted code {bad[0]!r} is unknown; use one of {', '.join(codes)}.")
    present = [c for c in codes if c in set(gold_arr)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold_arr, pred, labels=list(codes), zero_division=0
    )
    per_code = pd.DataFrame(
        {
            "code": list(codes),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": support,
        }
    )
    macro = float(per_code.set_index("code").loc[present, "f1"].mean()) if present else float("nan")
    machine = [None if p == UNCODED else p for p in pred]
    alpha = krippendorff_alpha([machine, list(gold_arr)])["alpha"] if len(pred) else float("nan")
    overall = pd.DataFrame(
        {
            "metric": ["accuracy", "macro_f1", "krippendorff_alpha", "n", "n_uncoded"],
            "value": [
                float(accuracy_score(gold_arr, pred)) if len(pred) else float("nan"),
                macro,
                alpha,
                float(len(pred)),
                float(np.sum(pred == UNCODED)),
            ],
        }
    )
    cols = [*codes, UNCODED]
    confusion = pd.crosstab(
        pd.Categorical(gold_arr, categories=list(codes)),
        pd.Categorical(pred, categories=cols),
        dropna=False,
    )
    confusion.index = pd.Index(list(codes), name="gold")
    confusion.columns = pd.Index(cols, name="predicted")
    return Evaluation(overall=overall, per_code=per_code, confusion=confusion)


def cross_validate(
    coder,
    posts: pd.DataFrame,
    codes: Sequence[str] | pd.Series | str,
    *,
    k: int = 5,
    by: str | None = "language",
    groups: str | None = None,
    seed: int = 0,
    return_predictions: bool = False,
):
    """Held-out performance of a coder: macro-F1 overall and per language, with n.

    Parameters
    ----------
    coder : DictionaryCoder or SupervisedCoder
        An unfitted coder; a fresh copy is trained on each training fold.
    posts : pandas.DataFrame
        Posts with the coder's text column (and ``by``/``groups`` columns).
    codes : sequence or str
        Human codes, or the name of the column of ``posts`` that holds them.
    k : int, default 5
        Number of folds (stratified by code).
    by : str, optional
        Column to break results down by (default ``"language"``); ``None`` for overall only.
    groups : str, optional
        Column of groups kept together in one fold (e.g. ``"firm_id"``, so that the coder
        is tested on firms it has not seen: the honest setting for new data).
    seed : int, default 0
        Seed of the fold assignment.
    return_predictions : bool, default False
        Also return the out-of-fold predictions.

    Returns
    -------
    pandas.DataFrame
        Rows ``scope`` = ``"overall"`` and one per value of ``by``, with ``n`` (posts),
        ``accuracy``, ``macro_f1`` (over the codes present in that cell) and
        ``n_uncoded``, computed on the pooled out-of-fold predictions (each post is
        predicted once by a model that did not see it). With ``return_predictions``, a
        tuple ``(table, predictions)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from nrel_research.coding import DictionaryCoder, cross_validate
    >>> posts = pd.DataFrame({"text": ["Win a prize!", "Enter our contest", "50% off today",
    ...                                "Big sale now"], "language": ["en"] * 4})
    >>> cross_validate(DictionaryCoder(), posts, ["E4", "E4", "R2", "R2"], k=2).n.tolist()
    [4, 4]
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    k = check_positive_int(k, "k", minimum=2)
    if not isinstance(posts, pd.DataFrame):
        raise DataError("posts must be a DataFrame for cross-validation.")
    y_raw = posts[codes] if isinstance(codes, str) else codes
    y = _codes(list(y_raw), load_codebook().codes, len(posts))
    counts = pd.Series(y).value_counts()
    if counts.min() < k and groups is None:
        rare = ", ".join(f"{c} ({n})" for c, n in counts[counts < k].items())
        raise DataError(
            f"k={k} folds need at least {k} posts of every code; too few for {rare}. "
            "Lower k or code more posts."
        )
    if groups is not None:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = splitter.split(np.zeros(len(y)), y, posts[groups].astype(str))
    else:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        splits = splitter.split(np.zeros(len(y)), y)
    pred = np.empty(len(y), dtype=object)
    for train, test in splits:
        model = copy.deepcopy(coder)
        model.fit(posts.iloc[train], y[train])
        pred[test] = model.predict(posts.iloc[test])
    cells = [("overall", np.ones(len(y), dtype=bool))]
    if by is not None:
        if by not in posts.columns:
            raise DataError(f"posts lack the column by={by!r}; use by=None for overall only.")
        for value in sorted(posts[by].dropna().astype(str).unique()):
            cells.append((value, (posts[by].astype(str) == value).to_numpy()))
    rows = []
    for scope, mask in cells:
        ev = evaluate(list(pred[mask]), list(y[mask]))
        rows.append(
            {
                "scope": scope,
                "n": int(mask.sum()),
                "accuracy": ev.metric("accuracy"),
                "macro_f1": ev.metric("macro_f1"),
                "n_uncoded": int(ev.metric("n_uncoded")),
            }
        )
    table = pd.DataFrame(rows)
    if return_predictions:
        return table, pd.Series(pred, index=posts.index, name="predicted")
    return table
