#!/usr/bin/env python3
"""Run the `run:` steps of a GitHub Actions workflow locally, in order.

The GitHub environment is simulated: GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_ENV,
GITHUB_PATH, GITHUB_REF, GITHUB_REF_NAME, GITHUB_WORKSPACE and friends are set, workflow,
job and step `env:` are applied, and simple `${{ }}` expressions (github.*, env.*, steps.*,
secrets.* as empty) are substituted. `uses:` steps are skipped with a note, as are steps whose
name or command matches a `--skip` pattern. Conditions (`if:`) and matrices are not evaluated.

    python scripts/run_workflow.py .github/workflows/validate.yml --skip install --skip test

Exit 0 when every step that ran succeeded, 1 when a step failed (unless it has
`continue-on-error: true`), 2 when the workflow cannot be read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ENV_HEREDOC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)<<(.+)$")


class WorkflowError(Exception):
    """The workflow file cannot be read or run."""


def load_workflow(path: Path) -> dict:
    """Parse a workflow file; YAML's `on:` key stays a string."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WorkflowError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        data = yaml.load(text, Loader=_StringKeyLoader)
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise WorkflowError(f"{path} has no jobs")
    return data


class _StringKeyLoader(yaml.SafeLoader):
    """A safe loader that reads `on`, `yes` and `no` as strings, as GitHub does."""


_StringKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StringKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def job_order(jobs: dict) -> list[str]:
    """Job ids in an order that respects `needs:` (file order otherwise)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(job_id: str) -> None:
        if job_id in order:
            return
        if job_id in visiting:
            raise WorkflowError(f"jobs form a cycle through {job_id!r}")
        if job_id not in jobs:
            raise WorkflowError(f"a job needs {job_id!r}, which does not exist")
        visiting.add(job_id)
        needs = jobs[job_id].get("needs") or []
        for need in [needs] if isinstance(needs, str) else needs:
            visit(need)
        visiting.discard(job_id)
        order.append(job_id)

    for job_id in jobs:
        visit(job_id)
    return order


class Runner:
    """Runs the steps of one workflow with a simulated GitHub environment."""

    def __init__(self, workflow: dict, workflow_path: Path, workdir: Path, args) -> None:
        self.workflow = workflow
        self.workflow_path = workflow_path
        self.workdir = workdir
        self.skip = [re.compile(pattern, re.IGNORECASE) for pattern in args.skip]
        self.temp = Path(tempfile.mkdtemp(prefix="run-workflow-"))
        self.summary = (
            Path(args.summary).resolve() if args.summary else self.temp / "step_summary.md"
        )
        self.summary.parent.mkdir(parents=True, exist_ok=True)
        self.summary.touch()
        self.env_file = self.temp / "env"
        self.path_file = self.temp / "path"
        self.added_env: dict[str, str] = {}
        self.added_path: list[str] = []
        self.outputs: dict[str, dict[str, str]] = {}
        ref = args.ref or _current_ref(workdir)
        ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
        self.github = {
            "ref": ref,
            "ref_name": ref.split("/", 2)[-1] if ref.startswith("refs/") else ref,
            "ref_type": ref_type,
            "event_name": args.event,
            "workspace": str(workdir),
            "repository": args.repository,
            "repository_owner": args.repository.split("/")[0],
            "sha": _current_sha(workdir),
            "workflow": str(workflow.get("name") or workflow_path.name),
            "run_id": "1",
            "run_number": "1",
            "run_attempt": "1",
            "actor": os.environ.get("USER", "local"),
            "server_url": "https://github.com",
            "api_url": "https://api.github.com",
        }
        self.overrides = dict(args.env)

    # -- expressions -------------------------------------------------------------------------

    def expand(self, value: object, env: dict[str, str]) -> str:
        """Substitute the `${{ }}` expressions this runner understands in a value."""
        return EXPRESSION.sub(lambda match: self._evaluate(match.group(1), env), str(value))

    def _evaluate(self, expression: str, env: dict[str, str]) -> str:
        parts = expression.split(".")
        head = parts[0]
        if head == "github" and len(parts) == 2 and parts[1] in self.github:
            return self.github[parts[1]]
        if head == "env" and len(parts) == 2:
            return env.get(parts[1], "")
        if head == "runner" and len(parts) == 2:
            return {"temp": str(self.temp), "os": "Linux", "arch": "X64"}.get(parts[1], "")
        if head == "steps" and len(parts) == 4 and parts[2] == "outputs":
            return self.outputs.get(parts[1], {}).get(parts[3], "")
        if head in {"secrets", "vars", "inputs"} and len(parts) == 2:
            return ""
        print(f"run_workflow: cannot evaluate ${{{{ {expression} }}}}; using ''", file=sys.stderr)
        return ""

    # -- running -----------------------------------------------------------------------------

    def base_env(self, job_id: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_JOB": job_id,
                "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_ENV": str(self.env_file),
                "GITHUB_PATH": str(self.path_file),
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
            }
        )
        env.update({f"GITHUB_{key.upper()}": value for key, value in self.github.items()})
        for scope in (self.workflow, self.workflow["jobs"][job_id]):
            for key, value in (scope.get("env") or {}).items():
                env[str(key)] = self.expand(value, env)
        return env

    def run(self, jobs: list[str]) -> int:
        failed = False
        for job_id in jobs:
            job = self.workflow["jobs"][job_id]
            if "steps" not in job:
                print(f"==> job {job_id}: skipped (no steps; reusable workflow call)")
                continue
            print(f"==> job {job_id}")
            self.outputs, self.added_env, self.added_path = {}, {}, []
            for number, step in enumerate(job["steps"], start=1):
                if not self.run_step(job_id, job, number, step):
                    failed = True
                    break
            if failed:
                break
        summary = self.summary.read_text(encoding="utf-8")
        if self.summary.is_relative_to(self.temp) and summary.strip():
            print("==> step summary (GITHUB_STEP_SUMMARY):")
            print(summary.rstrip())
        return 1 if failed else 0

    def run_step(self, job_id: str, job: dict, number: int, step: dict) -> bool:
        """Run one step; return False when the job must stop."""
        label = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
        if "uses" in step:
            print(f"--> [{number}] {label}: skipped (uses: {step['uses']}; runs only on GitHub)")
            return True
        command = str(step.get("run", ""))
        pattern = next((p for p in self.skip if p.search(label) or p.search(command)), None)
        if pattern is not None:
            print(f"--> [{number}] {label}: skipped (matches --skip {pattern.pattern!r})")
            return True
        print(f"--> [{number}] {label}", flush=True)

        env = self.base_env(job_id)
        env.update(self.added_env)
        for key, value in (step.get("env") or {}).items():
            env[str(key)] = self.expand(value, env)
        env.update(self.overrides)
        if self.added_path:
            env["PATH"] = os.pathsep.join([*reversed(self.added_path), env.get("PATH", "")])
        output_file = self.temp / f"output-{job_id}-{number}"
        output_file.write_text("", encoding="utf-8")
        env["GITHUB_OUTPUT"] = str(output_file)
        self.env_file.write_text("", encoding="utf-8")
        self.path_file.write_text("", encoding="utf-8")

        defaults = ((self.workflow.get("defaults") or {}).get("run") or {}) | (
            (job.get("defaults") or {}).get("run") or {}
        )
        shell = step.get("shell") or defaults.get("shell") or "bash"
        directory = step.get("working-directory") or defaults.get("working-directory") or "."
        cwd = (self.workdir / self.expand(directory, env)).resolve()
        script = self.temp / f"step-{job_id}-{number}"
        script.write_text(self.expand(command, env), encoding="utf-8")
        timeout = step.get("timeout-minutes")
        try:
            result = subprocess.run(
                [*_shell_command(shell), str(script)],
                cwd=cwd,
                env=env,
                timeout=float(timeout) * 60 if timeout else None,
                check=False,
            )
            code = result.returncode
        except subprocess.TimeoutExpired:
            print(f"--> [{number}] {label}: timed out after {timeout} min")
            code = 124
        except OSError as exc:
            print(f"--> [{number}] {label}: cannot start {shell}: {exc.strerror}")
            code = 127

        self._collect(step.get("id"), output_file)
        if code == 0:
            return True
        if str(step.get("continue-on-error", "false")).lower() == "true":
            print(f"--> [{number}] {label}: failed with exit {code} (continue-on-error)")
            return True
        print(f"--> [{number}] {label}: failed with exit {code}")
        return False

    def _collect(self, step_id: str | None, output_file: Path) -> None:
        """Read what the step wrote to GITHUB_OUTPUT, GITHUB_ENV and GITHUB_PATH."""
        if step_id:
            self.outputs[step_id] = _read_key_values(output_file)
        self.added_env.update(_read_key_values(self.env_file))
        for line in self.path_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                self.added_path.append(line.strip())

    def close(self) -> None:
        shutil.rmtree(self.temp, ignore_errors=True)


def _shell_command(shell: str) -> list[str]:
    known = {
        "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
        "sh": ["sh", "-e"],
        "python": [sys.executable],
    }
    if shell in known:
        return known[shell]
    if "{0}" in shell:
        return shell.replace("{0}", "").split()
    raise WorkflowError(f"unsupported shell {shell!r}")


def _read_key_values(path: Path) -> dict[str, str]:
    """Parse the KEY=VALUE and KEY<<DELIMITER forms of GITHUB_OUTPUT and GITHUB_ENV."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        heredoc = ENV_HEREDOC.match(line)
        if heredoc:
            key, delimiter, body = heredoc.group(1), heredoc.group(2), []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            values[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def _git(workdir: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=workdir, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else None


def _current_ref(workdir: Path) -> str:
    return _git(workdir, "symbolic-ref", "-q", "HEAD") or "refs/heads/main"


def _current_sha(workdir: Path) -> str:
    return _git(workdir, "rev-parse", "HEAD") or "0" * 40


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run a GitHub Actions workflow's run: steps locally, in order."
    )
    parser.add_argument("workflow", type=Path, help="the workflow file (.yml)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path.cwd(),
        help="the checkout to run in (GITHUB_WORKSPACE); default: the current directory",
    )
    parser.add_argument("--job", action="append", default=[], help="run only this job (repeat)")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="REGEX",
        help="skip steps whose name or command matches (case-insensitive; repeat)",
    )
    parser.add_argument("--ref", help="GITHUB_REF, e.g. refs/tags/v1.0.0; default: current branch")
    parser.add_argument("--event", default="push", help="GITHUB_EVENT_NAME (default: push)")
    parser.add_argument(
        "--repository", default="local/repository", help="GITHUB_REPOSITORY (owner/name)"
    )
    parser.add_argument("--summary", help="file for GITHUB_STEP_SUMMARY; default: a temp file")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        type=_key_value,
        metavar="KEY=VALUE",
        help="set an environment variable for every step, over the workflow's (repeat)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir.resolve()
    try:
        workflow = load_workflow(args.workflow)
        order = job_order(workflow["jobs"])
        unknown = [job for job in args.job if job not in workflow["jobs"]]
        if unknown:
            raise WorkflowError(f"no such job: {', '.join(unknown)}")
        jobs = [job for job in order if not args.job or job in args.job]
        runner = Runner(workflow, args.workflow, workdir, args)
        try:
            return runner.run(jobs)
        finally:
            runner.close()
    except WorkflowError as exc:
        print(f"run_workflow: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
