"""The shipped data in four languages: every text a record shows in French is in Dutch,
German and English too, as the data files give it; a plain text in a file is French only."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from modeltranslation.translator import translator

from pilotage.core.i18n import language_codes
from pilotage.core.loading import shipped_data_load
from pilotage.indicators.models import Indicator
from pilotage.strategies.models import Action, Strategy, StrategyNode
from pilotage.taxonomies.models import Term

pytestmark = pytest.mark.django_db

DATA = Path(settings.PILOTAGE_DATA_DIR)
OTHERS = [code for code in language_codes() if code != "fr"]


def record_name(record) -> str:
    """A record as a reader of the failure finds it in the data files."""
    parts = [type(record).__name__]
    for owner in ("strategy", "taxonomy", "indicator", "action"):
        related = getattr(record, owner, None) if hasattr(type(record), owner) else None
        if related is not None:
            parts.append(getattr(related, "code", str(related)))
    parts.append(str(getattr(record, "code", "") or record.pk))
    return " ".join(parts)


def test_every_shipped_record_has_its_four_translations(shipped_data):
    missing = []
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for record in model._base_manager.all():
            for field in fields:
                if not (getattr(record, f"{field}_fr") or "").strip():
                    continue
                for code in OTHERS:
                    if not (getattr(record, f"{field}_{code}") or "").strip():
                        missing.append(f"{record_name(record)}: {field}_{code}")
    for node in StrategyNode.objects.select_related("strategy"):
        for value in node.values:
            for code in OTHERS:
                if not (value.get(code) or "").strip():
                    missing.append(f"{record_name(node)}: values {value['fr']!r} {code}")

    assert not missing, "Translations missing:\n" + "\n".join(missing)


def texts_missing_a_language(node, where: str):
    """Every multilingual map ({fr: ...}) under `node` lacking a language, by its place."""
    if isinstance(node, dict):
        if "fr" in node and not any(isinstance(value, dict | list) for value in node.values()):
            for code in OTHERS:
                if node.get("fr") and not str(node.get(code) or "").strip():
                    yield f"{where}: {code}"
            return
        for key, value in node.items():
            yield from texts_missing_a_language(value, f"{where}.{key}")
    elif isinstance(node, list):
        for position, value in enumerate(node):
            code = value.get("code") if isinstance(value, dict) else None
            yield from texts_missing_a_language(
                value, f"{where}[{position}]" + (f" ({code})" if code else "")
            )


def test_every_text_of_the_data_files_is_in_four_languages():
    missing = []
    for path in sorted(DATA.rglob("*.yaml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing.extend(texts_missing_a_language(content, str(path.relative_to(DATA))))

    assert not missing, "Translations missing:\n" + "\n".join(missing)


def multilingual_maps(path: Path, section: str, field: str) -> dict[str, dict]:
    """{record code: {language: text}} for one field of one list of a data file."""
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(item["code"]): item[field] for item in content.get(section, []) if field in item}


def test_the_load_stores_every_language_of_the_files(shipped_data):
    files = sorted((DATA / "strategies").glob("*.yaml"))
    for path in files:
        strategy = yaml.safe_load(path.read_text(encoding="utf-8"))["strategy"]["code"]
        records = (
            (StrategyNode.objects.filter(strategy__code=strategy), "nodes"),
            (Action.objects.all(), "actions"),  # an action's code is unique across strategies
        )
        for queryset, section in records:
            for code, title in multilingual_maps(path, section, "title").items():
                record = queryset.get(code=code)
                assert {lang: getattr(record, f"title_{lang}") for lang in title} == title
    for path in sorted((DATA / "taxonomies").glob("*.yaml")):
        scheme = yaml.safe_load(path.read_text(encoding="utf-8"))["scheme"]["code"]
        for code, label in multilingual_maps(path, "terms", "label").items():
            term = Term.objects.get(taxonomy__code=scheme, code=code)
            assert {lang: getattr(term, f"label_{lang}") for lang in label} == label
    for path in sorted((DATA / "indicators").glob("*.yaml")):
        for code, unit in multilingual_maps(path, "indicators", "unit").items():
            indicator = Indicator.objects.get(code=code)
            assert {lang: getattr(indicator, f"unit_{lang}") for lang in unit} == unit


def test_a_plain_text_in_a_data_file_is_french_only(tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA, data_dir)
    path = data_dir / "strategies" / "PM1.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["strategy"]["title"] = "Premier plan, en français seulement"
    content["strategy"]["description"] = ""
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    shipped_data_load(data_dir)

    strategy = Strategy.objects.get(code=content["strategy"]["code"])
    assert strategy.title_fr == "Premier plan, en français seulement"
    assert [getattr(strategy, f"title_{code}") for code in OTHERS] == ["", "", ""]
    assert [getattr(strategy, f"description_{code}") for code in language_codes()] == [""] * 4


def test_a_province_has_one_name_per_language_on_the_map_and_in_the_filters(shipped_data):
    features = json.loads((DATA / "geo" / "provinces.geojson").read_text(encoding="utf-8"))
    terms = {term.code: term for term in Term.objects.filter(taxonomy__code="provinces")}
    for feature in features["features"]:
        properties = feature["properties"]
        term = terms[properties["code"]]
        names = {code: properties[f"name_{code}"] for code in language_codes()}
        assert names == {code: getattr(term, f"label_{code}") for code in language_codes()}
        assert properties["nis"] == term.notation
    assert {feature["properties"]["code"] for feature in features["features"]} == set(terms)
