"""A call's recordings on the dashboard: played and deleted through the server.

`GET /calls/{id}/recordings/{sid}` streams the MP3 from Twilio with the account's
credentials (the browser never sees them); `POST …/delete` deletes it at Twilio and marks
it deleted here.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.background import BackgroundTask

from voice_agent.deps import SettingsDep, StoreDep
from voice_agent.recordings import (
    RecordingsUnavailable,
    TwilioRecordings,
    delete_recording,
    is_recording_sid,
)
from voice_agent.settings import Settings
from voice_agent.storage.base import Recording, Store
from voice_agent.web.guard import DashboardDep, DashboardState
from voice_agent.web.routes_auth import guarded


def twilio_recordings(state: DashboardState, settings: Settings) -> TwilioRecordings:
    """The app's Twilio recordings client (built once; closed with the dashboard)."""
    if state.recordings is None:
        try:
            state.recordings = TwilioRecordings.from_settings(settings)
        except RecordingsUnavailable as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        state.closers.append(state.recordings.aclose)
    return state.recordings


async def _recording(store: Store, conversation_id: str, sid: str) -> Recording:
    found = await store.get_recording(sid) if is_recording_sid(sid) else None
    if found is None or found.conversation_id != conversation_id:
        raise HTTPException(status_code=404, detail="no such recording")
    if found.status == "deleted":
        raise HTTPException(status_code=410, detail="recording deleted")
    return found


@guarded.get("/calls/{conversation_id}/recordings/{sid}")
async def play_recording(
    request: Request,
    conversation_id: str,
    sid: str,
    store: StoreDep,
    settings: SettingsDep,
    state: DashboardDep,
) -> Response:
    """The recording's audio, fetched from Twilio by the server."""
    recording = await _recording(store, conversation_id, sid)
    media = await twilio_recordings(state, settings).open_media(
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
async def remove_recording(
    conversation_id: str, sid: str, store: StoreDep, settings: SettingsDep, state: DashboardDep
) -> Response:
    """Delete the recording at Twilio and here, then back to the conversation."""
    recording = await _recording(store, conversation_id, sid)
    if not await delete_recording(store, twilio_recordings(state, settings), recording.sid):
        raise HTTPException(status_code=502, detail="Twilio did not delete the recording")
    return RedirectResponse(f"/calls/{conversation_id}", status_code=303)
