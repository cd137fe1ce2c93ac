"""``reelmake mcp`` driven by the MCP SDK's own client over stdio: it lists the
tools, runs a short generated talk, follows it, reads its clips, and records a
person's decisions that the next run honours."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from reelmake.batch import agent
from reelmake.core.errors import ReelmakeError
from reelmake.stages import decisions
from tests.conftest import fast_clips

pytestmark = pytest.mark.workflow

TOOLS = {"start_run", "run_progress", "video_status", "list_clips", "decide",
         "add_clip", "correct_word"}  # fmt: skip


async def _call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    structured = result.structured_content
    # A tool that returns a list has it wrapped as {"result": [...]}.
    if list(structured) == ["result"]:
        return structured["result"]
    return structured


async def _session(workdir: Path, talk: Path) -> dict[str, Any]:
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reelmake.cli", "mcp"],
        cwd=str(workdir),
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    seen: dict[str, Any] = {}
    async with Client(server) as client:
        listed = await client.list_tools()
        seen["tools"] = {t.name: t for t in listed.tools}

        missing = await client.call_tool("list_clips", {"video": "nowhere.mp4"})
        seen["missing"] = (missing.is_error, missing.content[0].text)

        seen["progress"] = await _run(client, talk)
        seen["status"] = await _call(client, "video_status", videos=[talk.name])
        seen["clips"] = clips = await _call(client, "list_clips", video=talk.name)
        seen["made"] = [
            Path(c["files"]["video"]).is_file() and Path(c["files"]["srt"]).is_file()
            for c in clips["clips"]
        ]

        # A person rejects the top clip and corrects a word of the second.
        first, second = clips["clips"][0], clips["clips"][1]
        await _call(client, "decide", video=talk.name, clip="1", decision="reject")
        word = second["words"][2]
        seen["corrected"] = await _call(
            client, "correct_word", video=talk.name, at=word["start"] + 0.04,
            text="Zanzibar",
        )  # fmt: skip
        nothing = await client.call_tool("decide", {"video": talk.name, "clip": "1"})
        seen["nothing"] = (nothing.is_error, nothing.content[0].text)
        seen["second_progress"] = await _run(client, talk)
        seen["after"] = await _call(client, "list_clips", video=talk.name)
        seen["rejected"], seen["word"] = first, word
    return seen


async def _run(client: Client, talk: Path) -> dict[str, Any]:
    started = await _call(client, "start_run", inputs=[talk.name])
    deadline = time.monotonic() + 300
    progress = await _call(client, "run_progress", run_id=started["run_id"])
    while progress["state"] == "running" and time.monotonic() < deadline:
        await anyio.sleep(1)
        progress = await _call(client, "run_progress", run_id=started["run_id"])
    return progress


def test_an_assistant_runs_a_talk_and_reads_its_clips(
    tmp_path: Path, long_speech_video: Path
) -> None:
    fast_clips(tmp_path)
    talk = tmp_path / "talk.mp4"
    shutil.copy(long_speech_video, talk)
    seen = anyio.run(_session, tmp_path, talk)

    assert set(seen["tools"]) >= TOOLS
    assert "inputs" in seen["tools"]["start_run"].input_schema["properties"]
    is_error, text = seen["missing"]
    assert is_error and "nowhere.mp4: no such file, link or video hash" in text
    assert "\n" not in text

    progress = seen["progress"]
    assert progress["state"] == "finished", progress
    assert progress["exit_code"] == 0, progress["console_tail"]
    assert progress["errors"] == []
    assert progress["videos"]["talk.mp4"].startswith("finished")
    assert [row["status"] for row in progress["summary"]] == ["done"]

    (status,) = seen["status"]
    assert status["completed"] and all(status["stages"].values())

    clips = seen["clips"]
    assert clips["video"] == str(talk)
    assert clips["video_hash"] == status["video_hash"]
    assert clips["clips"], clips
    ranks = [c["rank"] for c in clips["clips"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    for clip in clips["clips"]:
        assert clip["title"] and 0 <= clip["score"] <= 10
        assert clip["end"] > clip["start"]
    assert seen["made"] and all(seen["made"])

    # What a decision on a clip is keyed by: the span the selection gave it.
    first = seen["after"]["clips"][0]
    where, span = agent.clip_span(tmp_path, talk.name, "1")
    assert span == tuple(first["selected"]) == (first["start"], first["end"])
    assert where == tmp_path / "results" / clips["video_hash"] / "decisions.yaml"
    assert agent.clip_span(tmp_path, str(talk), first["clip"])[1] == span
    with pytest.raises(ReelmakeError, match=r"talk\.mp4: has no clip '99'"):
        agent.clip_span(tmp_path, talk.name, "99")

    # The decisions are the person's file; the next run honoured them.
    assert seen["nothing"][0] and "name at least one thing" in seen["nothing"][1]
    assert seen["second_progress"]["exit_code"] == 0, seen["second_progress"]
    decided = decisions.load(where)
    rejected = seen["rejected"]
    assert decided.rejected() == [(rejected["start"], rejected["end"])]
    assert seen["corrected"]["at"] == seen["word"]["start"]
    assert decided.words == {round(seen["word"]["start"], 3): "Zanzibar"}
    after = seen["after"]["clips"]
    assert seen["rejected"]["clip"] not in {c["clip"] for c in after}
    said = {w["text"] for c in after for w in c["words"]}
    assert "Zanzibar" in said
    srts = " ".join(Path(c["files"]["srt"]).read_text() for c in after)
    assert "Zanzibar" in srts
