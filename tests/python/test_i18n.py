"""French and English words (issue 12): every criterion and kind has both, numbers are written the local way."""
import pytest

import tierslieux as tl
from tierslieux import _i18n
from tierslieux._titles import LAYERS, field_title


def test_every_criterion_of_the_catalogue_has_a_title_in_both_languages():
    for name in tl.criteria()["name"]:
        for lang in _i18n.LANGS:
            assert _i18n.criterion_title(name, lang) != name, (name, lang)
            assert _i18n.criterion_description(name, lang) != name, (name, lang)
    assert _i18n.criterion_title("pop_20min", "fr") == "Population à 20 min"
    assert _i18n.criterion_title("active_7.5min", "en") == "Active residents within 7.5 min"
    assert field_title("sites", "contrib_pop_20min", "en")[0] == "Points: people within 20 min"


def test_languages_are_checked_and_french_is_the_default():
    assert _i18n.check_lang(None) == "fr"
    with pytest.raises(tl.InputError, match="'de' is not supported: use one of fr, en"):
        _i18n.check_lang("de")
    assert set(LAYERS["sites"]) == set(_i18n.LANGS)


def test_numbers_and_shares_are_written_as_each_language_does():
    assert _i18n.number(12345.678, "fr", 1) == "12\u202f345,7"
    assert _i18n.number(12345.678, "en", 1) == "12,345.7"
    assert _i18n.percent(0.425, "fr") == "42\u202f%" and _i18n.percent(0.425, "en") == "42%"
    assert _i18n.number(float("nan")) == "—"


def test_kinds_have_words_and_an_unknown_kind_stays_readable():
    assert _i18n.kind_label("town_hall", "fr") == "mairie"
    assert _i18n.kind_label("post_office", "en", plural=True) == "post offices"
    assert _i18n.kind_label("maison_de_sante", "fr") == "maison de sante"
