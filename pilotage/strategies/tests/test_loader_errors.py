"""Bad data files stop the load with file, record and reason, and write nothing."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from pilotage.core.datafiles import DataFileError
from pilotage.core.loading import shipped_data_load
from pilotage.registry.models import Organisation
from pilotage.strategies.models import Strategy, StrategyNode
from pilotage.taxonomies.models import Term

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A copy of the shipped data, for a test to spoil."""
    target = tmp_path / "data"
    shutil.copytree(settings.PILOTAGE_DATA_DIR, target)
    return target


def edit(path: Path, change) -> None:
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


def nothing_written() -> bool:
    return not (
        Strategy.objects.exists()
        or StrategyNode.objects.exists()
        or Organisation.objects.exists()
        or Term.objects.exists()
    )


def load_errors(data_dir: Path) -> list:
    with pytest.raises(DataFileError) as caught:
        shipped_data_load(data_dir)
    return caught.value.errors


def test_unknown_parent_code_names_file_record_and_reason(data_dir):
    path = data_dir / "strategies" / "DW2016.yaml"
    edit(path, lambda c: c["nodes"][-1].update(parent="9.9"))

    errors = load_errors(data_dir)

    assert len(errors) == 1
    assert errors[0].file == str(path)
    assert "node" in errors[0].record
    assert errors[0].reason == "unknown parent code '9.9'"
    assert nothing_written()


def test_duplicate_code_is_refused(data_dir):
    path = data_dir / "strategies" / "DW2016.yaml"
    edit(path, lambda c: c["nodes"].append(dict(c["nodes"][0])))

    errors = load_errors(data_dir)

    first = yaml.safe_load(path.read_text())["nodes"][0]["code"]
    assert [(e.record, e.reason) for e in errors] == [
        (f"node {first!r}", "duplicate code (twice in this file)")
    ]
    assert nothing_written()


def test_missing_required_field_is_refused(data_dir):
    path = data_dir / "strategies" / "PM40.yaml"
    edit(path, lambda c: c["nodes"][2].pop("title"))

    errors = load_errors(data_dir)

    assert len(errors) == 1
    assert errors[0].file == str(path)
    assert errors[0].record.startswith("nodes[2]") and errors[0].record.endswith(".title")
    assert errors[0].reason == "required field missing"
    assert nothing_written()


def test_invalid_enterprise_number_is_refused_with_a_clear_message(data_dir):
    path = data_dir / "organisations" / "public-bodies.yaml"
    edit(path, lambda c: c["organisations"][0].update(enterprise_number="0123.456.789"))

    errors = load_errors(data_dir)

    assert len(errors) == 1
    assert "organisation" in errors[0].record
    assert "0123.456.789" in errors[0].reason
    assert "chiffres de contrôle" in errors[0].reason  # the reason, in the default language
    assert nothing_written()


def test_unknown_term_is_refused(data_dir):
    path = data_dir / "organisations" / "clusters.yaml"
    edit(path, lambda c: c["organisations"][0].update(type="spaceship"))

    errors = load_errors(data_dir)

    assert [e.reason for e in errors] == [
        "unknown term 'spaceship' in taxonomy 'organisation-types'"
    ]


def test_an_error_in_one_file_leaves_a_loaded_database_untouched(data_dir, shipped_data):
    before = {n.code: n.title_fr for n in StrategyNode.objects.filter(strategy__code="DW2016")}
    path = data_dir / "strategies" / "DW2016.yaml"

    def spoil(content):
        content["nodes"][0]["title"]["fr"] = "Changed title"
        content["nodes"][1]["parent"] = "nowhere"

    edit(path, spoil)

    with pytest.raises(CommandError, match="Nothing was loaded"):
        call_command("load", data_dir=data_dir, no_progress=True)

    after = {n.code: n.title_fr for n in StrategyNode.objects.filter(strategy__code="DW2016")}
    assert after == before
