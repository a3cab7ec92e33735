"""Spanish versions of every fixed caller-facing line, keyed by the English line.

`t(line, lang, **values)` gives one line in the caller's language (English lines are the keys,
so the code keeps reading naturally). `translate(text, lang)` turns a reply composed of known
lines ("Sorry, I couldn't book that. I can take a message ...") into Spanish sentence by
sentence; `{placeholders}` in a key match any text, and a `{list}` value has its final " or "
turned into " o ". Text it does not know (model output, already-Spanish read-backs) is left
as it is.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

SPANISH: dict[str, str] = {
    # opening line, disclosure, language choice
    "You're speaking with an automated assistant.": "Está hablando con un asistente automático.",
    "This call is recorded.": "Esta llamada se graba.",
    "This is a test call, so nothing will be booked or changed for real.": (
        "Esta es una llamada de prueba, así que no se reservará ni cambiará nada de verdad."
    ),
    "For Spanish, say 'español' or press 2.": "Para español, diga 'español' u oprima 2.",
    "How can I help you today?": "¿En qué le puedo ayudar hoy?",
    "Of course, we can continue in Spanish. How can I help you today?": (
        "Claro que sí, podemos seguir en español. ¿En qué le puedo ayudar hoy?"
    ),
    "Of course, we can continue in English. How can I help you today?": (
        "Of course, we can continue in English. How can I help you today?"
    ),
    # engine lines (dialogue.py)
    "Sorry, our system is slow right now. I can take a message and the office will call you "
    "back. What would you like me to pass on?": (
        "Disculpe, nuestro sistema está lento en este momento. Puedo tomar un mensaje y la "
        "oficina le devolverá la llamada. ¿Qué mensaje quiere dejar?"
    ),
    "Sorry, I couldn't finish that. I can take a message for the office instead. What would "
    "you like me to pass on?": (
        "Disculpe, no pude terminar eso. Puedo tomar un mensaje para la oficina. ¿Qué mensaje "
        "quiere dejar?"
    ),
    "We've covered a lot, so I'll have the office follow up with you directly. Thanks for "
    "calling, goodbye.": (
        "Hemos visto muchas cosas, así que la oficina se comunicará con usted directamente. "
        "Gracias por llamar, adiós."
    ),
    "This call has ended. Please call back any time. Goodbye.": (
        "Esta llamada ha terminado. Llámenos cuando quiera. Adiós."
    ),
    "Sorry, could you say that again?": "Disculpe, ¿me lo puede repetir?",
    "I'm connecting you to our on-call technician now.": (
        "Le comunico ahora con nuestro técnico de guardia."
    ),
    "Sure, I'll connect you with the office now.": "Claro, le comunico ahora con la oficina.",
    "Our office is closed right now, but I can take a message and someone will call you back. "
    "What would you like me to pass on?": (
        "Nuestra oficina está cerrada ahora, pero puedo tomar un mensaje y alguien le devolverá "
        "la llamada. ¿Qué mensaje quiere dejar?"
    ),
    # safety lines (intents.py)
    "If you smell gas, please leave the house now, don't flip any switches or use a lighter, "
    "and call 9 1 1 or your gas company from outside.": (
        "Si huele a gas, salga de la casa ahora, no toque ningún interruptor ni use "
        "encendedores, y llame al 9 1 1 o a su compañía de gas desde afuera."
    ),
    "If your carbon monoxide alarm is going off, get everyone outside into fresh air right "
    "away and call 9 1 1 if anyone feels dizzy, sick or has a headache.": (
        "Si su alarma de monóxido de carbono está sonando, saque a todos al aire libre de "
        "inmediato y llame al 9 1 1 si alguien se siente mareado, enfermo o con dolor de cabeza."
    ),
    "If water is pouring in, shut off the main water valve if you can do it safely, and "
    "stay away from any outlets or appliances near the water.": (
        "Si está entrando mucha agua, cierre la llave de paso principal si puede hacerlo sin "
        "peligro, y aléjese de enchufes o aparatos cerca del agua."
    ),
    "If you see sparks, smoke or smell burning, stay away from it, switch off the main "
    "breaker only if it's safe to reach, and call 9 1 1 if there is any fire or smoke.": (
        "Si ve chispas o humo, o huele a quemado, aléjese, apague el interruptor principal solo "
        "si puede llegar a él sin peligro, y llame al 9 1 1 si hay fuego o humo."
    ),
    # guided intake (guided.py)
    "What can we help you with today?": "¿En qué le podemos ayudar hoy?",
    "For your security, can you tell me the street address on your account?": (
        "Por su seguridad, ¿me puede decir la dirección que tiene en su cuenta?"
    ),
    "Can I have your first and last name, please?": "¿Me da su nombre y apellido, por favor?",
    "And what's the address where you need the service?": (
        "¿Y cuál es la dirección donde necesita el servicio?"
    ),
    "Which of those works best for you?": "¿Cuál de esos le queda mejor?",
    "Is there anything else I can help with?": "¿Hay algo más en que le pueda ayudar?",
    "I can take a message for the office. What would you like me to pass on?": (
        "Puedo tomar un mensaje para la oficina. ¿Qué mensaje quiere dejar?"
    ),
    "Goodbye!": "¡Adiós!",
    "Sorry, I couldn't find an open time.": "Disculpe, no encontré un horario disponible.",
    "I have {list}.": "Tengo {list}.",
    "No problem. I have {list}.": "No hay problema. Tengo {list}.",
    "I've got your request, and the office will confirm the time by text.": (
        "Ya tengo su solicitud, y la oficina le confirmará la hora por mensaje de texto."
    ),
    "Sorry, I couldn't book that.": "Disculpe, no pude hacer esa reserva.",
    "Thanks, I've passed that on and someone from the office will call you back.": (
        "Gracias, ya pasé el mensaje y alguien de la oficina le devolverá la llamada."
    ),
    "I'm sorry, I can't verify the account right now.": (
        "Lo siento, no puedo verificar la cuenta en este momento."
    ),
    "Sorry, that doesn't match what we have.": "Disculpe, eso no coincide con lo que tenemos.",
    "Sorry, something went wrong on our side.": "Disculpe, algo falló de nuestro lado.",
    "Sorry, I didn't catch that.": "Disculpe, no le entendí.",
    "Sorry, we don't serve {place}.": "Disculpe, no damos servicio en {place}.",
    "A quick question for the technician: {question}": (
        "Una pregunta rápida para el técnico: {question}"
    ),
    "No problem. Just so the technician comes prepared: {question}": (
        "No hay problema. Para que el técnico venga preparado: {question}"
    ),
    # tools (exits.py, booking.py)
    "I'll connect you with the office now.": "Le comunico ahora con la oficina.",
    "Thanks for calling {business}. Goodbye!": "Gracias por llamar a {business}. ¡Adiós!",
    "a service visit": "una visita de servicio",
    "Just to confirm: {service} at {address}, arriving {when}. Shall I book that?": (
        "Para confirmar: {service} en {address}, con llegada {when}. ¿Se lo reservo?"
    ),
    "You're booked: {service}{where}, arriving{when}.": (
        "Listo, queda reservado: {service}{where}, con llegada{when}."
    ),
    # honest words (issue 19): test bookings, and no call-back without a number to notify
    "Test booking: {service}{where}, arriving{when} (test — nothing was booked).": (
        "Reserva de prueba: {service}{where}, con llegada{when} (prueba: no se reservó nada)."
    ),
    "Sorry, our system is slow right now. I can take a message, and the office will see it "
    "first thing. What would you like me to pass on?": (
        "Disculpe, nuestro sistema está lento en este momento. Puedo tomar un mensaje, y la "
        "oficina lo verá a primera hora. ¿Qué mensaje quiere dejar?"
    ),
    "I've noted this as an emergency, and the office will see your message first thing. If "
    "anyone is in danger, hang up and call 9 1 1.": (
        "Lo anoté como una emergencia, y la oficina verá su mensaje a primera hora. Si alguien "
        "está en peligro, cuelgue y llame al 9 1 1."
    ),
    "I can't put you through to someone right now, but I can take a message and someone will "
    "call you back. What would you like me to pass on?": (
        "No puedo comunicarle con alguien en este momento, pero puedo tomar un mensaje y alguien "
        "le devolverá la llamada. ¿Qué mensaje quiere dejar?"
    ),
    "I can't put you through to someone right now, but I can take a message, and the office "
    "will see it first thing. What would you like me to pass on?": (
        "No puedo comunicarle con alguien en este momento, pero puedo tomar un mensaje, y la "
        "oficina lo verá a primera hora. ¿Qué mensaje quiere dejar?"
    ),
    "Thanks, I've passed that on, and the office will see your message first thing.": (
        "Gracias, ya pasé el mensaje, y la oficina lo verá a primera hora."
    ),
    "I'm sorry, that's taking longer than it should. I've noted what you asked, and if I "
    "can't sort it out, the office will see it first thing. What else can I help with?": (
        "Disculpe, esto está tardando más de lo normal. Ya anoté lo que me pidió, y si no lo "
        "puedo resolver, la oficina lo verá a primera hora. ¿En qué más le puedo ayudar?"
    ),
    # voice channel (voice.py, voice_calls.py, speech.py)
    "I'm sorry, something went wrong on my end. Could you tell me that once more?": (
        "Disculpe, algo falló de mi lado. ¿Me lo puede decir una vez más?"
    ),
    "I'm sorry, that's taking longer than it should. I've noted what you asked, and if I "
    "can't sort it out, someone from the office will call you back. What else can I help "
    "with?": (
        "Disculpe, esto está tardando más de lo normal. Ya anoté lo que me pidió, y si no lo "
        "puedo resolver, alguien de la oficina le llamará. ¿En qué más le puedo ayudar?"
    ),
    "I'm having trouble hearing you. Press 1 and I'll text you so we can carry on by "
    "message{person}.": (
        "Me cuesta escucharle. Oprima 1 y le envío un mensaje de texto para seguir por "
        "mensaje{person}."
    ),
    ", or press 0 to talk to someone": ", u oprima 0 para hablar con alguien",
    "I'll send you a text so we can pick this up there. Thanks for calling, goodbye.": (
        "Le enviaré un mensaje de texto para seguir por ahí. Gracias por llamar, adiós."
    ),
    "I'm sorry, I can't hear you on this line. Please call us back. Thanks for calling, goodbye.": (
        "Lo siento, no le escucho en esta línea. Por favor llámenos de nuevo. Gracias por "
        "llamar, adiós."
    ),
    "Hi, this is {business}. Sorry, we had trouble hearing you on the phone just now. "
    "Reply to this text and we'll help you here, or call us back anytime.": (
        "Hola, le escribe {business}. Disculpe, no le pudimos escuchar bien en la llamada. "
        "Responda a este mensaje y le ayudamos por aquí, o llámenos cuando quiera."
    ),
    "Thanks for calling. Goodbye.": "Gracias por llamar. Adiós.",
    "Sorry, I lost track of our call for a moment.": (
        "Disculpe, perdí el hilo de la llamada por un momento."
    ),
    " You can also press 1 for yes, or 2 for no.": (
        " También puede oprimir 1 para sí, o 2 para no."
    ),
    "I'm sorry, I'm having trouble on my end. Let me connect you with the office.": (
        "Disculpe, tengo un problema de mi lado. Le comunico con la oficina."
    ),
    "I'm sorry, I'm having trouble on my end right now. Please call us back in a few "
    "minutes. Goodbye.": (
        "Disculpe, tengo un problema de mi lado en este momento. Por favor llámenos en unos "
        "minutos. Adiós."
    ),
    "Connecting you now, one moment.": "Le comunico ahora, un momento.",
    "I'm sorry, nobody could pick up just now. Please tell me your name and a short message, "
    "and I'll make sure the team calls you back.": (
        "Lo siento, nadie pudo contestar en este momento. Dígame su nombre y un mensaje corto, "
        "y me aseguro de que el equipo le devuelva la llamada."
    ),
    "Thanks, I've passed that along. Someone will call you back soon. Goodbye.": (
        "Gracias, ya pasé el mensaje. Alguien le llamará pronto. Adiós."
    ),
    "No problem. We'll call you back at this number. Goodbye.": (
        "No hay problema. Le llamaremos a este número. Adiós."
    ),
    "One moment while I check that.": "Un momento mientras lo reviso.",
    "Let me look that up for you.": "Déjeme buscarlo.",
    "Okay, give me just a second.": "Muy bien, deme un segundo.",
    "Sure, checking now.": "Claro, lo reviso ahora.",
    "Bear with me one moment.": "Espéreme un momento, por favor.",
    "Alright, pulling that up.": "Muy bien, lo estoy buscando.",
    "Still working on it, thanks for waiting.": "Sigo en ello, gracias por esperar.",
    "Almost there, one more moment.": "Ya casi, un momento más.",
    "Thanks for your patience, nearly done.": "Gracias por su paciencia, ya casi termino.",
    "Sorry, I didn't catch that. Could you say it again?": (
        "Disculpe, no le entendí. ¿Me lo puede repetir?"
    ),
    "I'm having a little trouble hearing you. Could you repeat that, maybe a bit closer to "
    "the phone?": (
        "Me cuesta un poco escucharle. ¿Me lo puede repetir, quizá un poco más cerca del teléfono?"
    ),
    "Sorry, I'm not sure I heard that right. Could you say it once more?": (
        "Disculpe, no estoy seguro de haber escuchado bien. ¿Me lo puede decir otra vez?"
    ),
    "I didn't quite get that. Could you put it another way?": (
        "No le entendí bien. ¿Me lo puede decir de otra manera?"
    ),
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def t(line: str, lang: str, /, **values: object) -> str:
    """`line` (an English template) in `lang`, with `{placeholders}` filled from `values`."""
    template = SPANISH.get(line) if lang == "es" else line
    if template is None:
        log.debug("no Spanish line for %r", line[:60])
        template = line
    if not values:
        return template
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def t_all(lines: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """Each of `lines` in `lang` (for line sets such as fillers)."""
    return tuple(t(line, lang) for line in lines)


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    compiled: list[tuple[re.Pattern[str], str]] = []
    for english in sorted(SPANISH, key=len, reverse=True):
        if len(english) < 12 or english.startswith((" ", ",")):
            continue  # fragments are only translated on purpose, with `t`
        parts = _PLACEHOLDER.split(english)
        last = len(parts) - 2  # a placeholder that ends the line takes the rest of it
        regex = "".join(
            (f"(?P<{part}>.+)" if i == last and not parts[-1] else f"(?P<{part}>.+?)")
            if i % 2
            else re.escape(part)
            for i, part in enumerate(parts)
        )
        compiled.append((re.compile(regex), SPANISH[english]))
    return tuple(compiled)


def _fill(template: str, match: re.Match[str]) -> str:
    values = match.groupdict()
    if "list" in values:
        head, sep, tail = values["list"].rpartition(" or ")
        values["list"] = f"{head} o {tail}" if sep else tail
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def translate(text: str, lang: str) -> str:
    """A reply made of known English lines, in `lang` (unknown text is kept as it is)."""
    if lang != "es" or not text:
        return text
    exact = SPANISH.get(text)
    if exact is not None:
        return exact
    for pattern, template in _patterns():
        text = pattern.sub(lambda m, tpl=template: _fill(tpl, m), text)  # type: ignore[misc]
    return text
