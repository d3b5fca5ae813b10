"""Run a deployed Lambda artefact the way Lambda runs it: `make rehearse`'s answer to moto's Invoke.

moto stores the functions and layers Terraform creates but runs no code without Docker. The rehearsal's
moto (scripts/build/tf_moto_server.py ``--rehearsal CONFIG``) answers each Invoke with :func:`run`:

- the layout: the function's code zip unpacked as ``/var/task``, its layers (in order) as ``/opt``, the
  bootstrap below as ``/var/runtime``, each bind-mounted READ-ONLY in a private mount namespace
  (``unshare --mount``; root only), with a private ``/tmp`` (tmpfs) and a private ``/etc/hosts``;
- the interpreter: python3.12 (the runtime's minor version) with ``-I -S``: no ``PYTHON*`` variable, no
  user or system site-packages, nothing of the checkout; ``sys.path`` is exactly Lambda's:
  ``/var/task``, ``/opt/python/lib/python3.12/site-packages``, ``/opt/python``, then the standard library;
- the function: exactly the handler, timeout and environment the applied function holds, plus what the
  Lambda service itself adds (region, function name, the role's credentials), plus the rehearsal's named
  differences (:class:`Setup` ``added`` and ``changed``), which :func:`differences` lists;
- the answer: what Lambda answers, a JSON result, or ``{"errorType", "errorMessage", ...}`` with the
  ``X-Amz-Function-Error: Unhandled`` header (``Runtime.ImportModuleError`` for a handler that does not
  import, ``Sandbox.Timedout`` after the timeout).

Before running, :func:`preflight` fails with the cause when the layout cannot work: ``ITC_DB_SSLROOTCERT``
names a file the layers do not hold (the RDS CA bundle missing), or Terraform sets a variable that
nothing in the artefact reads. The bootstrap records which environment variables the handler's process
read (``os.environ`` wrapped before the handler is imported), for the rehearsal's table.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scripts.build import package_lambdas as pl

LAMBDA_ROOTS = ("/var/task", "/opt", "/var/runtime")
# What the Lambda service adds to every function's environment (documented "reserved" variables).
SERVICE_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
                     "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_EXECUTION_ENV",
                     "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "LANG", "TZ", "PATH", "LD_LIBRARY_PATH",
                     "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
NAME_LITERAL = re.compile(r"""["']([A-Z][A-Z0-9_]{2,})["']""")

BOOTSTRAP = r'''
"""The rehearsal's Lambda bootstrap (mounted at /var/runtime, never on sys.path)."""
import json, os, sys, time, traceback, uuid

result_fd, handler_name, deadline_ms = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
sys.path[:] = ["/var/task", "/opt/python/lib/python3.12/site-packages", "/opt/python"] + [
    p for p in sys.path if p.startswith(sys.base_prefix) and "site-packages" not in p]
READ = set()


class RecordingEnviron(type(os.environ)):
    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


os.environ.__class__ = RecordingEnviron


class Context:
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
    function_version = "$LATEST"
    memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
    log_stream_name = "rehearsal"
    aws_request_id = str(uuid.uuid4())
    invoked_function_arn = sys.argv[4]

    def get_remaining_time_in_millis(self):
        return max(0, int(deadline_ms - time.time() * 1000))


def answer(payload, error=False):
    with os.fdopen(result_fd, "w") as out:
        json.dump({"payload": payload, "error": error, "env_read": sorted(READ)}, out, default=str)


module_name, _, function_name = handler_name.rpartition(".")
try:
    module = __import__(module_name, fromlist=[function_name])
except Exception as exc:
    answer({"errorMessage": f"Unable to import module '{module_name}': {exc}", "errorType": "Runtime.ImportModuleError",
            "stackTrace": []}, True)
    sys.exit(0)
handler = getattr(module, function_name, None)
if handler is None:
    answer({"errorMessage": f"Handler '{function_name}' missing on module '{module_name}'",
            "errorType": "Runtime.HandlerNotFound", "stackTrace": []}, True)
    sys.exit(0)
event = json.loads(sys.stdin.read() or "{}")
try:
    result = handler(event, Context())
except Exception as exc:
    answer({"errorMessage": str(exc), "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__)}, True)
else:
    answer(result)
'''


class RehearsalError(RuntimeError):
    """The artefact cannot run as deployed; the message names the cause."""


@dataclass(frozen=True)
class FunctionSpec:
    """One applied function: what Lambda would run."""

    name: str
    arn: str
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    code_zip: bytes
    layers: tuple[tuple[str, bytes], ...]  # (layer version ARN, zip bytes), in the function's order
    role: str = ""
    architectures: tuple[str, ...] = ()

    @property
    def code_sha256(self) -> str:
        return hashlib.sha256(self.code_zip).hexdigest()


@dataclass(frozen=True)
class Setup:
    """Where the rehearsal runs the artefacts and what it changes, each change named."""

    workdir: Path
    python: Path
    region: str = "us-east-1"
    added: dict[str, str] = field(default_factory=dict)           # variables added to every function
    changed: dict[str, str] = field(default_factory=dict)         # new values of variables a function has
    hosts: dict[str, str] = field(default_factory=dict)           # name -> address (private /etc/hosts)
    credentials: dict[str, str] = field(default_factory=dict)     # AWS_* of the function's role
    admin_dsn: str = ""                                            # the stand-in database's administrator

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "workdir": str(self.workdir), "python": str(self.python)})

    @classmethod
    def from_json(cls, text: str) -> Setup:
        data = json.loads(text)
        return cls(**{**data, "workdir": Path(data["workdir"]), "python": Path(data["python"])})


@dataclass
class Outcome:
    """One invocation, as the rehearsal's table shows it."""

    function: str
    sha256: str
    env_read: list[str]
    outcome: str
    seconds: float
    payload: Any = None
    error: bool = False

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if k != "payload"})


def unpack(spec: FunctionSpec, root: Path) -> tuple[Path, Path, Path]:
    """The code as ``root/task``, the layers as ``root/opt``, the bootstrap as ``root/runtime``."""
    task, opt, runtime = root / "task", root / "opt", root / "runtime"
    for path in (task, opt, runtime):
        path.mkdir(parents=True)
    zipfile.ZipFile(io.BytesIO(spec.code_zip)).extractall(task)
    for _arn, data in spec.layers:
        zipfile.ZipFile(io.BytesIO(data)).extractall(opt)
    (runtime / "bootstrap.py").write_text(BOOTSTRAP)
    return task, opt, runtime


def _inside(path: str, task: Path, opt: Path) -> Path | None:
    """Where a deployed absolute path lies in the unpacked layout (None when outside /var/task and /opt)."""
    for prefix, local in (("/var/task/", task), ("/opt/", opt)):
        if path.startswith(prefix):
            return local / path[len(prefix):]
    return None


def names_in_code(*roots: Path) -> set[str]:
    """Every upper-case name quoted in the artefact's own Python (the variables it can read)."""
    names: set[str] = set()
    for root in roots:
        for source in root.rglob("*.py"):
            names.update(NAME_LITERAL.findall(source.read_text(errors="replace")))
    return names


def preflight(spec: FunctionSpec, task: Path, opt: Path) -> None:
    """Fail, naming the cause, when the applied layout cannot work (before running anything)."""
    problems = []
    root_cert = spec.environment.get("ITC_DB_SSLROOTCERT")
    if root_cert:
        local = _inside(root_cert, task, opt)
        if local is None or not local.is_file():
            problems.append(f"ITC_DB_SSLROOTCERT={root_cert} is not in the deployed layout: the layer lacks the "
                            "RDS CA bundle, so every verify-full connection fails (build the layer with "
                            "package_lambdas.py --rds-ca-bundle)")
    own_code = [task, *(p for p in (opt / "python").glob("itc_*") if p.is_dir())]
    known = names_in_code(*own_code)
    unread = sorted(k for k in spec.environment if k not in known)
    if unread:
        problems.append(f"Terraform sets {', '.join(unread)} on {spec.name} but nothing in its artefact reads "
                        "it (a misspelt or stale setting)")
    if problems:
        raise RehearsalError(f"{spec.name}: " + "; ".join(problems))


def child_environment(spec: FunctionSpec, setup: Setup) -> dict[str, str]:
    """The applied environment + what Lambda adds + the rehearsal's named overrides."""
    service = {
        "AWS_REGION": setup.region, "AWS_DEFAULT_REGION": setup.region, "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime", "LANG": "en_US.UTF-8",
        "TZ": ":UTC", "PATH": "/usr/local/bin:/usr/bin:/bin", "LD_LIBRARY_PATH": "/opt/lib",
    }
    changed = {k: v for k, v in setup.changed.items() if k in spec.environment}
    return {**service, **setup.credentials, **spec.environment, **setup.added, **changed}


def differences(spec: FunctionSpec, setup: Setup) -> list[str]:
    """Each way the environment ``spec`` ran in differs from the applied one (credentials aside: Lambda adds
    its role's own, and so does the rehearsal)."""
    lines = [f"added   {k}={v}" for k, v in sorted(setup.added.items()) if k not in spec.environment]
    lines += [f"changed {k}: {spec.environment[k]} -> {v}" for k, v in sorted(setup.changed.items())
              if k in spec.environment and spec.environment[k] != v]
    return lines


def _mount_script(task: Path, opt: Path, runtime: Path, hosts: Path) -> str:
    lines = ["set -e", "mount --make-rprivate /"]
    for source, target in ((task, "/var/task"), (opt, "/opt"), (runtime, "/var/runtime")):
        lines += [f"mount --bind '{source}' {target}", f"mount -o remount,bind,ro {target}"]
    lines += [f"mount --bind '{hosts}' /etc/hosts", "mount -t tmpfs -o size=512m tmpfs /tmp",
              'exec "$@"']
    return "\n".join(lines)


def run(spec: FunctionSpec, event: Any, setup: Setup) -> Outcome:
    """Run ``spec``'s handler on ``event`` as Lambda would; the outcome names any failure."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise RehearsalError("running the artefact read-only at /var/task and /opt needs root and unshare "
                             "(a private mount namespace)")
    for target in LAMBDA_ROOTS[::2]:  # /var/task and /var/runtime: empty mount points on this machine
        Path(target).mkdir(parents=True, exist_ok=True)
    setup.workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"{spec.name}-", dir=setup.workdir.resolve()))
    started = time.monotonic()
    try:
        task, opt, runtime = unpack(spec, root)
        preflight(spec, task, opt)
        hosts = root / "hosts"
        hosts.write_text("127.0.0.1 localhost\n" + "".join(f"{a} {n}\n" for n, a in setup.hosts.items()))
        read_fd, write_fd = os.pipe()
        deadline_ms = (time.time() + spec.timeout) * 1000
        command = ["unshare", "--mount", "sh", "-c", _mount_script(task, opt, runtime, hosts), "rehearsal",
                   str(setup.python), "-I", "-S", "/var/runtime/bootstrap.py", str(write_fd), spec.handler,
                   str(deadline_ms), spec.arn]
        log = (setup.workdir / f"{spec.name}.log").open("ab")
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                   env=child_environment(spec, setup), cwd="/", pass_fds=(write_fd,))
        os.close(write_fd)
        assert process.stdin is not None
        process.stdin.write(json.dumps(event).encode())
        process.stdin.close()
        try:
            process.wait(timeout=spec.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            os.close(read_fd)
            seconds = time.monotonic() - started
            message = f"Task timed out after {spec.timeout:.2f} seconds"
            return Outcome(spec.name, spec.code_sha256, [], f"Sandbox.Timedout: {message}", seconds,
                           {"errorType": "Sandbox.Timedout", "errorMessage": message}, error=True)
        finally:
            log.close()
        with os.fdopen(read_fd) as answer_pipe:
            answer_text = answer_pipe.read()
        seconds = time.monotonic() - started
        if not answer_text:
            tail = (setup.workdir / f"{spec.name}.log").read_text(errors="replace")[-600:]
            message = f"Runtime exited with error: exit status {process.returncode}: {tail.strip()}"
            return Outcome(spec.name, spec.code_sha256, [], f"Runtime.ExitError: {message}", seconds,
                           {"errorType": "Runtime.ExitError", "errorMessage": message}, error=True)
        answer = json.loads(answer_text)
        payload = answer["payload"]
        outcome = (f"{payload.get('errorType')}: {payload.get('errorMessage')}" if answer["error"] else "ok")
        return Outcome(spec.name, spec.code_sha256, answer["env_read"], outcome, seconds, payload, answer["error"])
    except RehearsalError as exc:
        return Outcome(spec.name, spec.code_sha256, [], f"Rehearsal.Preflight: {exc}", time.monotonic() - started,
                       {"errorType": "Rehearsal.Preflight", "errorMessage": str(exc)}, error=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def spec_from_dist(name: str, dist: Path, handler: str, environment: dict[str, str], *, timeout: int = 60,
                   layer_zip: Path | None = None) -> FunctionSpec:
    """A function built from ``dist/`` zips (the break tests' way in, same runner as the rehearsal)."""
    code = (dist / f"{name}.zip").read_bytes()
    layer = (layer_zip or dist / f"{name}-layer.zip").read_bytes()
    return FunctionSpec(name=name, arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}", handler=handler,
                        timeout=timeout, memory=512, environment=dict(environment), code_zip=code,
                        layers=((f"arn:aws:lambda:us-east-1:123456789012:layer:{name}:1", layer),))


def find_python() -> Path | None:
    """python3.12, the runtime's minor version (PATH, /usr, pyenv)."""
    return pl.find_python(pl.LAMBDA_PYTHON)
