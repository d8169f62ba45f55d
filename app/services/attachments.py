"""Attachments: checked uploads, content-addressed storage, safe downloads."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.errors import FileTooLargeError, InvalidInputError
from app.extensions import db
from app.models import AtriumUser, Attachment, Item, Message
from app.services.storage import blob_path, store_blob

#: Types a browser may show in the page; everything else is downloaded.
INLINE_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
_CONTENT_TYPE = re.compile(
    r"[a-z0-9][a-z0-9!#$&^_.+-]{0,60}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}"
)
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
MAX_NAME = 200


@dataclass
class UploadedFile:
    """A file on its way in, from a form, the REST API or a mail."""

    filename: str
    content_type: str
    stream: BinaryIO
    content_id: str | None = None
    inline: bool = False


def max_attachment_bytes() -> int:
    """The configured per-file limit."""
    return int(current_app.config["ATTACHMENT_MAX_BYTES"])


def clean_filename(name: str | None) -> str:
    """A display name only: no directories, control or invisible characters."""
    text = unicodedata.normalize("NFKC", name or "")
    text = PureWindowsPath(PurePosixPath(text.replace("\x00", "")).name).name
    text = _INVISIBLE.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = text.strip().lstrip(".").strip()
    if len(text) > MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        ext = ext[:20] if dot else ""
        text = (stem if dot else text)[: MAX_NAME - len(ext) - 1] + (
            f".{ext}" if ext else ""
        )
    return text or "attachment"


def clean_content_type(value: str | None, filename: str) -> str:
    """The declared type if well-formed, else a guess from the name."""
    declared = (value or "").split(";")[0].strip().lower()
    if _CONTENT_TYPE.fullmatch(declared):
        return declared
    guessed, _ = mimetypes.guess_type(filename)
    return guessed or "application/octet-stream"


def store_attachment(
    item: Item,
    upload: UploadedFile,
    *,
    actor: AtriumUser | None,
    message: Message | None = None,
) -> Attachment:
    """Store one file on ``item`` (and ``message``); flushes, the caller commits."""
    if not upload.filename and upload.stream is None:
        raise InvalidInputError(field="file")
    limit = max_attachment_bytes()
    try:
        sha256, size = store_blob(upload.stream, max_bytes=limit)
    except FileTooLargeError:
        raise FileTooLargeError(
            _l(
                "%(name)s is larger than the limit of %(limit)s MB.",
                name=clean_filename(upload.filename),
                limit=limit // (1024 * 1024),
            )
        ) from None
    name = clean_filename(upload.filename)
    attachment = Attachment(
        item_id=item.id,
        message=message,
        sha256=sha256,
        size=size,
        filename=name,
        content_type=clean_content_type(upload.content_type, name),
        content_id=(upload.content_id or None) and upload.content_id[:255],
        inline=bool(upload.inline),
        uploaded_by_id=getattr(actor, "id", None),
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def check_upload_count(uploads: list[UploadedFile]) -> None:
    """Refuse more files than one message may carry."""
    if len(uploads) > int(current_app.config["ATTACHMENTS_PER_MESSAGE"]):
        raise InvalidInputError(
            _l("Too many files in one message."), field="attachments"
        )


def attachment_file(attachment: Attachment) -> Path:
    """The stored file of an attachment."""
    return blob_path(attachment.sha256)


def shows_inline(attachment: Attachment) -> bool:
    """Whether the browser may display the file: a known image whose bytes agree."""
    signatures = INLINE_SIGNATURES.get(attachment.content_type)
    if not signatures:
        return False
    try:
        with attachment_file(attachment).open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return head.startswith(signatures)
