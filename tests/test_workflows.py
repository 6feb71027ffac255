"""The GitHub Actions workflows: hardened, clean under zizmor, and runnable off GitHub."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
RUNNER = ROOT / "scripts" / "run_workflow.py"
BIN = Path(sys.executable).parent
PINNED_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d[\w.]*\s*$")
LOCAL_STEPS = ["^Install", "test suite"]  # reuse this venv; the suite is what is running now


def workflow_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yaml"))


def load(path: Path) -> dict:
    """Load a workflow with `on` kept as a string key, as GitHub reads it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict):
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def copy_repository(dest: Path) -> Path:
    """Copy the repository's tracked and new untracked files into dest, as a checkout would."""
    listed: set[str] = set()
    try:
        for extra in ([], ["--others", "--exclude-standard"]):
            result = subprocess.run(
                ["git", "ls-files", "-z", *extra],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            listed.update(name for name in result.stdout.split("\0") if name)
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: copy the tree
        ignore = shutil.ignore_patterns(".git", ".venv", "dist", "site", "*cache*", "*.egg-info")
        shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
        return dest
    for name in sorted(listed):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def run_workflow(
    workflow: str, workdir: Path, *args: str, skip: list[str] = LOCAL_STEPS
) -> subprocess.CompletedProcess:
    """Run a workflow's run: steps in workdir with this venv's tools first on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["NO_COLOR"] = "1"
    command = [sys.executable, str(RUNNER), str(WORKFLOWS / workflow), "--workdir", str(workdir)]
    for pattern in skip:
        command += ["--skip", pattern]
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


# -- static checks ------------------------------------------------------------------------------


def test_workflows_exist():
    """The validate, release and scheduled workflows are all present."""
    names = {path.name for path in workflow_files()}
    assert {"validate.yml", "release.yml", "scheduled.yml"} <= names


def test_zizmor_reports_nothing():
    """zizmor, run offline over .github/, finds nothing to report."""
    zizmor = BIN / "zizmor"
    if not zizmor.exists():
        pytest.fail(
            f"zizmor is not installed next to {sys.executable}: install the test extras "
            "(pip install -e '.[test]') and run the tests again"
        )
    tokens = {"GH_TOKEN", "GITHUB_TOKEN"}
    env = {key: value for key, value in os.environ.items() if key not in tokens}
    env["NO_COLOR"] = "1"
    result = subprocess.run(
        [str(zizmor), "--offline", ".github/"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout, result.stdout


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_top_level_permissions_are_empty_and_jobs_declare_theirs(path):
    """Each workflow grants nothing at the top level and every job states its own permissions."""
    workflow = load(path)
    assert workflow.get("permissions") == {}
    for job_id, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {job_id} in {path.name} has no permissions block"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    """Every `uses:` names a full 40-hex commit SHA followed by a `# vX` version comment."""
    lines = path.read_text(encoding="utf-8").splitlines()
    uses = [line for line in lines if re.match(r"^\s*(?:-\s+)?uses:", line)]
    assert uses, f"{path.name} uses no actions"
    for line in uses:
        if re.search(r"uses:\s*(\./|docker://)", line):
            continue
        assert PINNED_USES.match(line), f"{path.name}: not pinned with a version comment: {line}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_no_dangerous_triggers_or_persisted_credentials(path):
    """No pull_request_target, and every checkout sets persist-credentials: false."""
    workflow = load(path)
    triggers = workflow["on"]
    names = [triggers] if isinstance(triggers, str) else list(triggers)
    assert "pull_request_target" not in names
    assert "workflow_run" not in names
    for job_id, step in steps(workflow):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert (step.get("with") or {}).get("persist-credentials") is False, job_id


@pytest.mark.parametrize("path", workflow_files(), ids=lambda path: path.name)
def test_run_steps_have_no_expressions_and_pin_installed_tools(path):
    """No `${{ }}` inside run: scripts, and every tool installed with pip is pinned with ==."""
    for job_id, step in steps(load(path)):
        script = step.get("run")
        if script is None:
            continue
        assert "${{" not in script, f"{path.name}/{job_id}: expression inside run: {script}"
        for match in re.finditer(r"pip install ([^\n;&|]+)", script):
            for word in match.group(1).split():
                if word.startswith("-") or word.strip("'\"").startswith("."):
                    continue
                assert "==" in word, f"{path.name}/{job_id}: unpinned pip install {word}"


def test_only_the_release_workflow_writes():
    """Write permissions appear in release.yml only; id-token only where attest or Pages need it."""
    for path in workflow_files():
        for job_id, job in load(path)["jobs"].items():
            granted = job.get("permissions") or {}
            writes = {scope for scope, level in granted.items() if level == "write"}
            if path.name != "release.yml":
                assert not writes, f"{path.name}/{job_id} writes {writes}"
            elif "id-token" in writes:
                used = " ".join(str(step.get("uses", "")) for step in job.get("steps", []))
                assert "attest-build-provenance" in used or "deploy-pages" in used, job_id


def test_release_workflow_runs_once_at_a_time_and_attests_the_assets():
    """The release workflow has a concurrency group and attests every asset it uploads."""
    workflow = load(WORKFLOWS / "release.yml")
    assert workflow["concurrency"]["cancel-in-progress"] is False
    uses = [step for _, step in steps(workflow) if "uses" in step]
    attest = [step for step in uses if "attest-build-provenance" in step["uses"]]
    assert attest and attest[0]["with"]["subject-path"].startswith("dist/download/v")


# -- the runner ---------------------------------------------------------------------------------


def test_runner_simulates_the_github_environment(tmp_path):
    """run_workflow.py passes GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH and env: between steps."""
    (tmp_path / "tools").mkdir()
    workflow = tmp_path / "wf.yml"
    workflow.write_text(
        """
on: push
env: {LEVEL: workflow}
jobs:
  first:
    env: {JOB_LEVEL: job}
    steps:
      - uses: actions/checkout@v0
      - id: a
        run: |
          echo "x=from-output" >> "$GITHUB_OUTPUT"
          printf 'MULTI<<EOF\\nline one\\nline two\\nEOF\\n' >> "$GITHUB_ENV"
          echo "$PWD/tools" >> "$GITHUB_PATH"
          printf '#!/bin/sh\\necho tool ran\\n' > tools/mytool && chmod +x tools/mytool
      - name: may fail
        continue-on-error: true
        run: exit 3
      - name: skipped by pattern
        run: exit 4
      - env:
          FROM_STEP: ${{ steps.a.outputs.x }}
        run: |
          test "$FROM_STEP" = from-output
          test "$MULTI" = "$(printf 'line one\\nline two')"
          test "$LEVEL/$JOB_LEVEL" = workflow/job
          test "$GITHUB_REF_NAME" = v2.0.0
          test "$GITHUB_WORKSPACE" = "$PWD"
          mytool
          echo "# done" >> "$GITHUB_STEP_SUMMARY"
  second:
    needs: first
    steps:
      - run: test -z "${MULTI:-}"
""",
        encoding="utf-8",
    )
    summary = tmp_path / "summary.md"
    result = subprocess.run(
        [
            *(sys.executable, str(RUNNER), str(workflow), "--workdir", str(tmp_path)),
            *("--ref", "refs/tags/v2.0.0", "--skip", "by pattern", "--summary", str(summary)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped (uses: actions/checkout@v0" in result.stdout
    assert "failed with exit 3 (continue-on-error)" in result.stdout
    assert "tool ran" in result.stdout
    assert summary.read_text(encoding="utf-8") == "# done\n"
    assert result.stdout.index("==> job first") < result.stdout.index("==> job second")


def test_runner_exits_1_when_a_step_fails_and_stops_there(tmp_path):
    """A failing step makes run_workflow.py exit 1 without running the steps after it."""
    workflow = tmp_path / "wf.yml"
    workflow.write_text(
        "on: push\njobs:\n  j:\n    steps:\n      - run: exit 5\n      - run: touch ran\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(workflow), "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "failed with exit 5" in result.stdout
    assert not (tmp_path / "ran").exists()


def test_runner_exits_2_on_an_unreadable_workflow(tmp_path):
    """A workflow that is not YAML with jobs makes run_workflow.py exit 2."""
    workflow = tmp_path / "wf.yml"
    workflow.write_text("on: push\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(workflow)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "has no jobs" in result.stderr


# -- the workflows, run off GitHub --------------------------------------------------------------


def test_validate_workflow_passes_on_the_repository(tmp_path):
    """validate.yml's steps pass on a fresh copy of the repository and write a step summary."""
    repo = copy_repository(tmp_path / "repo")
    summary = tmp_path / "summary.md"
    result = run_workflow("validate.yml", repo, "--summary", str(summary))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout
    assert summary.read_text(encoding="utf-8").strip()


def test_validate_workflow_annotates_a_bad_cell(tmp_path):
    """A non-numeric value in data/metrics.csv fails validate.yml with an annotation on its line."""
    repo = copy_repository(tmp_path / "repo")
    metrics = repo / "data" / "metrics.csv"
    lines = metrics.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    line_number = 3
    cells = lines[line_number - 1].split(",")
    cells[header.index("value")] = "not-a-number"
    lines[line_number - 1] = ",".join(cells)
    metrics.write_text("\n".join(lines), encoding="utf-8")

    result = run_workflow("validate.yml", repo, "--summary", str(tmp_path / "summary.md"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Validate the data package: failed with exit 1" in result.stdout
    assert re.search(
        rf"^::error file=data/metrics\.csv,line={line_number},title=[^:]+::", result.stdout, re.M
    ), result.stdout


def test_release_workflow_refuses_a_tag_that_differs_from_the_version(tmp_path):
    """release.yml stops at the tag check when the tag is not the descriptor's version."""
    repo = copy_repository(tmp_path / "repo")
    result = run_workflow("release.yml", repo, "--ref", "refs/tags/v9.9.9")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Check the tag matches the descriptor version: failed" in result.stdout
    assert "tag-mismatch" in result.stdout
    assert not (repo / "dist").exists()


def test_release_workflow_builds_the_assets_and_the_schedule_consumes_them(tmp_path):
    """release.yml on tag v1.0.0 builds every asset; scheduled.yml downloads and validates them."""
    repo = copy_repository(tmp_path / "repo")
    name = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))["name"]
    version = json.loads((repo / "datapackage.json").read_text(encoding="utf-8"))["version"]
    assert version == "1.0.0"
    result = run_workflow(
        "release.yml", repo, "--ref", "refs/tags/v1.0.0", skip=[*LOCAL_STEPS, r"gh release"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped (matches --skip 'gh release')" in result.stdout

    assets = repo / "dist" / "download" / "v1.0.0"
    names = {path.name for path in assets.iterdir()}
    expected = {
        f"{name}-1.0.0.zip",
        f"{name}-1.0.0.sqlite",
        "datapackage.json",
        "index.html",
        "CHANGELOG.md",
        "SHA256SUMS",
    }
    assert expected <= names, names
    assert any(item.endswith(".parquet") for item in names), names
    assert (repo / "site" / "index.html").is_file()

    consumer = run_workflow(
        "scheduled.yml",
        repo,
        "--env",
        f"OPENDATA_JZ_RELEASES={repo / 'dist'}",
        "--env",
        f"OPENDATA_JZ_CACHE={tmp_path / 'cache'}",
    )
    assert consumer.returncode == 0, consumer.stdout + consumer.stderr
    assert "Validate the downloaded package" in consumer.stdout
