"""Runs view: the list of runs, one run's details, probe images, and live updates."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Response, WebSocket, WebSocketDisconnect
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from convlens import views
from convlens.pipelines import RunCatalogue

from ._deps import CatalogueDep, RunDep
from ._errors import PNG, errors
from ._schemas import RunDetail, RunSummary
from ._security import websocket_allowed

router = APIRouter(tags=["runs"])


def list_summaries(catalogue: RunCatalogue) -> list[dict]:
    return [views.run_card(catalogue, r) for r in catalogue.runs()]


@router.get("/api/runs", response_model=list[RunSummary], responses=errors())
def runs(catalogue: CatalogueDep) -> list[dict]:
    """Every run in the folder, newest first."""
    return list_summaries(catalogue)


@router.get("/api/runs/{run}", response_model=RunDetail, responses=errors(404, 409))
def run_detail(catalogue: CatalogueDep, run: RunDep) -> dict:
    """One run: metrics per epoch, recorded layers, probe set, and a plain summary."""
    return views.run_detail(catalogue, run)


@router.get(
    "/api/runs/{run}/probe/{index}.png",
    response_class=Response,
    responses={**errors(404, 409), **PNG},
)
def probe_png(catalogue: CatalogueDep, run: RunDep, index: int) -> Response:
    """Probe image ``index`` as a PNG."""
    png = views.downsized_png(catalogue.probe_image(run, index))
    return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


_BINARY = {"schema": {"type": "string", "format": "binary"}}
MEDIA: dict[int | str, dict] = {
    200: {
        "description": "The whole file.",
        "content": {t: _BINARY for t in ("video/mp4", "video/webm", "image/gif", "image/png")},
    },
    206: {"description": "The bytes a Range header asked for (browsers seek in a video so)."},
    416: {"description": "The Range header asks for bytes past the end of the file."},
}


@router.get(
    "/api/runs/{run}/media/{name}",
    response_class=FileResponse,
    responses={**errors(404, 409), **MEDIA},
)
def media(
    run: RunDep,
    name: Annotated[str, PathParam(description="a file in the run's media/ folder")],
) -> FileResponse:
    """The run's video (``video.mp4``) or a picture under ``media/``; answers Range requests."""
    path, media_type = views.media_file(run, name)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


def _signature(runs_dir: Path) -> tuple:
    if not runs_dir.is_dir():
        return ()
    sig = []
    for mf in sorted(runs_dir.glob("*/manifest.json")):
        with contextlib.suppress(OSError):
            st = mf.stat()
            sig.append((mf.parent.name, st.st_mtime_ns, st.st_size))
    return tuple(sig)


@router.websocket("/api/live")
async def live(websocket: WebSocket) -> None:
    """Sends ``{"type": "runs", "runs": [...]}`` on connect and whenever a run changes, and
    ``{"type": "job", "job": {...}}`` whenever a background job moves (at most every 0.1 s per
    job, and always its last state)."""
    if not websocket_allowed(websocket):
        await websocket.close(code=1008)
        return
    catalogue: RunCatalogue = websocket.app.state.inspector
    interval: float = websocket.app.state.settings.live_interval
    await websocket.accept()
    loop = asyncio.get_running_loop()
    moved: dict[str, dict] = {}
    wake = asyncio.Event()

    def heard(status: dict) -> None:  # from a job's thread
        def keep() -> None:
            moved[status["id"]] = status
            wake.set()

        loop.call_soon_threadsafe(keep)

    stop = websocket.app.state.jobs.listen(heard)
    receiver = asyncio.ensure_future(websocket.receive())
    last: tuple | None = None
    next_disk = 0.0
    try:
        while True:
            if loop.time() >= next_disk:  # the server polls the disk; clients only listen
                next_disk = loop.time() + interval
                sig = await run_in_threadpool(_signature, catalogue.runs_dir)
                if sig != last:
                    last = sig
                    runs = await run_in_threadpool(list_summaries, catalogue)
                    payload = [RunSummary(**r).model_dump() for r in runs]
                    await websocket.send_json({"type": "runs", "runs": payload})
            while moved:
                _, status = moved.popitem()
                await websocket.send_json({"type": "job", "job": status})
            wake.clear()
            waker = asyncio.ensure_future(wake.wait())
            done, _ = await asyncio.wait(
                {receiver, waker},
                timeout=max(0.0, next_disk - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
            waker.cancel()
            if receiver in done:
                if receiver.result()["type"] == "websocket.disconnect":
                    return
                receiver = asyncio.ensure_future(websocket.receive())
            elif waker in done:
                await asyncio.sleep(0.1)  # let a burst of reports coalesce
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        stop()
        receiver.cancel()
