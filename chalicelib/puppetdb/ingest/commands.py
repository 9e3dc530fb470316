"""Command requests -> what the store needs, with PuppetDB's error texts: the
`POST /pdb/cmd/v1` parameters and body, the 1.4 `/v2/commands` form, and refused
reports (../shared/notes/puppetdb.md 2.1-2.2)."""
from __future__ import annotations

import json
import re
from typing import Callable
from urllib.parse import parse_qs

from datetime import timedelta

from ... import limits, paging, timestamps
from ...config import settings
from ...errors import ApiError, PuppetDBJsonError
from ..dialects import bad_request
from . import reports

STORE_REPORT_VERSIONS = range(5, 9)       # v8 is parsed; PuppetDB 7.12 retires < 5
# The commands the service runs, and the one version of each it parses (PuppetDB 7.12
# takes more: command/constants.clj supported-command-versions).
TAKEN_VERSIONS = {"store report": 8, "deactivate node": 3}
# PuppetDB 7.12's commands and the query parameters /pdb/cmd/v1 accepts.
PUPPETDB_COMMANDS = ("configure expiration", "deactivate node", "replace catalog",
                     "replace catalog inputs", "replace facts", "store report")
COMMAND_PARAMS = {"command", "version", "certname", "producer-timestamp", "checksum",
                  "secondsToWaitForCompletion"}


def invalid_report(error: ValueError, prefix: str = "",
                   bad: Callable[[str], ApiError] = bad_request) -> ApiError:
    """A report refused by reports.py: 413 past a write bound (limits.too_large), else
    `bad`'s 400 (plain text; a v8 command's is PuppetDB 7's JSON, command_error)."""
    if isinstance(error, reports.TooLarge):
        return limits.too_large(prefix + str(error))
    return bad(prefix + str(error))



def command_body(raw: bytes | None, encoding: str | None) -> bytes:
    """The request body, gunzipped when `Content-Encoding: gzip` and refused (413)
    beyond the body limit while inflating (limits.inflate)."""
    return limits.inflate(raw, encoding)


def require_json_content(content_type: str | None) -> None:
    """PuppetDB answers 415 to a command whose Content-Type is not JSON (notes 2.2), in
    plain text with PuppetDB 7.12's wording; a missing header is let through."""
    if content_type is not None:
        media_type = content_type.split(";")[0].strip().lower()
        if media_type != "application/json":
            raise ApiError(415, "unsupported-media-type",
                           f"content type {media_type} not supported")


# A JSON `\u0000` escape not itself escaped (preceded by an even number of backslashes).
_NUL_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")


def command_error(msg: str) -> ApiError:
    """A command's 400: PuppetDB 7 answers it as JSON `{"error": msg}`."""
    return PuppetDBJsonError(400, "bad-request", msg)


def json_document(raw: bytes, bad: Callable[[str], ApiError] = bad_request) -> object:
    """A command's JSON body. U+0000 becomes U+FFFD, as PuppetDB 7 stores and answers it
    (PostgreSQL text cannot hold NUL; tests/conformance). JSON text can carry a NUL only
    as the escape `\\u0000`, so replacing the escape replaces them all."""
    if b"\\u0000" in raw:
        raw = _NUL_ESCAPE.sub(b"\\1" + "\ufffd".encode(), raw)
    try:
        return limits.body_json(raw)
    except limits.TooComplex as error:
        raise bad(str(error)) from None
    except (UnicodeDecodeError, ValueError) as error:
        raise bad(f"The request body is not valid JSON: {error}") from None


def check_command(params: dict) -> str:
    """Check `POST /pdb/cmd/v1` parameters with PuppetDB 7.12's texts (measured against
    it, tests/conformance): the command is named with spaces, a missing certname is
    `nil`, and a parameter PuppetDB does not know is refused. Returns the command:
    "store report" (version 8) or "deactivate node" (version 3)."""
    command, certname = params.get("command"), params.get("certname")
    if not command:
        raise _command_error(None, None, "Command was submitted without query parameters "
                             "(old format). The request body must be a JSON map with required "
                             "keys: command, version, payload.")
    command = command.replace("_", " ")
    if command not in PUPPETDB_COMMANDS:
        raise _command_error(command, certname,
                             "Command must be one of: " + ", ".join(PUPPETDB_COMMANDS) + ".")
    if not certname:
        raise _command_error(command, None, "Command is missing required parameters: certname.")
    invalid = [name for name in params if name not in COMMAND_PARAMS]
    if invalid:
        raise _command_error(command, certname,
                             "Command has invalid parameters: " + ", ".join(invalid) + ".")
    if command not in TAKEN_VERSIONS:
        raise _command_error(command, certname,
                             "This service takes only the store report and deactivate node "
                             "commands.")
    version = paging.decimal(params.get("version") or "", signed=False)
    if version is None:
        raise _command_error(command, certname, "Version must be a valid integer.")
    if command == "store report" and version < STORE_REPORT_VERSIONS.start:
        raise _command_error(command, certname,
                             f'Version {version} of command "store report" is retired. '
                             f"The minimum supported version is {STORE_REPORT_VERSIONS.start}.")
    wanted = TAKEN_VERSIONS[command]
    if version != wanted:
        raise _command_error(command, certname, f'Version {version} of command "{command}" '
                             f"is not supported here; send version {wanted}.")
    return command


DEACTIVATE_KEYS = ("certname", "producer_timestamp")


def deactivate_node(body: object, certname: str, received: str) -> tuple[str, str]:
    """`deactivate node` version 3's payload (PDB nodes.clj deactivate-node-wireformat-schema:
    a string `certname`, an optional `producer_timestamp`, nothing else) -> (certname,
    deactivation time in stored form, to the millisecond as PuppetDB keeps it; default
    `received`). PuppetDB checks it after answering 200 and drops a bad one; this
    service runs it at once, so a bad one is a 400 (command_error) and nothing changes.
    A time more than max_future_seconds past `received` is refused as a report's is."""
    def invalid(reason: str) -> ApiError:
        return _command_error("deactivate node", certname, reason)
    if not isinstance(body, dict):
        raise invalid("the payload must be a JSON object with keys certname and, "
                      "optionally, producer_timestamp.")
    for key in body:
        if key not in DEACTIVATE_KEYS:
            raise invalid(f"unknown key '{key}'.")
    target = body.get("certname")
    if not isinstance(target, str) or not target:
        raise invalid("'certname' must be a non-empty string.")
    problem = limits.key_problem(target, "certname")
    if problem:
        raise invalid(problem + ".")
    produced = body.get("producer_timestamp")
    if produced is None:
        return target, timestamps.stored_millis(received)
    try:
        if not isinstance(produced, str):
            raise timestamps.InvalidTimestamp(produced)
        stamp = timestamps.stored_millis(produced)
    except timestamps.InvalidTimestamp:
        raise invalid(f"'producer_timestamp' must be a timestamp: {json.dumps(produced)}.") \
            from None
    allowed = settings().max_future_seconds
    if timestamps.parse(stamp) - timestamps.parse(received) > timedelta(seconds=allowed):
        raise invalid(f"'producer_timestamp' {stamp} is more than {allowed} seconds after "
                      f"the receive time {received}.")
    return target, stamp


def _command_error(command: str | None, certname: object, reason: str) -> ApiError:
    def shown(value):
        return "nil" if value is None else f'"{value}"'
    return command_error(f"Command {shown(command)} for certname {shown(certname)} is invalid. "
                         + reason)


def v2_command(raw: bytes, checksum_of: Callable[[str], str]) -> dict:
    """The 1.4 form body `checksum=..&payload=<command JSON>` (notes 2.1)."""
    try:
        form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise bad_request("The request body is not valid UTF-8") from None
    if "payload" not in form:
        raise bad_request("missing payload")
    payload = form["payload"][-1]
    if "checksum" in form and form["checksum"][-1] != checksum_of(payload):
        raise bad_request("checksums don't match")
    command = json_document(payload.encode("utf-8"))
    if not isinstance(command, dict) or command.get("command") != "store report":
        raise bad_request(f"Unsupported command {json.dumps(command.get('command')) if isinstance(command, dict) else ''}".strip())
    if command.get("version") != 2:
        raise bad_request(f"Unsupported version {command.get('version')} of command store report")
    return command.get("payload")
