"""A call's recordings on the dashboard: played and deleted through the server.

`GET /calls/{id}/recordings/{sid}` streams the MP3 from Twilio with the account's
credentials (the browser never sees them); `POST …/delete` deletes it at Twilio and marks
it deleted here.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask

from voice_agent.recordings import (
    RecordingsUnavailable,
    TwilioRecordings,
    delete_recording,
    is_recording_sid,
)
from voice_agent.storage.base import Recording
from voice_agent.web.guard import app_settings, app_store, dashboard_state
from voice_agent.web.routes_auth import guarded

CLIENT_KEY = "recordings_client"


def twilio_recordings(request: Request) -> TwilioRecordings:
    """The app's Twilio recordings client (built once; closed with the dashboard)."""
    client: TwilioRecordings | None = getattr(request.app.state, CLIENT_KEY, None)
    if client is None:
        try:
            client = TwilioRecordings.from_settings(app_settings(request))
        except RecordingsUnavailable as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        setattr(request.app.state, CLIENT_KEY, client)
        dashboard_state(request).closers.append(client.aclose)
    return client


async def _recording(request: Request, conversation_id: str, sid: str) -> Recording:
    found = await app_store(request).get_recording(sid) if is_recording_sid(sid) else None
    if found is None or found.conversation_id != conversation_id:
        raise HTTPException(status_code=404, detail="no such recording")
    if found.status == "deleted":
        raise HTTPException(status_code=410, detail="recording deleted")
    return found


@guarded.get("/calls/{conversation_id}/recordings/{sid}")
async def play_recording(request: Request, conversation_id: str, sid: str) -> Response:
    """The recording's audio, fetched from Twilio by the server."""
    recording = await _recording(request, conversation_id, sid)
    media = await twilio_recordings(request).open_media(
        recording.sid, range_header=request.headers.get("range")
    )
    if media.status not in (200, 206):
        await media.response.aclose()
        raise HTTPException(status_code=502, detail=f"Twilio answered {media.status}")
    headers = dict(media.headers)
    headers.setdefault("content-type", "audio/mpeg")
    return StreamingResponse(
        media.body,
        status_code=media.status,
        headers=headers,
        background=BackgroundTask(media.response.aclose),
    )


@guarded.post("/calls/{conversation_id}/recordings/{sid}/delete")
async def remove_recording(request: Request, conversation_id: str, sid: str) -> Response:
    """Delete the recording at Twilio and here, then back to the conversation."""
    recording = await _recording(request, conversation_id, sid)
    if not await delete_recording(app_store(request), twilio_recordings(request), recording.sid):
        raise HTTPException(status_code=502, detail="Twilio did not delete the recording")
    return RedirectResponse(f"/calls/{conversation_id}", status_code=303)
