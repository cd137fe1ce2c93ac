"""Commands that have nothing to do say so, leave no trace, and know their version."""

from pathlib import Path

import pytest

from reelmake.cli import build_parser, main

pytestmark = pytest.mark.unit


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("reelmake ")


def test_status_in_a_folder_without_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--directory", str(tmp_path)]) == 0
    assert "no video has been processed here yet" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_gc_with_nothing_to_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gc", "-n", "--older-than", "7d", "-d", str(tmp_path)]) == 0
    assert "nothing to remove" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []  # no results/ and no run lock


def test_every_option_has_help() -> None:
    import argparse

    parser = build_parser()
    (commands,) = [
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert {"run", "status", "clean", "gc", "hash", "estimate", "demo"} <= set(
        commands.choices
    )
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, (name, action.option_strings)


def test_run_with_no_videos_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--directory", str(tmp_path)]) == 1
    assert "no videos to process" in capsys.readouterr().err
    assert main(["run", "-d", str(tmp_path), str(tmp_path / "missing.mp4")]) == 1
    err = capsys.readouterr().err
    assert "missing.mp4: no such file or folder" in err
    assert "no video left to process" in err
    assert list(tmp_path.iterdir()) == []  # no results/ and no run lock


def test_no_cache_and_rescore_name_the_rules_to_force() -> None:
    from reelmake.batch.plan import forced_rules

    assert forced_rules(None) is None
    assert forced_rules([]) == []  # every rule
    # Every rule of a stage: forcing its first alone may change nothing after it.
    assert forced_rules(["transcription", "ai_scoring"]) == [
        "plan_chunks", "transcribe_chunk", "transcribe_audio", "write_captions",
        "score_segments",
    ]  # fmt: skip
    assert forced_rules(None, rescore=True) == ["score_segments"]
    assert forced_rules(["segments"], rescore=True) == [
        "segment_transcript", "score_segments",
    ]  # fmt: skip
    assert forced_rules([], rescore=True) == []  # already every rule
    assert forced_rules(["scores"], rescore=True) == ["score_segments"]


def test_until_names_a_stage_of_the_stage_state(tmp_path, capsys) -> None:
    video = tmp_path / "talk.mp4"
    video.write_bytes(b"not read")
    for name in ("framing", "export", "nope"):
        code = main(["run", "--directory", str(tmp_path), "--until", name, str(video)])
        assert code == 2
        assert f"unknown stage {name!r}" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_a_bug_shows_its_traceback_and_says_it_is_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reelmake.cli.manage

    def broken(path: object) -> None:
        raise KeyError("a key no user typed")

    # A lookup inside a command that fails is the program's fault, not the user's.
    monkeypatch.setattr(reelmake.cli.manage.discovery, "discover", broken)
    assert main(["hash", "talk.mp4"]) == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "KeyError: 'a key no user typed'" in err
    assert "this is a bug in reelmake" in err
    # A user's unknown stage name stays one plain line.
    assert main(["clean", "talk.mp4", "--stage", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown stage 'nope'") and "Traceback" not in err


@pytest.mark.parametrize("command", ["status", "clean", "gc", "estimate"])
def test_commands_read_the_config_file_they_are_given(
    tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "other.yaml"
    bad.write_text("highlights:\n  threshold: 42\n")
    args = [command, "-d", str(tmp_path), "--configfile", str(bad)]
    args += {"clean": ["talk.mp4"], "estimate": ["talk.mp4"], "gc": ["--max-size",
             "1G"]}.get(command, [])  # fmt: skip
    assert main(args) == 2
    assert f"{bad}: highlights.threshold: 42 is greater than the maximum of 10" in (
        capsys.readouterr().err
    )
