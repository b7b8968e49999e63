"""The OpenAI-compatible API (`/v1/chat/completions`, `/v1/models`) and the probes' `/health`."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .engine import ChatMessage, Generation, RequestRejected, Sampling
from .model_service import Admitted, ModelService
from .openai_schema import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    ModelCard,
    ModelList,
    ResponseMessage,
    Usage,
    completion_id,
    error_body,
    now,
)
from .settings import Settings

log = logging.getLogger(__name__)


def build_api(service: ModelService, settings: Settings) -> APIRouter:
    router = APIRouter()
    started = now()

    @router.get("/health")
    async def health() -> JSONResponse:
        body: dict[str, Any] = {"status": service.state, "model": service.default_id,
                                "startup": service.report.as_dict()}
        if service.state == "ready" and service.engine is not None:
            body.update(engine=service.engine.description, adapter=service.default_id != service.model_id,
                        models=service.served_ids(), running=service.engine.admission.running,
                        waiting=service.engine.admission.waiting)
            return JSONResponse(body)
        if service.error:
            body["error"] = service.error
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})

    @router.get("/v1/models")
    async def models() -> ModelList:
        cards = []
        for ident in service.served_ids():
            served = service.models[ident]
            root = str(served.adapter.path) if served.adapter else str(service.files.base_model)
            cards.append(ModelCard(id=ident, created=started, root=root, parent=served.parent))
        return ModelList(data=cards)

    @router.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: ChatCompletionRequest) -> JSONResponse | StreamingResponse:
        service.ready_engine()
        messages, sampling = to_generation_input(request, settings)
        admitted = service.admit(request.model, messages, sampling)
        if request.stream:
            include_usage = bool(request.stream_options and request.stream_options.include_usage)
            return StreamingResponse(_sse(admitted, include_usage), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            generation = admitted.generation()
            text = "".join([piece async for piece in admitted.stream(generation)])
        finally:
            admitted.release()
        _log_done(generation, admitted.model)
        return JSONResponse(ChatCompletion(
            id=completion_id(), created=now(), model=admitted.model,
            choices=[Choice(message=ResponseMessage(content=text), finish_reason=generation.finish_reason)],
            usage=_usage(generation),
        ).model_dump())

    return router


def to_generation_input(request: ChatCompletionRequest, settings: Settings) -> tuple[list[ChatMessage], Sampling]:
    if not any(m.role == "user" for m in request.messages):
        raise RequestRejected("'messages' must contain at least one message with role 'user'.", param="messages")
    messages = [ChatMessage(role="system" if m.role == "developer" else m.role, content=m.text())
                for m in request.messages]
    requested = request.requested_max_tokens()
    if requested is not None and requested > settings.max_tokens_limit:
        param = "max_completion_tokens" if request.max_completion_tokens is not None else "max_tokens"
        raise RequestRejected(f"{param} is {requested}, above this server's limit of {settings.max_tokens_limit} "
                              "(INFERENCE_MAX_TOKENS_LIMIT).", param=param)
    sampling = Sampling(
        max_new_tokens=requested or min(settings.default_max_tokens, settings.max_tokens_limit),
        temperature=float(1.0 if request.temperature is None else request.temperature),
        top_p=float(1.0 if request.top_p is None else request.top_p),
        top_k=request.top_k or None, stop=request.stops(), seed=request.seed,
    )
    return messages, sampling


async def _sse(admitted: Admitted, include_usage: bool) -> AsyncIterator[str]:
    try:
        async for event in _sse_events(admitted, include_usage):
            yield event
    finally:
        admitted.release()


async def _sse_events(admitted: Admitted, include_usage: bool) -> AsyncIterator[str]:
    generation = admitted.generation()
    model_id = admitted.model
    ident, created = completion_id(), now()

    def chunk(delta: Delta, finish_reason: str | None = None) -> str:
        body = ChatCompletionChunk(id=ident, created=created, model=model_id,
                                   choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)]).model_dump(
                                       exclude={"usage"})
        body["choices"][0]["delta"] = delta.model_dump(exclude_none=True)  # as OpenAI: {"content": ...} or {}
        return _event(body)

    yield chunk(Delta(role="assistant", content=""))
    try:
        async for piece in admitted.stream(generation):
            yield chunk(Delta(content=piece))
    except RequestRejected as error:  # e.g. waited too long for a slot: the stream has already begun
        yield _event(error_body(str(error), type=error.error_type, param=error.param, code=error.code))
        yield "data: [DONE]\n\n"
        return
    except Exception as error:
        log.exception("Generation failed")
        yield _event(error_body(f"Generation failed: {type(error).__name__}", type="server_error"))
        yield "data: [DONE]\n\n"
        return
    yield chunk(Delta(), generation.finish_reason)
    if include_usage:
        usage = ChatCompletionChunk(id=ident, created=created, model=model_id, choices=[], usage=_usage(generation))
        yield _event(usage.model_dump())
    _log_done(generation, model_id)
    yield "data: [DONE]\n\n"


def _event(body: dict[str, Any]) -> str:
    return f"data: {json.dumps(body, separators=(',', ':'))}\n\n"


def _usage(generation: Generation) -> Usage:
    return Usage(prompt_tokens=generation.prompt_tokens, completion_tokens=generation.completion_tokens,
                 total_tokens=generation.prompt_tokens + generation.completion_tokens)


def _log_done(generation: Generation, model_id: str) -> None:
    elapsed = time.monotonic() - generation.started_at
    first = (generation.first_token_at - generation.started_at) if generation.first_token_at else elapsed
    log.info("completion (%s): %d prompt + %d completion tokens, %.2f s (first token %.2f s), finish=%s",
             model_id, generation.prompt_tokens, generation.completion_tokens, elapsed, first, generation.finish_reason)


_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "body"}


def _param_path(location: tuple[object, ...] | list[object]) -> str | None:
    """pydantic's error location as OpenAI's `param` ("messages.0.content"), without its union-member tags."""
    parts = [str(part) for part in location
             if not (isinstance(part, str) and (part.lower() in _TYPE_TAGS or "[" in part or "-" in part))]
    return ".".join(parts) or None


def install_error_handlers(app: FastAPI) -> None:
    """Every error from the API in OpenAI's shape; bad input is a 400 naming the field."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
        param = _param_path(first.get("loc", ()))
        message = first.get("msg", "invalid request")
        code: str | None = "invalid_value"
        if first.get("type") == "json_invalid":
            message, param, code = "The request body is not valid JSON.", None, None
        elif first.get("type") == "missing":
            message, code = f"Missing required parameter: '{param}'.", None
        elif param:
            message = f"Invalid value for '{param}': {message}."
        return JSONResponse(error_body(message, param=param, code=code), status_code=400)

    @app.exception_handler(RequestRejected)
    async def rejected(request: Request, error: RequestRejected) -> JSONResponse:
        headers = {"Retry-After": "5"} if error.status in (429, 503) else None
        return JSONResponse(error_body(str(error), type=error.error_type, param=error.param, code=error.code),
                            status_code=error.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(error.detail), type="invalid_request_error"),
                            status_code=error.status_code, headers=getattr(error, "headers", None))
