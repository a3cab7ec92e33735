"""TwiML builders: Gather tuning, hints within Twilio's limits, escaping, transfers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from voice_agent.channels import twiml
from voice_agent.channels.twiml import VoiceStyle

STYLE = VoiceStyle("Polly.Joanna-Neural", "en-US", ("Furnace tune-up", "AC, repair", ""))


def test_auto_timeout_without_a_speech_model() -> None:
    gather = ET.fromstring(twiml.ask("Hi?", action="/t?seq=1", style=STYLE)).find("Gather")
    assert gather is not None
    assert gather.get("speechTimeout") == "auto" and gather.get("speechModel") is None


def test_a_named_speech_model_gets_a_numeric_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twiml, "SPEECH_MODEL", "experimental_conversations")
    gather = ET.fromstring(twiml.ask("Hi?", action="/t?seq=1", style=STYLE)).find("Gather")
    assert gather is not None
    assert gather.get("speechModel") == "experimental_conversations"
    assert gather.get("speechTimeout") == "1"


def test_hints_are_cleaned_and_bounded() -> None:
    assert STYLE.hints_text == "Furnace tune-up, AC  repair"
    many = VoiceStyle("v", "en-US", tuple(f"word{i}" * 30 for i in range(300)))
    hints = (many.hints_text or "").split(", ")
    assert len(hints) == twiml.MAX_HINTS and all(len(h) <= twiml.MAX_HINT_CHARS for h in hints)


def test_model_text_is_escaped() -> None:
    root = ET.fromstring(twiml.ask("<Hangup/> & more", action="/t?seq=1", style=STYLE))
    say = root.find("Gather/Say")
    assert say is not None and say.text == "<Hangup/> & more"
    assert root.find("Hangup") is None


def test_transfer_dials_with_action_and_caller_id() -> None:
    xml = twiml.transfer(
        "Connecting.",
        number="+13125550100",
        caller_id="+12125550199",
        action="/d?seq=2",
        style=STYLE,
    )
    dial = ET.fromstring(xml).find("Dial")
    assert dial is not None and dial.findtext("Number") == "+13125550100"
    assert dial.get("callerId") == "+12125550199" and dial.get("action") == "/d?seq=2"
    assert dial.get("answerOnBridge") == "true"


def test_goodbye_hangs_up_after_speaking() -> None:
    root = ET.fromstring(twiml.goodbye("Bye.", style=STYLE))
    assert [child.tag for child in root] == ["Say", "Pause", "Hangup"]
