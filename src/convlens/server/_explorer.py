"""Layer-explorer view: uploads, the model's layers, feature maps, weights, top probes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from convlens import views
from convlens.views import downsized_png

from ._binary import BINARY_RESPONSE, Quant, WantsBinary, binary_response
from ._deps import InspectorDep, InspectorNowDep, RunDep
from ._errors import PNG, errors
from ._params import ChannelOrder, ImageRef
from ._schemas import FeatureMaps, Layers, TopProbes, UploadInfo, Weights, encode
from ._uploads import UPLOAD_BODY, receive_upload

router = APIRouter(tags=["explorer"])

Epoch = Annotated[int | None, Query(ge=0, description="default: the last checkpoint")]
Layer = Annotated[str, Query(max_length=200)]


@router.post(
    "/api/uploads",
    response_model=UploadInfo,
    responses=errors(400, 404, 413, 415),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(
    insp: InspectorNowDep,
    request: Request,
    run: Annotated[str | None, Query(max_length=200, description="say how it cuts")] = None,
) -> dict:
    """Upload an image (multipart field ``file``); refer to it later as ``upload:<id>``.

    The size limit applies while the bytes arrive: nothing past it is read. With ``run``, the
    answer also says how that run's model cuts the picture and where to see it as the model
    receives it."""
    return await receive_upload(insp, request, run)


@router.get(
    "/api/uploads/{upload_id}.png", response_class=Response, responses={**errors(404), **PNG}
)
def upload_png(insp: InspectorNowDep, upload_id: str) -> Response:
    """An uploaded image as PNG, at most 512 pixels a side."""
    return Response(downsized_png(insp.upload(upload_id).image), media_type="image/png")


@router.get(
    "/api/runs/{run}/input.png", response_class=Response, responses={**errors(400, 404, 409), **PNG}
)
def model_input_png(insp: InspectorDep, run: RunDep, image: ImageRef = "probe:0") -> Response:
    """The picture exactly as the run's model receives it: cut by its input contract, and the
    model input turned back into colours (de-normalised)."""
    return Response(views.model_input_png(insp, run, image), media_type="image/png")


@router.get("/api/runs/{run}/layers", response_model=Layers, responses=errors(400, 404, 409))
def layers(insp: InspectorDep, run: RunDep, epoch: Epoch = None) -> dict:
    """Every layer of the model in the order the forward pass runs them."""
    return views.layers(insp, run, epoch)


@router.get(
    "/api/runs/{run}/featuremaps",
    response_model=FeatureMaps,
    responses={**errors(400, 404, 409), **BINARY_RESPONSE},
)
def featuremaps(
    insp: InspectorDep,
    run: RunDep,
    binary: WantsBinary,
    layer: Layer,
    image: ImageRef = "probe:0",
    epoch: Epoch = None,
    order: ChannelOrder = "natural",
    clusters: Annotated[int | None, Query(ge=2, le=64)] = None,
) -> Any:
    """All feature maps of ``layer`` for one image, in the chosen order.

    Binary answer: ``maps`` in 8 bits per map (its own min and step: 1/255 of its range)."""
    answer = views.featuremaps(
        insp, run, epoch=epoch, layer=layer, image=image, order=order, clusters=clusters
    )
    if binary:
        return binary_response(answer, {"maps": Quant(bits=8, per_row=True)})
    return encode(answer)


@router.get("/api/runs/{run}/weights", response_model=Weights, responses=errors(400, 404, 409))
def weights(insp: InspectorDep, run: RunDep, layer: Layer, epoch: Epoch = None) -> dict:
    """The weights (filters) of ``layer``."""
    return encode(views.weights(insp, run, epoch=epoch, layer=layer))


@router.get("/api/runs/{run}/top", response_model=TopProbes, responses=errors(400, 404, 409))
def top(
    insp: InspectorDep,
    run: RunDep,
    layer: Layer,
    channel: Annotated[int, Query(ge=0)],
    epoch: Epoch = None,
    k: Annotated[int, Query(ge=1, le=64)] = 9,
) -> dict:
    """The probe images that make one channel of ``layer`` most active."""
    return views.top(insp, run, epoch=epoch, layer=layer, channel=channel, k=k)
