"""Links among a run's inputs: the media behind a URL, fetched once with yt-dlp.

A link's media goes into ``downloads/<url key>/<content hash>/<title>.<ext>`` under the
working folder, with ``downloads/<url key>/link.json`` recording what was fetched
(the URL key is a digest of the URL; the content hash is the one that names the
video's results folder). A second run finds the file through the record and asks the
network nothing; from there a link is a file like any other. A download that fails
or is refused is one line naming the link, and the other inputs go on.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelmake.core import fileio
from reelmake.core.errors import ReelmakeError
from reelmake.core.hashing import hash_file, short
from reelmake.pipeline.discovery import Problem

DOWNLOADS = "downloads"
RECORD = "link.json"
# The picture is cut to at most 1920 pixels high: more would only cost bandwidth.
FORMAT = "bv*[height<=1080]+ba/b[height<=1080]/bv*+ba/b"
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


class LinkError(ReelmakeError):
    """A link whose media could not be had."""


@dataclass(frozen=True)
class Media:
    """What one download gave: the file and what the site said it is."""

    path: Path
    title: str
    extractor: str


# Fetches the media of a URL into an empty folder.
Fetcher = Callable[[str, Path], Media]


def is_link(entry: str) -> bool:
    return _LINK.fullmatch(entry.strip()) is not None


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def downloads_of(workdir: Path) -> Path:
    return workdir / DOWNLOADS


def cached(url: str, folder: Path) -> Path | None:
    """The file an earlier run fetched for ``url``, if it is still there whole."""
    record = folder / url_key(url) / RECORD
    try:
        data = fileio.read_json(record)
        path = record.parent / str(data["file"])
        if data["url"] == url and path.stat().st_size == data["size"]:
            return path
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def download(url: str, folder: Path, fetcher: Fetcher | None = None) -> Path:
    """Fetch ``url`` into its folder under ``folder`` and record it; the file."""
    home = folder / url_key(url)
    tmp = folder / f".{url_key(url)}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        media = (fetcher or fetch_with_yt_dlp)(url, tmp)
        digest = short(hash_file(media.path))
        target = home / digest / media.path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(media.path, target)
    except OSError as exc:  # a full disk, a folder that cannot be written
        raise LinkError(f"could not be saved in {folder} ({exc.strerror})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    data = fileio.artifact("download", {}, fileio.versions("yt-dlp"))
    data.update(
        url=url,
        file=f"{digest}/{target.name}",
        video_hash=digest,
        size=target.stat().st_size,
        title=media.title,
        extractor=media.extractor,
        fetched=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    fileio.write_json(home / RECORD, data)
    return target


def fetch_links(
    entries: Iterable[str],
    folder: Path,
    note: Callable[[str], None],
    dry_run: bool = False,
    fetcher: Fetcher | None = None,
) -> tuple[list[str], list[Problem]]:
    """``entries`` with each link replaced by the path of its media (fetched now
    when no earlier run did), and a problem for each link that could not be had. A
    dry run fetches nothing."""
    out: list[str] = []
    problems: list[Problem] = []
    for entry in entries:
        if not is_link(entry):
            out.append(entry)
            continue
        url = entry.strip()
        path = cached(url, folder)
        if path is not None:
            note(f"{url}: already fetched: {path}")
        elif dry_run:
            note(f"{url}: would be fetched with yt-dlp (not in a dry run)")
            continue
        else:
            note(f"{url}: fetching with yt-dlp")
            try:
                path = download(url, folder, fetcher)
            except LinkError as exc:
                problems.append(Problem(url, str(exc)))
                continue
            note(f"{url}: fetched {path} ({path.stat().st_size / 1e6:.1f} MB)")
        out.append(str(path))
    return out, problems


def fetch_with_yt_dlp(url: str, into: Path) -> Media:
    """Download the one video (or episode) behind ``url`` into ``into``."""
    import yt_dlp
    from yt_dlp.utils import YoutubeDLError

    options: dict[str, Any] = {
        "outtmpl": {"default": str(into / "%(title).80B.%(ext)s")},
        "format": FORMAT,
        # A link to a video in a playlist means the video.
        "noplaylist": True,
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "color": "no_color",
        "logger": _Quiet(),
        "socket_timeout": 30,
        "retries": 3,
        # Names that every filesystem takes, and nothing written outside ``into``.
        "windowsfilenames": True,
        "cachedir": False,
    }
    try:
        with yt_dlp.YoutubeDL(options) as ydl:
            found = ydl.extract_info(url, download=False, process=False)
            if found is None:
                raise LinkError("yt-dlp found no media there")
            if found.get("_type") in {"playlist", "multi_video"}:
                raise LinkError(
                    "is a playlist or a channel; give the link of one video or episode"
                )
            info = ydl.process_ie_result(found, download=True)
    except LinkError:
        raise
    except YoutubeDLError as exc:
        raise LinkError(f"could not be fetched ({_clean(str(exc))})") from None
    except Exception as exc:  # yt-dlp's own failures on odd sites: one link lost
        reason = _clean(f"{type(exc).__name__}: {exc}")
        raise LinkError(f"could not be fetched ({reason})") from None
    files = [p for p in into.iterdir() if p.is_file() and not p.name.endswith(".part")]
    if len(files) != 1:
        raise LinkError(f"yt-dlp left {len(files)} files instead of one")
    return Media(
        files[0], str(info.get("title") or ""), str(info.get("extractor_key") or "")
    )


def _clean(message: str) -> str:
    """yt-dlp's error as a clause: no ``ERROR:`` prefix, extractor tag or cause."""
    text = " ".join(message.split())
    text = re.sub(r"^ERROR:\s*", "", text)
    # "[generic] <id>: Unable to ..." names the extractor and the site's media id.
    text = re.sub(r"^\[[\w:]+\]\s*([^\s:]+:\s+)?", "", text)
    text = re.sub(r"\s*\(caused by .*\)$", "", text)
    return text[:200]


class _Quiet:
    """yt-dlp's messages are not ours to print: its errors come back as
    exceptions, and the rest is progress."""

    def debug(self, msg: str) -> None:
        pass

    def info(self, msg: str) -> None:
        pass

    def warning(self, msg: str) -> None:
        pass

    def error(self, msg: str) -> None:
        pass
