"""Automatic coders: dictionary (exact, explainable, multilingual), supervised (skops),
evaluation against scikit-learn metrics, cross-validation."""

from __future__ import annotations

import re
import zipfile

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from nrel_research import coding
from nrel_research.coding._text import normalize
from nrel_research.coding.auto import _GROUP, _Matcher
from nrel_research.exceptions import DataError

# Short posts written for these tests (not from the codebook), several per language.
POSTS = [
    ("en", "R2", "Spring sale! 25% off every jacket, this weekend only. Shop now."),
    ("en", "E4", "GIVEAWAY time: follow us and tag a friend to win a year of free coffee."),
    ("en", "L1", "Quick poll: how often do you order groceries online?"),
    ("en", "E6", "Sorry for the delay, @sam. Please DM us your order number so we can help."),
    ("en", "E7", "Welcome aboard to our new distributor in Chile, Andes Supply!"),
    ("es", "R2", "¡Rebajas de verano! 30% de descuento en toda la tienda online."),
    ("es", "E4", "SORTEO: menciona a dos amigos y participa para ganar una cena."),
    ("es", "E3", "Ayúdanos a elegir el próximo sabor: ¡vota en la encuesta de producto!"),
    ("es", "E6", "Lo sentimos, Ana. Envíanos un mensaje privado con tu número de pedido."),
    ("fa", "R2", "حراج بزرگ پاییزه: ۴۰٪ تخفیف روی همه محصولات. همین حالا خرید کنید."),
    ("fa", "E4", "مسابقه اینستاگرامی! دوستان‌تان را تگ کنید و برنده جایزه شوید."),
    ("fa", "L1", "نظرسنجی: معمولاً چند بار در هفته قهوه می‌نوشید؟"),
    ("fa", "E6", "پوزش می‌خواهیم؛ لطفاً شماره سفارش را در دایرکت بفرستید تا پیگیری کنیم."),
    ("el", "R2", "Μεγάλες ΕΚΠΤΩΣΕΙΣ έως 50% σε όλα τα παπούτσια! Αγοράστε τώρα."),
    ("el", "E4", "ΔΙΑΓΩΝΙΣΜΟΣ! Κάνε tag δύο φίλους και κέρδισε ένα ταξίδι."),
    ("el", "L1", "Δημοσκόπηση: πόσο συχνά αγοράζετε βιβλία;"),
    ("el", "E7", "Καλωσορίζουμε τον νέο μας διανομέα στη Θεσσαλονίκη."),
]


@pytest.fixture(scope="module")
def posts():
    return pd.DataFrame(POSTS, columns=["language", "code", "text"])


@pytest.fixture(scope="module")
def coder():
    return coding.DictionaryCoder()


def test_dictionary_codes_posts_in_four_languages(coder, posts):
    pred = coder.predict(posts)
    assert list(pred) == posts.code.tolist()


def test_dictionary_is_accent_and_script_variant_insensitive(coder):
    same = [
        ("Μεγάλες ΕΚΠΤΩΣΕΙΣ σε όλα", "μεγαλες εκπτωσεις σε ολα"),
        ("διαγωνισμός με δώρα", "ΔΙΑΓΩΝΙΣΜΟΣ ΜΕ ΔΩΡΑ"),
        ("promoción: código de descuento", "PROMOCION: CODIGO DE DESCUENTO"),
        ("نظرسنجی درباره عادت‌ها", "نظر سنجي درباره عادتها"),  # ZWNJ/space, Arabic yeh
        ("۲۰٪ تخفیف ويژه", "20% تخفيف ویژه"),  # Persian digits and percent, Arabic yeh
        ("مسابقه", "مسابقة"),  # heh / teh marbuta
    ]
    for a, b in same:
        ea, eb = coder.explain([a]).iloc[0], coder.explain([b]).iloc[0]
        assert ea.code is not None and ea.code == eb.code and ea.all_rules == eb.all_rules, (a, b)


def test_explain_names_the_rules_that_fired(coder):
    out = coder.explain(
        pd.DataFrame({"text": ["Tag a friend to win our giveaway"], "language": ["en"]})
    )
    row = out.iloc[0]
    assert row.code == "E4"
    assert all(r.startswith("en:E4:") for r in row.rules.split(";"))
    assert "giveaway" in row.matched
    assert out.columns.tolist() == [
        "code",
        "secondary_code",
        "score",
        "rules",
        "matched",
        "all_rules",
    ]
    rules = coding.load_codebook().to_frame("dictionary").set_index("id")
    for rid in row.rules.split(";"):
        assert rules.loc[rid, "code"] == "E4"


def test_dictionary_has_scores_not_probabilities(coder):
    with pytest.raises(NotImplementedError, match="rule scores, not probabilities"):
        coder.predict_proba(["Win a prize"])


def test_unmatched_posts_stay_uncoded_unless_fallback(coder):
    assert coder.predict(["zzz qqq"]).tolist() == [None]
    assert coding.DictionaryCoder(fallback="R1").predict(["zzz qqq"]).tolist() == ["R1"]
    with pytest.raises(DataError, match="fallback='X1'"):
        coding.DictionaryCoder(fallback="X1")


def test_ties_follow_the_codebook_priority(coder):
    cb = coding.load_codebook()
    scores = coder.scores(["Vote in our contest"])  # E3 vote (2) vs E4 contest (2)
    assert scores.loc[0, "E3"] == scores.loc[0, "E4"] == 2
    first = min(("E3", "E4"), key=cb.priority.index)
    assert coder.predict(["Vote in our contest"])[0] == first


def test_fast_matcher_equals_naive_search_of_every_rule():
    cb = coding.load_codebook()
    texts = [t for _, _, t in POSTS] + cb.to_frame("examples").text.tolist()
    texts += ["Prices from €9, $5 or 20 EUR", "@brand congrats @rival!", "#win #giveaway"]
    texts += ["x20% off", "In collaboration with @ana", "ya disponibles en tienda", "۲۰ درصد تخفیف"]
    texts += coding.example_posts("illustrative").text.tolist()
    texts += coding.example_posts("heldout").text.tolist()
    for lang in (*cb.languages, None):
        rules = cb.rules_for(lang)
        matcher = _Matcher(rules)
        compiled = [
            (r.id, re.compile(_GROUP.sub("(?:", normalize(r.pattern)), re.I)) for r in rules
        ]
        for t in texts:
            fast = {rid for rid, _ in matcher.matches(normalize(t).casefold())}
            naive = {rid for rid, p in compiled if p.search(normalize(t))}
            assert fast == naive, (lang, t)


def test_language_column_restricts_rules(coder):
    # "sale" is an English sales word but also a Spanish verb ("sale" = goes out).
    frame = pd.DataFrame({"text": ["El tren sale a las 9"], "language": ["es"]})
    assert coder.explain(frame).iloc[0].all_rules == ""
    assert "en:R2" in coder.explain(["El tren sale a las 9"]).iloc[0].all_rules


def test_supervised_coder_fit_predict_proba_and_safe_round_trip(tmp_path, posts):
    sup = coding.SupervisedCoder().fit(posts, posts.code)
    assert list(sup.predict(posts)) == posts.code.tolist()  # training fit
    proba = sup.predict_proba(posts)
    assert proba.columns.tolist() == sorted(set(posts.code)) == list(sup.classes_)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    path = sup.save(tmp_path / "coder.skops")
    again = coding.SupervisedCoder.load(path)
    np.testing.assert_allclose(again.predict_proba(posts), proba, rtol=0, atol=1e-12)
    assert again.C == sup.C and again.char_ngrams == sup.char_ngrams


def test_loading_refuses_untrusted_types(tmp_path, posts):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    bad = tmp_path / "bad.skops"
    sio.dump({"pipeline": FunctionTransformer(func=print), "params": {}, "format": 1}, bad)
    with pytest.raises(DataError, match=r"never contains: builtins\.print; refusing to load it"):
        coding.SupervisedCoder.load(bad)
    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip")
    with pytest.raises(DataError, match="is not a skops file"):
        coding.SupervisedCoder.load(junk)
    assert zipfile.is_zipfile(
        coding.SupervisedCoder().fit(posts, posts.code).save(tmp_path / "m.skops")
    )


def test_supervised_errors(posts):
    with pytest.raises(DataError, match="not trained"):
        coding.SupervisedCoder().predict(["x"])
    with pytest.raises(DataError, match="position 1, value 'Z9': unknown code"):
        coding.SupervisedCoder().fit(["a", "b"], ["R1", "Z9"])
    with pytest.raises(DataError, match="got 2 posts but 1 codes"):
        coding.SupervisedCoder().fit(["a", "b"], ["R1"])
    with pytest.raises(DataError, match="lack the text column 'body'"):
        coding.DictionaryCoder(text="body").predict(posts)


def test_evaluate_matches_sklearn_and_krippendorff():
    rng = np.random.default_rng(3)
    codes = np.array(coding.load_codebook().codes)
    gold = rng.choice(codes[:6], 200)
    pred = np.where(rng.random(200) < 0.7, gold, rng.choice(codes[:7], 200)).astype(object)
    pred[:5] = None
    ev = coding.evaluate(pred, gold)
    filled = np.where(pred == None, "uncoded", pred)  # noqa: E711
    assert ev.metric("accuracy") == pytest.approx(accuracy_score(gold, filled))
    present = sorted(set(gold))
    assert ev.metric("macro_f1") == pytest.approx(
        f1_score(gold, filled, labels=present, average="macro", zero_division=0)
    )
    p, r, f, _ = precision_recall_fscore_support(gold, filled, labels=list(codes), zero_division=0)
    np.testing.assert_allclose(
        ev.per_code[["precision", "recall", "f1"]].to_numpy(), np.c_[p, r, f]
    )
    index = {c: i for i, c in enumerate(codes)}
    data = np.array(
        [[np.nan if v is None else index[v] for v in pred], [index[v] for v in gold]], dtype=float
    )
    oracle = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert ev.metric("krippendorff_alpha") == pytest.approx(oracle, rel=1e-12)
    assert ev.metric("n_uncoded") == 5 and ev.confusion["uncoded"].sum() == 5
    assert ev.confusion.to_numpy().sum() == 200
    assert "accuracy" in ev.summary()
    with pytest.raises(DataError, match="got 1 predicted and 2 gold"):
        coding.evaluate(["R1"], ["R1", "R2"])


def test_cross_validation_reports_overall_and_per_language_with_n(posts):
    big = pd.concat([posts] * 6, ignore_index=True)
    big["firm_id"] = np.arange(len(big)) % 12
    table = coding.cross_validate(coding.SupervisedCoder(), big, "code", k=3, seed=1)
    assert table.scope.tolist() == ["overall", "el", "en", "es", "fa"]
    assert table.n.tolist() == [len(big), 24, 30, 24, 24]
    assert table.columns.tolist() == ["scope", "n", "accuracy", "macro_f1", "n_uncoded"]
    again = coding.cross_validate(coding.SupervisedCoder(), big, "code", k=3, seed=1)
    pd.testing.assert_frame_equal(table, again)
    grouped, pred = coding.cross_validate(
        coding.DictionaryCoder(), big, "code", k=3, groups="firm_id", return_predictions=True
    )
    assert len(pred) == len(big) and grouped.loc[0, "n"] == len(big)
    with pytest.raises(DataError, match="need at least 5 posts of every code"):
        coding.cross_validate(coding.SupervisedCoder(), posts, "code", k=5)


def test_matcher_searches_alternatives_that_can_start_inside_words():
    from nrel_research.coding.codebook import DictionaryRule

    rules = [
        DictionaryRule("en:R2:1", "en", "R2", r"\d+ ?% off", 1.0),
        DictionaryRule("en:R2:2", "en", "R2", r"sale|\bdeal\b", 1.0),
        DictionaryRule("en:E4:1", "en", "E4", r"\b(?:in )?contest", 1.0),
    ]
    matcher = _Matcher(rules)
    assert matcher.matches("x20% off") == [("en:R2:1", "20% off")]
    assert {r for r, _ in matcher.matches("wholesale deal")} == {"en:R2:2"}
    assert matcher.matches("in contest") and matcher.matches("contest")
    assert not matcher.matches("idealist")
