"""Warm kernels: each chapter's kernel is forked from a process that has already imported the
heavy libraries, instead of starting a fresh Python that imports them again.

A fresh kernel spends ~1 s of CPU before the chapter's first line runs: Python and ipykernel start
(~0.5 s), then pandas, altair, statsmodels and scipy are imported (~0.5 s). Seven chapters pay it
seven times. Here the build starts one *zygote* process (``python -m nkbook.build.kernels serve
SOCKET``) that imports those libraries (:data:`PRELOAD`) once and then waits on a Unix socket.
Papermill still executes every notebook through nbclient and a Jupyter kernel; only the kernel's
process comes from ``fork()`` of the zygote instead of ``exec`` of a new Python
(:class:`ForkKernelManager`, :class:`ForkProvisioner`). Each kernel is its own process, with the
environment, working directory and connection file papermill asked for, and a fresh namespace.

What the zygote imports is third-party only: a chapter's own package modules are imported by the
chapter, so the modules it records for its cache key are the ones it uses.

``NKBOOK_FORK_KERNELS=0`` turns this off (every kernel is a fresh process, as Jupyter starts one);
the executed notebooks are the same either way (``tests/test_kernels.py``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SOCKET_ENV = "NKBOOK_KERNEL_ZYGOTE"
SWITCH_ENV = "NKBOOK_FORK_KERNELS"
PID_ENV = "NKBOOK_KERNEL_ZYGOTE_PID"
LOG_ENV = "NKBOOK_KERNEL_ZYGOTE_LOG"

# What every chapter's kernel imports anyway (the libraries, not the book's package).
PRELOAD = (
    "numpy",
    "pandas",
    "scipy.stats",
    "statsmodels.api",
    "altair",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "myst_nb",
    "myst_nb.ext.glue",  # what glue() imports at its first call (nbformat with it): ~0.12 s a kernel
)


def enabled() -> bool:
    return os.environ.get(SWITCH_ENV, "1") != "0" and hasattr(os, "fork") and hasattr(socket, "AF_UNIX")


# --------------------------------------------------------------------------------------------
# the zygote (its own process)


def serve(path: str) -> None:
    """Import :data:`PRELOAD`, then fork one kernel per request on the Unix socket ``path``."""
    import importlib

    launch_dir = sys.path[0] if sys.path else ""
    for name in PRELOAD:
        importlib.import_module(name)
    children: set[int] = set()

    def stop(*_: Any) -> None:
        for pid in children:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished kernels are reaped by the system
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = path + ".tmp"
    server.bind(tmp)
    server.listen(16)
    os.rename(tmp, path)  # the socket appears only when the zygote is ready
    while True:
        conn, _ = server.accept()
        with conn:
            request = json.loads(_recv(conn))
            pid = os.fork()
            if pid == 0:  # the kernel
                server.close()
                conn.close()
                _become_kernel(request, launch_dir)
            children.add(pid)
            conn.sendall(json.dumps({"pid": pid}).encode())


def _recv(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


def _become_kernel(request: dict, launch_dir: str) -> None:
    """In the forked child: the process a fresh ``python -m ipykernel_launcher ARGS`` would be."""
    code = 1
    try:
        os.setsid()  # its own process group, as Jupyter starts a kernel (signals reach it alone)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        if sys.path and sys.path[0] == launch_dir:  # the zygote's launch folder is not the kernel's
            del sys.path[0]
        for name in [m for m in sys.modules if m == "nkbook" or m.startswith("nkbook.")]:
            del sys.modules[name]  # the zygote's own module: the chapter imports the package afresh
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        # Jupyter tells a kernel its parent by JPY_PARENT_PID, read when ipykernel is imported (in
        # the zygote, before this request): it is given here. The parent is the zygote, so a
        # kernel exits when the zygote does (no kernel outlives its build).
        args = [*request["args"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        sys.argv = ["ipykernel_launcher", *args]
        _no_wait_for_empty_flush()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=args)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _no_wait_for_empty_flush() -> None:
    """Before every display (each glued value is one) ipykernel flushes stdout and stderr, and
    each flush waits for a round trip through its I/O thread even when nothing was written: two
    waits per glued value, ~0.25 s of a chapter with 500 values. Here a flush with nothing
    buffered returns at once. The order of messages is kept: a display is sent through the same
    I/O thread, after anything an earlier flush has already taken from the buffers."""
    from ipykernel.iostream import OutStream

    wait = OutStream.flush

    def flush(self) -> None:
        with self._buffer_lock:
            empty = not any(buffer.tell() for buffer in self._buffers.values())
        if not empty:
            wait(self)

    OutStream.flush = flush  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# the build's side: start and stop the zygote


class Zygote:
    """The zygote process of one build; ``with Zygote(folder) as z:`` sets :data:`SOCKET_ENV`."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.socket = ""
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Zygote:
        import tempfile

        self.folder.mkdir(parents=True, exist_ok=True)
        # a Unix socket's path is limited to ~100 bytes: a short private folder, not the build's
        self.socket = str(Path(tempfile.mkdtemp(prefix="nkbook-")) / "kernels.sock")
        log = open(self.folder / "kernels.log", "wb")  # noqa: SIM115 (the child keeps it open)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nkbook.build.kernels", "serve", self.socket],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
        )
        log.close()
        os.environ[SOCKET_ENV] = self.socket
        os.environ[PID_ENV] = str(self.proc.pid)
        os.environ[LOG_ENV] = str(self.folder / "kernels.log")
        return self

    def __exit__(self, *exc: Any) -> None:
        for name in (SOCKET_ENV, PID_ENV, LOG_ENV):
            os.environ.pop(name, None)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        Path(self.socket).unlink(missing_ok=True)
        Path(self.socket).with_name(Path(self.socket).name + ".tmp").unlink(missing_ok=True)
        Path(self.socket).parent.rmdir()


# --------------------------------------------------------------------------------------------
# the worker's side: a kernel manager whose kernels come from the zygote


def wait_ready(timeout: float) -> bool:
    """Wait (at most ``timeout`` seconds) until this process's zygote, if any, is ready."""
    path = os.environ.get(SOCKET_ENV)
    if not path:
        return False
    deadline = time.monotonic() + timeout
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return Path(path).exists()


def request_kernel(path: str, args: list[str], env: dict, cwd: str, wait: float = 60.0) -> int:
    """Ask the zygote for a kernel; its pid. Waits for the zygote to be ready (``wait`` seconds)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(path)
                conn.sendall(json.dumps({"args": args, "env": env, "cwd": cwd}).encode() + b"\n")
                conn.shutdown(socket.SHUT_WR)
                return int(json.loads(_recv(conn))["pid"])
        except (FileNotFoundError, ConnectionRefusedError):
            pid = int(os.environ.get(PID_ENV) or 0)
            gone = pid and ForkedProcess(pid).poll() is not None
            if gone or time.monotonic() > deadline:
                log = os.environ.get(LOG_ENV, "its log")
                why = "ended" if gone else f"was not ready after {wait:.0f} s"
                raise RuntimeError(f"the kernels' zygote {why} (see {log})") from None
            time.sleep(0.05)


class ForkedProcess:
    """The part of :class:`subprocess.Popen` Jupyter's local provisioner uses, for a kernel the
    zygote forked (its parent is the zygote, so its state is read from the system)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                if _is_zombie(self.pid):
                    self.returncode = 0
            except ProcessLookupError:
                self.returncode = 0  # reaped: its exit status went to the zygote
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _kernel_args(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` in a kernel command; None for another kernel."""
    if "-m" in cmd:
        i = cmd.index("-m")
        if i + 1 < len(cmd) and cmd[i + 1] == "ipykernel_launcher":
            return list(cmd[i + 2 :])
    return None


def _classes() -> tuple[type, type]:
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            args, path = _kernel_args(cmd), os.environ.get(SOCKET_ENV)
            if args is None or not path:
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(Path(kwargs.get("cwd") or os.getcwd()).resolve())  # the zygote has its own
            pid = request_kernel(path, args, env, cwd)
            self.process = ForkedProcess(pid)  # type: ignore[assignment]  # the Popen API it uses
            self.pid = self.pgid = pid
            self.cwd = cwd
            return self.connection_info

    class ForkKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            if self.provisioner is None:
                import uuid

                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            return await super()._async_pre_start_kernel(**kw)

    return ForkProvisioner, ForkKernelManager


def kernel_manager_class(env: dict[str, str] | None = None) -> type | None:
    """The kernel manager papermill should use for one chapter: its kernel forked from the zygote
    when one is running, and given ``env`` on top of this process's environment (chapters run in
    threads of one process, so each kernel's variables are its own, not the process's).
    None: papermill's default (a fresh kernel with this process's environment)."""
    fork = enabled() and bool(os.environ.get(SOCKET_ENV))
    if not fork and not env:
        return None
    from jupyter_client.manager import AsyncKernelManager

    base = _classes()[1] if fork else AsyncKernelManager
    extra = dict(env or {})

    class ChapterKernelManager(base):  # type: ignore[valid-type,misc]
        async def _async_pre_start_kernel(self, **kw: Any) -> Any:
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            return await super()._async_pre_start_kernel(**kw)

    return ChapterKernelManager


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        sys.exit("usage: python -m nkbook.build.kernels serve SOCKET")
