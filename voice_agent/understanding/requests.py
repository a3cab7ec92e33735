"""What the caller is asking for: book, reschedule, cancel, balance, pay, price, and so on."""

# ruff: noqa: E501
from __future__ import annotations

import re
from typing import Literal

from voice_agent.engine.intents import detect_emergency, normalise, wants_human

Request = Literal[
    "emergency", "person", "reschedule", "cancel", "balance", "pay", "estimate",
    "appointments", "hours", "area", "message", "book",
]  # fmt: skip


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(rf"(?:\b{p}\b)" for p in patterns))


_RULES: tuple[tuple[Request, re.Pattern[str]], ...] = (
    ("reschedule", _rx(
        r"re ?schedul\w*", r"(?:move|change|push|switch|bump) (?:back |up )?(?:my|the|our|it|that)"
        r"(?: \w+)? (?:appointment|visit|booking|time|day|date|service call)",
        r"(?:move|change|push) it(?: to| back| up|$)", r"need to move (?:it|my|the)", r"different (?:day|time|date)", r"(?:do|pick|try) (?:another|a different) (?:day|time)",
        r"(?:won'?t|not gonna|not going to|can'?t) be (?:home|there|around)",
        r"(?:another|other) (?:day|time|date) for (?:my|the) (?:appointment|visit)",
        r"can'?t make (?:it|my appointment|the appointment)",
        r"reprogram\w*", r"(?:cambiar|mover|pasar|reagendar|recorrer) (?:mi|la|su)? ?(?:cita|visita)",
        r"cambiar (?:la )?(?:fecha|hora)", r"reagendar", r"otro dia para (?:mi|la) (?:cita|visita)",
        r"no (?:voy a|puedo) (?:estar|llegar)",
    )),
    ("cancel", _rx(r"cancel\w*", r"call off", r"don'?t need (?:the|my) (?:appointment|visit)",
                   r"anular", r"ya no (?:necesito|quiero) (?:la|mi) (?:cita|visita)")),
    ("balance", _rx(
        r"how much (?:do|did) (?:i|we) owe", r"what (?:do|did) (?:i|we) owe", r"(?:i|we) owe",
        r"balance", r"my (?:bill|invoice|statement)s?", r"(?:an?|the) (?:bill|invoice) (?:i|we) got",
        r"past due", r"overdue", r"send me (?:the|my|a copy of (?:the|my)) (?:bill|invoice)", r"unpaid", r"(?:the )?total on (?:my|our|the) account",
        r"what(?:'s| is) on (?:my|our) account", r"open invoices?", r"(?:got|received|have) (?:a|the|my) (?:bill|invoice)", r"(?:cuanto|que) (?:le )?debo", r"saldo", r"mi (?:factura|cuenta|recibo)",
        r"(?:la|una) factura", r"adeudo",
    )),
    ("pay", _rx(r"pay(?:ing)? (?:my|the|our|a|an)? ?(?:bill|invoice|balance)", r"make a payment",
                r"payment link", r"pay online", r"(?:pagar|hacer un pago|liga de pago|enlace de pago)")),
    ("estimate", _rx(
        r"estimate", r"quote", r"how much (?:is|are|does|do|would|will|for|to|it|you|they)\b",
        r"what(?:'s| is| does| would) (?:the |a |it )?(?:price|cost)", r"price", r"pricing",
        r"cost(?:s)? (?:to|for)", r"what do you charge", r"(?:cotizacion|cotizar|presupuesto)",
        r"cuanto (?:cuesta|cobran|sale|costaria|me cobra\w*|vale)", r"precio",
    )),
    ("appointments", _rx(
        r"when (?:is|are|will) (?:my|the|our) (?:appointment|technician|tech|visit|guy|plumber)",
        r"when (?:is|are) (?:you|they|someone|somebody)(?: guys)? (?:coming|showing)",
        r"what time (?:is|are) (?:my|the) (?:appointment|technician|tech|visit)",
        r"(?:my|the) (?:appointment|visit) (?:time|details|status)",
        r"(?:cuando|a que hora) (?:es|viene|llega|vienen|llegan) (?:mi|el|la)? ?(?:cita|tecnico|visita)?",
    )),
    ("hours", _rx(
        r"(?:what|which) (?:are )?(?:your|the) (?:hours|business hours|opening hours)",
        r"(?:are|is) (?:you|y'?all|you guys|the office) open", r"what time do you (?:open|close)",
        r"when do you (?:open|close)", r"your hours", r"horario", r"a que hora (?:abren|cierran)",
        r"estan abiertos",
    )),
    ("area", _rx(
        r"(?:do|does|can) (?:you|your|y'?all) (?:\w+ )?(?:service|serve|cover|come (?:out )?to|go to|work in)",
        r"service area", r"(?:is|are) \w+ (?:in|inside) your (?:area|service area)",
        r"(?:dan|tienen) servicio (?:en|a)", r"(?:llegan|van) hasta", r"area de servicio",
    )),
    ("message", _rx(
        r"leave (?:a |him |her |them )?(?:message|note|voicemail)", r"take a message",
        r"pass (?:along|on) a message", r"call me back", r"(?:tell|ask) \w+ to (?:give me a call|call me)",
        r"give me a call(?: back)?", r"have (?:someone|somebody) call me",
        r"(?:dejar|deje|dejarle) (?:un )?(?:mensaje|recado)", r"(?:tome|tomar) (?:un )?(?:mensaje|recado)",
        r"que me (?:llamen|regresen la llamada|devuelvan la llamada)",
    )),
)  # fmt: skip
_BOOK = _rx(
    r"book\w*", r"schedul\w*", r"appointment", r"someone (?:to )?(?:come|look|check)",
    r"somebody (?:to )?(?:come|look|check)", r"come (?:out|over|by|look)", r"send (?:someone|a tech\w*)",
    r"repair\w*", r"fix\w*", r"broke\w*", r"not (?:working|heating|cooling|draining|turning)",
    r"(?:doesn'?t|won'?t|isn'?t|stopped|quit) \w+", r"leak\w*", r"clog\w*", r"drip\w*",
    r"backed up", r"warm air", r"no (?:heat|hot water|ac|air|power|cold)", r"tune ?up",
    r"maintenance", r"service", r"install\w*", r"replace\w*", r"inspect\w*", r"check ?up",
    r"noise", r"making a \w+ (?:noise|sound)", r"smells?", r"(?:ac|a c|furnace|heater|water heater|"
    r"drain|toilet|sink|pipe|outlet|breaker|panel|thermostat|heat pump|disposal|faucet)",
    r"cita", r"(?:reservar|agendar|programar)", r"(?:que )?(?:venga|vengan|mande|manden) (?:alguien|un tecnico)",
    r"no (?:funciona|sirve|enfria|calienta|prende|jala)", r"(?:se )?(?:descompuso|rompio|tapo|tapado)",
    r"(?:fuga|gotea|goteando)", r"(?:calentador|aire acondicionado|aire|clima|calefaccion|drenaje|"
    r"fregadero|inodoro|excusado|tuberia|enchufe|contacto|boiler|lavabo|tina|regadera)",
    r"mantenimiento", r"revision", r"reparar|reparacion|arreglar|instalar|cambiar el",
)  # fmt: skip
_NOT_REQUEST = _rx(r"no (?:thanks|thank you|gracias)", r"never ?mind", r"olvidelo")


def classify_request(said: str) -> Request | None:
    """The caller's request, or None when it is not clear (ask again, never guess)."""
    if detect_emergency(said) is not None:
        return "emergency"
    if wants_human(said):
        return "person"
    words = normalise(said)
    if not words or _NOT_REQUEST.search(words):
        return None
    for request, pattern in _RULES:
        if pattern.search(words):
            if request == "pay" and _RULES[2][1].search(words):
                return "balance"
            return request
    return "book" if _BOOK.search(words) else None


_WORK = _rx(
    r"(?:ac|a c|air condition\w*|furnace|heater|water heater|drain|toilet|sink|pipe|outlet|breaker|"
    r"panel|thermostat|heat pump|disposal|faucet|tune ?up|install\w*|replace\w*|repair\w*|leak\w*|"
    r"clean\w*|inspect\w*|maintenance|calentador|aire|clima|calefaccion|drenaje|fregadero|inodoro|"
    r"tuberia|enchufe|panel|mantenimiento|limpieza|instalar|instalacion|reparar|reparacion|cambiar)",
)


def names_work(said: str) -> bool:
    """Whether `said` names the work to price ("a new water heater"), not only "a quote"."""
    return _WORK.search(normalise(said)) is not None


_ONLY_BOOKING = re.compile(
    r"^(?:(?:hi|hello|yes|yeah|um|uh|so|well|i'?d like to|i would like to|i want to|i need to|"
    r"can i|could i|can you|could you|i'?m calling to|hola|si|bueno|quiero|necesito|me gustaria|"
    r"quisiera|puedo)\s)*(?:book|schedule|make|set up|get|agendar|reservar|hacer|programar|sacar)"
    r"(?: (?:an?|una|un|me))? ?(?:appointment|visit|service call|service|cita|visita|servicio)?"
    r"(?: (?:please|por favor|with you|con ustedes))?$"
)


def only_booking(said: str) -> bool:
    """ "I'd like to book an appointment": a booking without the problem (ask what it is for)."""
    return _ONLY_BOOKING.match(normalise(said)) is not None
