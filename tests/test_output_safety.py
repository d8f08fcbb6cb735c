"""claimx never destroys, loops over or silently drops the user's files.

Real files, symlinks, FIFOs, device nodes, locks held by a second real process, and a
process that is not root where permissions must bite.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

from .test_batch_cli import article, read_lines, write_docs
from .test_cli import claimx_cli


def cli(server: ScriptedServer, *args: str) -> subprocess.CompletedProcess[bytes]:
    return claimx_cli(*args, "-m", "openai/x", "--base-url", server.base_url)


def one_line_error(proc: subprocess.CompletedProcess[bytes], code: int, needle: str) -> str:
    stderr = proc.stderr.decode()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if line.startswith("claimx: error:")]
    assert len(errors) == 1 and needle in errors[0], stderr
    return errors[0]


# ------------------------------------------------------------------ inputs vs outputs


def test_output_inside_the_input_folder_is_never_read(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    ids = write_docs(folder, 4)
    out = folder / "results.jsonl"
    with ScriptedServer(echo_answer) as server:
        first = cli(server, "extract", str(folder), "-o", str(out))
        assert first.returncode == 0, first.stderr.decode()
        (folder / "old-run.jsonl").write_bytes(out.read_bytes())  # another results file, renamed
        again = cli(server, "extract", str(folder), "-o", str(out), "--resume")
        requests = len(server.completions)
    assert again.returncode == 0, again.stderr.decode()
    assert sorted(str(line["doc_id"]) for line in read_lines(out)) == ids
    assert requests == 4  # the resumed run read neither its own output nor the older results
    assert (
        "not reading" in again.stderr.decode()
        and "old-run.jsonl (a claimx results file)" in again.stderr.decode()
    )


@pytest.mark.parametrize("flag", ["--resume", "--overwrite"])
def test_output_that_is_an_input_is_refused(tmp_path: Path, flag: str) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text("".join(json.dumps({"id": f"w{i}", "text": article(i)}) + "\n" for i in range(3)))
    (tmp_path / "link.jsonl").symlink_to(wire)
    before = wire.read_bytes()
    with ScriptedServer(echo_answer) as server:
        same = cli(server, "extract", str(wire), "-o", str(wire), flag)
        linked = cli(server, "extract", str(tmp_path / "link.jsonl"), "-o", str(wire), flag)
        assert server.completions == []
    for proc in (same, linked):
        one_line_error(proc, 2, "both an input and the output")
    assert wire.read_bytes() == before


def test_single_document_output_that_is_its_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    (tmp_path / "hard.txt").hardlink_to(source)
    with ScriptedServer(echo_answer) as server:
        proc = cli(
            server, "extract", str(source), "-o", str(tmp_path / "hard.txt"), "--overwrite", "-f", "json"
        )
    one_line_error(proc, 2, "both an input and the output")
    assert source.read_text() == article(1)


def test_explicit_results_file_as_input_is_an_input_error(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 2)
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(tmp_path / "in"), "-o", str(tmp_path / "r.jsonl")).returncode == 0
        proc = cli(server, "extract", str(tmp_path / "r.jsonl"), "-o", str(tmp_path / "again.jsonl"))
    assert proc.returncode == 1
    (line,) = read_lines(tmp_path / "again.jsonl")
    assert "claimx results file" in line["error"]["message"]  # type: ignore[index]


# ------------------------------------------------------------------ what -o may replace


def test_single_output_writes_through_a_fifo_and_a_device(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        device = True
    except OSError:  # not allowed here: the FIFO case still runs
        device = False
    with ScriptedServer(echo_answer) as server:
        piped = cli(server, "extract", str(source), "-o", str(fifo), "-f", "json")
        reader.join(30)
        nulled = (
            cli(server, "extract", str(source), "-o", str(tmp_path / "null"), "-f", "json")
            if device
            else None
        )
    assert piped.returncode == 0, piped.stderr.decode()
    assert json.loads(received[0])["doc_id"] == "a"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a pipe, not replaced by a file
    if nulled is not None:
        assert nulled.returncode == 0, nulled.stderr.decode()
        assert stat.S_ISCHR((tmp_path / "null").lstat().st_mode)


def test_a_character_device_other_than_null_or_a_terminal_is_never_written(tmp_path: Path) -> None:
    """Every character device was written through: as root, ``-o /dev/port``, ``/dev/mem`` or
    ``/dev/watchdog`` would have written a result into the hardware. A node with /dev/urandom's
    numbers stands in for them (writing it only stirs the entropy pool if the refusal is missing)."""
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    try:
        os.mknod(tmp_path / "urandom", 0o666 | stat.S_IFCHR, os.makedev(1, 9))
    except OSError:
        pytest.skip("cannot make device nodes here (not root)")
    folder = tmp_path / "in"
    write_docs(folder, 2)
    with ScriptedServer(echo_answer) as server:
        single = cli(server, "extract", str(source), "-o", str(tmp_path / "urandom"), "-f", "json")
        batch = cli(server, "extract", str(folder), "-o", str(tmp_path / "urandom"), "-f", "jsonl")
        viewed = claimx_cli("view", str(source), "-o", str(tmp_path / "urandom"))
        assert server.completions == []  # refused before any call
    for proc in (single, batch):
        one_line_error(proc, 2, "it is a character device")
    assert viewed.returncode == 2 and b"character device" in viewed.stderr


def test_single_output_follows_a_symlink_and_refuses_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "result.json"
    link = tmp_path / "result.json"
    link.symlink_to(target)
    with ScriptedServer(echo_answer) as server:
        fresh = cli(server, "extract", str(source), "-o", str(link))
        refused = cli(server, "extract", str(source), "-o", str(link))
        replaced = cli(server, "extract", str(source), "-o", str(link), "--overwrite")
        folder = cli(server, "extract", str(source), "-o", str(tmp_path / "real"), "-f", "json")
        batch_folder = cli(server, "extract", str(tmp_path / "*.txt"), "-o", str(tmp_path / "real"))
    assert fresh.returncode == 0 and replaced.returncode == 0, replaced.stderr.decode()
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["doc_id"] == "a"
    one_line_error(refused, 2, "already exists: add --overwrite")
    one_line_error(folder, 2, "is a directory")
    one_line_error(batch_folder, 2, "is a directory")


def test_single_document_never_overwrites_a_results_file(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 5)
    results = tmp_path / "results.jsonl"
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(tmp_path / "in"), "-o", str(results)).returncode == 0
        before = results.read_bytes()
        proc = cli(server, "extract", str(tmp_path / "in" / "doc001.txt"), "-o", str(results))
    one_line_error(proc, 2, "already holds results")
    assert results.read_bytes() == before


def test_format_follows_the_output_extension_unless_given(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    with ScriptedServer(echo_answer) as server:
        procs = [
            cli(server, "extract", str(source), "-o", str(tmp_path / "r.jsonl")),
            cli(server, "extract", str(source), "-o", str(tmp_path / "page.html")),
            cli(server, "extract", str(source), "-o", str(tmp_path / "r.json")),
            cli(server, "extract", str(source), "-o", str(tmp_path / "forced.html"), "--format", "json"),
        ]
    assert all(p.returncode == 0 for p in procs), [p.stderr.decode() for p in procs]
    assert (tmp_path / "r.jsonl").read_bytes().count(b"\n") == 1
    assert json.loads((tmp_path / "r.jsonl").read_text())["doc_id"] == "a"
    assert (tmp_path / "page.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (tmp_path / "r.json").read_text().startswith("{\n")
    assert json.loads((tmp_path / "forced.html").read_text())["doc_id"] == "a"
    help_text = claimx_cli("extract", "--help", env={"COLUMNS": "200"}).stdout.decode()
    assert ".jsonl" in help_text and "extension" in help_text


# ------------------------------------------------------------------ one run per results file


def test_second_run_on_a_locked_results_file_is_refused(tmp_path: Path) -> None:
    ids = write_docs(tmp_path / "in", 8)
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "claimx", "extract", str(tmp_path / "in"), "-m", "openai/x", "-o", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    gate = threading.Event()  # the first run is held mid-way until the second ones are done
    answered: list[int] = []

    def held(request: RecordedRequest) -> Reply:
        answered.append(1)
        if len(answered) > 2:
            gate.wait(60)
        return echo_answer(request)

    with ScriptedServer(held) as server:
        first = subprocess.Popen(
            [*args, "--base-url", server.base_url, "-j", "2", "--no-cache"], env=env, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while (not out.exists() or out.read_bytes().count(b"\n") < 1) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = [
            subprocess.run(
                [*args, "--base-url", server.base_url, flag], env=env, capture_output=True, timeout=60
            )
            for flag in ("--resume", "--overwrite")
        ]
        gate.set()
        _, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr.decode()
    for proc in second:
        line = one_line_error(proc, 2, "is being written by another run")
        assert f"process {first.pid}" in line
    lines = read_lines(out)
    assert sorted(str(line["doc_id"]) for line in lines) == ids  # nothing lost, nothing corrupt


# ------------------------------------------------------------------ ids


def test_same_stem_files_keep_apart_and_resume_drops_none(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(article(1))
    (folder / "a.md").write_text(article(2))
    (folder / "a.html").write_text(f"<html><body><p>{article(3)}</p></body></html>")
    (folder / "b.txt").write_text(article(4))
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        first = cli(server, "extract", str(folder), "-o", str(out), "--no-cache")
        again = cli(server, "extract", str(folder), "-o", str(out), "--no-cache", "--resume")
        requests = len(server.completions)
    assert first.returncode == again.returncode == 0, first.stderr.decode() + again.stderr.decode()
    lines = read_lines(out)
    assert sorted(str(line["doc_id"]) for line in lines) == ["a.html", "a.md", "a.txt", "b"]
    assert not any("error" in line for line in lines)
    assert requests == 4  # the resume found everything done


def test_duplicate_jsonl_ids_are_refused_up_front(tmp_path: Path) -> None:
    records = [
        {"id": "x", "text": article(1)},
        {"id": "y", "text": article(2)},
        {"id": "x", "text": article(3)},
    ]
    (tmp_path / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with ScriptedServer(echo_answer) as server:
        proc = cli(server, "extract", str(tmp_path / "wire.jsonl"), "-o", str(tmp_path / "out.jsonl"))
        assert server.completions == []
    line = one_line_error(proc, 3, "same id")
    assert "'x'" in line and "line 1" in line and "line 3" in line
    assert not (tmp_path / "out.jsonl").exists()


def test_a_repeated_id_on_stdin_is_never_silently_skipped_on_resume(tmp_path: Path) -> None:
    records = "".join(json.dumps({"id": i, "text": article(n)}) + "\n" for n, i in enumerate(["x", "y", "x"]))
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        args = ("extract", "-", "-m", "openai/x", "--base-url", server.base_url, "-o", str(out))
        first = claimx_cli(*args, stdin=records.encode())
        again = claimx_cli(*args, "--resume", stdin=records.encode())
    assert first.returncode == again.returncode == 1
    errors = [line for line in read_lines(out) if "error" in line]
    assert len(errors) == 1 and "more than once" in errors[0]["error"]["message"]  # type: ignore[index]


# ------------------------------------------------------------------ resume integrity


def test_resume_refuses_a_file_that_is_not_claimx_results(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 2)
    out = tmp_path / "notes.jsonl"
    out.write_text('{"doc_id": "doc000"}\n{"doc_id": "doc001", "mine": true}\n')
    before = out.read_bytes()
    with ScriptedServer(echo_answer) as server:
        proc = cli(server, "extract", str(tmp_path / "in"), "-o", str(out), "--resume")
    one_line_error(proc, 2, "is not a claimx results file")
    assert out.read_bytes() == before


def test_resume_never_deletes_a_line_it_does_not_understand(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(tmp_path / "in"), "-o", str(out)).returncode == 0
        lines = out.read_bytes().splitlines(keepends=True)
        out.write_bytes(lines[0] + b"my own note about this run\n" + b"".join(lines[1:]))
        before = out.read_bytes()
        proc = cli(server, "extract", str(tmp_path / "in"), "-o", str(out), "--resume")
    one_line_error(proc, 2, "line 2 of")
    assert out.read_bytes() == before


def test_resume_refuses_results_of_other_settings_unless_asked(tmp_path: Path) -> None:
    ids = write_docs(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        base = ["extract", str(tmp_path / "in"), "-o", str(out), "--base-url", server.base_url, "--no-cache"]
        assert claimx_cli(*base, "-m", "openai/a").returncode == 0
        before = out.read_bytes()
        refused = claimx_cli(*base, "-m", "openai/b", "--resume")
        assert out.read_bytes() == before
        calls = len(server.completions)
        redone = claimx_cli(*base, "-m", "openai/b", "--resume", "--rerun-mismatched")
        assert len(server.completions) - calls == 4
    line = one_line_error(refused, 2, "other settings")
    assert "openai/a" in line and "openai/b" in line and "--rerun-mismatched" in line
    assert redone.returncode == 0, redone.stderr.decode()
    lines = read_lines(out)
    assert sorted(str(x["doc_id"]) for x in lines) == ids
    assert {x["meta"]["model"] for x in lines} == {"openai/b"}  # type: ignore[index]


# ------------------------------------------------------------------ I/O errors


def _drop_root_powers() -> None:
    """In the child: as root, give up overriding file permissions (so they bite, as for anyone)."""
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH: dropped at exec
            libc.prctl(24, capability, 0, 0, 0)  # PR_CAPBSET_DROP


def _as_nobody() -> dict[str, object]:
    return {"preexec_fn": _drop_root_powers}


def test_read_only_folder_and_full_disk_are_one_line_errors(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 12)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}

    def run(*args: str, **extra: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "claimx", "extract", *args, "-m", "openai/x",
             "--base-url", server.base_url, "--no-cache"],
            env=env, capture_output=True, timeout=120, **extra,  # type: ignore[call-overload]
        )  # fmt: skip

    def small_files() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    with ScriptedServer(echo_answer) as server:
        single_ro = run(str(tmp_path / "in" / "doc000.txt"), "-o", str(locked / "r.json"), **_as_nobody())
        batch_ro = run(str(tmp_path / "in"), "-o", str(locked / "r.jsonl"), **_as_nobody())
        full = run(
            str(tmp_path / "in"), "-o", str(tmp_path / "full.jsonl"), "-j", "1", preexec_fn=small_files
        )
        # A full device of our own: never the system's /dev/full, which a bug could replace.
        os.mknod(tmp_path / "full", 0o666 | stat.S_IFCHR, os.makedev(1, 7))
        device_full = run(str(tmp_path / "in" / "doc000.txt"), "-o", str(tmp_path / "full"), "-f", "json")
    one_line_error(single_ro, 2, "Permission denied")
    one_line_error(batch_ro, 2, "Permission denied")
    one_line_error(full, 2, "File too large")
    one_line_error(device_full, 2, "No space left on device")
    assert stat.S_ISCHR((tmp_path / "full").lstat().st_mode)
    assert "finished before are kept" in full.stderr.decode()
    data = (tmp_path / "full.jsonl").read_bytes()
    whole = [json.loads(line) for line in data.splitlines(keepends=True) if line.endswith(b"\n")]
    assert whole and all(line["claims"] for line in whole)  # finished lines kept, readable


def test_unreadable_subfolder_is_reported(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 2)
    hidden = tmp_path / "in" / "private"
    write_docs(hidden, 1)
    hidden.chmod(0o000)
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    try:
        with ScriptedServer(echo_answer) as server:
            proc = subprocess.run(
                [sys.executable, "-m", "claimx", "extract", str(tmp_path / "in"), "-m", "openai/x",
                 "--base-url", server.base_url, "--no-cache"],
                env=env, capture_output=True, timeout=120, **_as_nobody(),  # type: ignore[call-overload]
            )  # fmt: skip
    finally:
        hidden.chmod(0o755)
    assert proc.returncode == 1, proc.stderr.decode()
    by_id = {r["doc_id"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert set(by_id) == {"doc000", "doc001", "private"}
    assert "cannot read the folder" in by_id["private"]["error"]["message"]


def test_utf16_jsonl_is_read(tmp_path: Path) -> None:
    records = "".join(json.dumps({"id": f"u{i}", "text": article(i) + " Ça va."}) + "\n" for i in range(3))
    (tmp_path / "wire.jsonl").write_bytes(records.encode("utf-16"))
    with ScriptedServer(echo_answer) as server:
        proc = cli(server, "extract", str(tmp_path / "wire.jsonl"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert sorted(json.loads(line)["doc_id"] for line in proc.stdout.splitlines()) == ["u0", "u1", "u2"]


# ------------------------------------------------------------------ reads off the event loop


def test_a_fifo_in_a_batch_blocks_only_itself_and_sigterm_still_works(tmp_path: Path) -> None:
    ids = write_docs(tmp_path / "in", 4)
    fifo = tmp_path / "in" / "waiting.txt"
    os.mkfifo(fifo)
    files = [str(tmp_path / "in" / f"{i}.txt") for i in ids]
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    with ScriptedServer(echo_answer) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "claimx", "extract", files[0], str(fifo), *files[1:], "-m", "openai/x",
             "--base-url", server.base_url, "-o", str(out), "-j", "2", "--no-cache"],
            env=env, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while (not out.exists() or out.read_bytes().count(b"\n") < 4) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert out.read_bytes().count(b"\n") == 4  # the others finished while the FIFO waits
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr.decode()
    assert sorted(str(line["doc_id"]) for line in read_lines(out)) == ids


# ------------------------------------------ an article in the input folder as the output


def test_an_article_of_the_input_folder_is_never_the_output(tmp_path: Path) -> None:
    """Skipping "the output file" is for an earlier run's results; an article there is an input."""
    folder = tmp_path / "in"
    write_docs(folder, 3)
    target = folder / "doc001.txt"
    before = target.read_bytes()
    with ScriptedServer(echo_answer) as server:
        forced = cli(server, "extract", str(folder), "-o", str(target), "--overwrite", "-f", "jsonl")
        assert server.completions == []
    one_line_error(forced, 2, f"{target} is both an input and the output")
    assert "not reading" not in forced.stderr.decode()
    assert target.read_bytes() == before


def test_an_existing_article_as_a_batch_output_is_not_called_results(tmp_path: Path) -> None:
    write_docs(tmp_path / "in", 2)
    other = tmp_path / "keep.txt"
    other.write_text(article(9))
    with ScriptedServer(echo_answer) as server:
        proc = cli(server, "extract", str(tmp_path / "in"), "-o", str(other), "-f", "jsonl")
        results = tmp_path / "results.jsonl"
        assert cli(server, "extract", str(tmp_path / "in"), "-o", str(results)).returncode == 0
        again = cli(server, "extract", str(tmp_path / "in"), "-o", str(results))
    line = one_line_error(proc, 2, "already exists and is not a claimx results file: add --overwrite")
    assert "holds results" not in line
    assert other.read_text() == article(9)
    one_line_error(again, 2, "already holds results: add --resume")


# ------------------------------------------------------------------ claimx view -o


def test_view_never_replaces_its_input_nor_an_existing_file(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    result = tmp_path / "result.json"
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(source), "-f", "json", "-o", str(result)).returncode == 0
    saved = result.read_bytes()
    (tmp_path / "link.json").symlink_to(result)
    (tmp_path / "hard.json").hardlink_to(result)
    for target in ("result.json", "link.json", "hard.json"):
        proc = claimx_cli("view", str(result), "-o", str(tmp_path / target), "--overwrite")
        one_line_error(proc, 2, "is both an input and the output")
    proc = claimx_cli("view", str(result), "--text", str(source), "-o", str(source), "--overwrite")
    one_line_error(proc, 2, "is both an input and the output")
    assert result.read_bytes() == saved and source.read_text() == article(1)
    keep = tmp_path / "keep.html"  # (a .txt is refused: view writes HTML)
    keep.write_text("an article")
    one_line_error(claimx_cli("view", str(result), "-o", str(keep)), 2, "already exists: add --overwrite")
    assert keep.read_text() == "an article"
    replaced = claimx_cli("view", str(result), "-o", str(keep), "--overwrite")
    assert replaced.returncode == 0, replaced.stderr.decode()
    assert keep.read_text().startswith("<!DOCTYPE html>")


def test_dev_stdout_as_output_writes_to_stdout_where_it_points(tmp_path: Path) -> None:
    """``-o /dev/stdout`` (a pipe, or a file the shell appends to): it was resolved to the
    pipe's unopenable name (``No such file or directory``), or to the appended file,
    which then needed ``--overwrite`` and would have been replaced, losing what it held."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(article(1 if name == "a" else 2))
    a, b = str(tmp_path / "a.txt"), str(tmp_path / "b.txt")
    with ScriptedServer(echo_answer) as server:
        single = cli(server, "extract", a, "-o", "/dev/stdout")
        several = cli(server, "extract", a, b, "-o", "/dev/stdout")
        log = tmp_path / "log.txt"
        log.write_bytes(b"KEEP ME\n")
        with log.open("ab") as appended:
            env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
            command = [sys.executable, "-m", "claimx", "extract", a, "-f", "json", "-o", "/dev/stdout"]
            command += ["-m", "openai/x", "--base-url", server.base_url]
            to_file = subprocess.run(command, stdout=appended, stderr=subprocess.PIPE, env=env, timeout=120)
    assert single.returncode == 0, single.stderr.decode()
    assert json.loads(single.stdout)["doc_id"] == "a"
    assert several.returncode == 0, several.stderr.decode()
    assert sorted(json.loads(line)["doc_id"] for line in several.stdout.splitlines()) == ["a", "b"]
    assert to_file.returncode == 0, to_file.stderr.decode()
    kept, _, rest = log.read_bytes().partition(b"\n")
    assert kept == b"KEEP ME" and json.loads(rest)["doc_id"] == "a"


def test_an_output_named_for_another_format_is_refused(tmp_path: Path) -> None:
    """``view -o page.json`` and ``eval report --out report.json`` wrote an HTML page under a
    JSON name, ``eval compare --md table.html`` Markdown under an HTML one (the extract
    command already picks its format by the name); now each says what it writes."""
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    result = tmp_path / "result.json"
    with ScriptedServer(echo_answer) as server:
        made = cli(server, "extract", str(source), "-o", str(result))
    assert made.returncode == 0, made.stderr.decode()
    run = tmp_path / "run"
    evaluated = claimx_cli("eval", "run", "-d", "seed", "-m", "baseline", "-o", str(run))
    assert evaluated.returncode == 0, evaluated.stderr.decode()
    cases = [
        (["view", str(result), "-o"], "page.json", "HTML"),
        (["view", str(result), "-o"], "page.md", "HTML"),
        (["eval", "report", str(run), "--out"], "report.jsonl", "HTML"),
        (["eval", "compare", str(run), str(run), "--md"], "table.html", "Markdown"),
    ]
    for command, name, writes in cases:
        proc = claimx_cli(*command, str(tmp_path / name))
        line = one_line_error(proc, 2, writes)
        assert "name it" in line, line
        assert not (tmp_path / name).exists()
    # extract picks its format by the name: one it does not write is refused before any call
    # (-o notes.md wrote JSON), unless --format says what to write there.
    with ScriptedServer(echo_answer) as server:
        for name in ("notes.md", "table.csv"):
            line = one_line_error(cli(server, "extract", str(source), "-o", str(tmp_path / name)), 2, "JSON")
            assert "name it" in line and "--format json" in line, line
            assert not (tmp_path / name).exists()
        assert server.completions == []
        forced = cli(server, "extract", str(source), "-f", "json", "-o", str(tmp_path / "notes.md"))
    assert forced.returncode == 0, forced.stderr.decode()
    assert json.loads((tmp_path / "notes.md").read_text())["doc_id"] == "a"
    for command, name in (
        (["view", str(result), "-o"], "page.htm"),
        (["eval", "compare", str(run), str(run), "--md"], "c.md"),
    ):
        proc = claimx_cli(*command, str(tmp_path / name))
        assert proc.returncode == 0 and (tmp_path / name).stat().st_size, proc.stderr.decode()


def test_a_page_claimx_wrote_is_never_read_as_an_article(tmp_path: Path) -> None:
    """``extract -f html -o articles/a.page.html`` (or ``view``, or ``eval report``) put a page
    beside the articles; the next ``extract articles/`` read it as one more article: the
    same story again, wrapped in claimx's own tables, paid for twice."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text(article(1))
    page = folder / "a.page.html"
    out = tmp_path / "out.jsonl"
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(folder / "a.txt"), "-o", str(page)).returncode == 0
        assert b'name="generator" content="claimx"' in page.read_bytes()
        scanned = cli(server, "extract", str(folder), "-o", str(out))
        named = cli(server, "extract", str(page), "-f", "json")
    assert scanned.returncode == 0, scanned.stderr.decode()
    assert [line["doc_id"] for line in read_lines(out)] == ["a"]
    assert f"not reading {page}" in scanned.stderr.decode()
    one_line_error(named, 3, "claimx wrote")


def test_an_output_ending_in_a_slash_is_a_folder_never_a_file(tmp_path: Path) -> None:
    """``-o results/`` (a folder that does not exist yet) wrote a file named ``results``:
    the slash was lost when the option became a path, so the user's folder became a file."""
    source = tmp_path / "a.txt"
    source.write_text(article(1))
    result = tmp_path / "result.json"
    with ScriptedServer(echo_answer) as server:
        assert cli(server, "extract", str(source), "-o", str(result)).returncode == 0
        extracted = cli(server, "extract", str(source), "-o", f"{tmp_path / 'new'}/")
        exported = cli(server, "batch", "export", str(source), "-o", f"{tmp_path / 'reqs'}/")
    viewed = claimx_cli("view", str(result), "-o", f"{tmp_path / 'pages'}/")
    for proc in (extracted, exported, viewed):
        stderr = proc.stderr.decode()
        assert proc.returncode == 2 and "folder" in stderr, stderr
    assert not [name for name in ("new", "reqs", "reqs.claimx.jsonl", "pages") if (tmp_path / name).exists()]
