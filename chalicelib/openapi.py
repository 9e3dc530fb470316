"""GET /openapi.yaml: the API description (chalicelib/openapi.yaml), read once.

The file lives in chalicelib/ so `chalice package` puts it in the Lambda zip.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chalice import Blueprint, Response

from . import http

SPEC_PATH = Path(__file__).with_name("openapi.yaml")
CONTENT_TYPE = "application/yaml; charset=utf-8"

blueprint = Blueprint(__name__)


@lru_cache(maxsize=1)
def document() -> str:
    return SPEC_PATH.read_text(encoding="utf-8")


@blueprint.route("/openapi.yaml", methods=["GET"], content_types=http.ANY_CONTENT)
def api_description():
    return Response(body=document(), status_code=200, headers={"Content-Type": CONTENT_TYPE})
