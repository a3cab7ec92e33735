"""The scenario file format: readable errors, one or many per file, a round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_agent.scenarios import ScenarioError, load_scenarios, parse_scenarios, to_yaml


def test_a_minimal_scenario_gets_sensible_defaults() -> None:
    [scenario] = parse_scenarios("name: hello\nsay: [hi]\n", "x.yaml")
    assert scenario.caller.phone.startswith("+") and scenario.max_turns == 16
    assert scenario.source == "x.yaml" and scenario.expect.heard == []


def test_rules_take_one_phrase_or_several() -> None:
    [scenario] = parse_scenarios(
        "name: r\nwhen:\n  - {asks: address, say: '{address}'}\n  - {asks: [a, b], press: '1'}\n"
    )
    assert scenario.when[0].asks == ["address"] and scenario.when[1].asks == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nexpect: {outcome: bookd}\n", "x.yaml: expect.outcome: Input should be"),
        ("name: x\nsya: [hi]\n", "x.yaml: sya: Extra inputs are not permitted"),
        ("name: x\nexpect: {job: {starts_between: noon}}\n", "expected a local time range"),
        ("name: [unclosed\n", "x.yaml: not valid YAML"),
        ("- just a list\n", "x.yaml: expected a scenario"),
        ("say: [hi]\n", "x.yaml: name: Field required"),
    ],
)
def test_bad_files_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenarios(text, "x.yaml")
    assert message in str(caught.value)


def test_a_folder_loads_every_yaml_file_and_lists(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\n")
    (tmp_path / "b.yml").write_text("scenarios:\n  - name: b1\n  - name: b2\n")
    (tmp_path / "notes.txt").write_text("not a scenario")
    assert [s.name for s in load_scenarios([tmp_path])] == ["a", "b1", "b2"]
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenarios([tmp_path / "missing.yaml"])


def test_to_yaml_round_trips() -> None:
    text = (
        "name: round trip\ncaller: {phone: '+12125550111'}\nsay: [hello, 'yes']\n"
        "when: [{asks: name, say: Pat Lee}]\nexpect: {outcome: booked, heard: [booked]}\n"
    )
    [scenario] = parse_scenarios(text, "a.yaml")
    [again] = parse_scenarios(to_yaml(scenario), "a.yaml")
    assert again == scenario


def test_bare_yes_no_and_numbers_are_lines_not_booleans() -> None:
    [scenario] = parse_scenarios("name: y\nsay: [yes, no, 2]\nwhen: [{asks: sure, say: yes}]\n")
    assert scenario.say == ["yes", "no", "2"] and scenario.when[0].say == "yes"


def test_the_readme_example_is_a_valid_scenario() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Caller scenarios", 1)[1]
    block = section.split("```yaml", 1)[1].split("```", 1)[0]
    [scenario] = parse_scenarios(block, "README.md")
    assert scenario.when[0].say == "{address}" and scenario.when[1].press == "1"
    assert scenario.expect.job is not None and scenario.simulated is not None
