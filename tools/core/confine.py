"""Confines a run's processes: its own process group, no signals to processes outside it, and every
descendant, even one that escaped into a session of its own, ended with the run.

The run's child calls :func:`enter_own_group` and :func:`forbid_signals_to_others` before any
learner code runs; the tools' process holds a :class:`Reaper` while runs are alive. On Linux the
reaper makes this process the *subreaper* of the runs' descendants (``PR_SET_CHILD_SUBREAPER``),
so that a process that double-forks or calls ``setsid`` is re-parented here, not to init, and is
ended with its run. Elsewhere the process group is ended and the rest is best effort.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import signal
import struct
import time

PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Each architecture's audit number and the numbers of the system calls that reach another process.
SYSCALLS = {
    "x86_64": (0xC000003E, {"kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129,
                            "rt_tgsigqueueinfo": 297, "pidfd_send_signal": 424, "ptrace": 101,
                            "process_vm_writev": 311}),
    "aarch64": (0xC00000B7, {"kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138,
                             "rt_tgsigqueueinfo": 240, "pidfd_send_signal": 424, "ptrace": 117,
                             "process_vm_writev": 271}),
}  # fmt: skip
LOAD, JUMP_EQUAL, JUMP_AT_LEAST, RETURN = 0x20, 0x15, 0x35, 0x06
ALLOW, DENY = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM


def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def enter_own_group() -> None:
    """In the child: lead a process group of its own, so that the run ends as one group."""
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)


def _filter(pid: int) -> bytes | None:
    """A seccomp program: signals may go to ``pid`` and its group only (or test existence)."""
    known = SYSCALLS.get(platform.machine())
    if known is None:
        return None
    arch, number = known
    program: list[list] = []  # [code, jump if true, jump if false, constant]

    def op(code: int, k: int, yes: str | None = None, no: str | None = None) -> None:
        program.append([code, yes, no, k])

    op(LOAD, 4)
    op(JUMP_EQUAL, arch, None, "deny")  # another ABI (a 32-bit call): refuse
    op(LOAD, 0)
    op(JUMP_AT_LEAST, 0x40000000, "deny")  # the x32 numbering
    op(JUMP_EQUAL, number["kill"], "kill")
    for name in ("tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        op(JUMP_EQUAL, number[name], "self")
    for name in ("pidfd_send_signal", "ptrace", "process_vm_writev"):
        op(JUMP_EQUAL, number[name], "deny")
    op(RETURN, ALLOW)
    labels = {"kill": len(program)}
    op(LOAD, 16)  # kill(pid, sig): the low word of pid
    for target in (0, pid, (-pid) & 0xFFFFFFFF):
        op(JUMP_EQUAL, target, "allow")
    op(LOAD, 24)
    op(JUMP_EQUAL, 0, "allow", "deny")  # signal 0 only asks whether a process exists
    labels["self"] = len(program)
    op(LOAD, 16)
    op(JUMP_EQUAL, pid, "allow", "deny")
    labels["allow"] = len(program)
    op(RETURN, ALLOW)
    labels["deny"] = len(program)
    op(RETURN, DENY)
    code = b""
    for index, (operation, yes, no, k) in enumerate(program):
        jumps = [0 if label is None else labels[label] - index - 1 for label in (yes, no)]
        code += struct.pack("HBBI", operation, *jumps, k)
    return code


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def forbid_signals_to_others() -> bool:
    """In the child (Linux): the kernel refuses signals from this process and its descendants to
    any process outside its group (the tools, the terminal, the shell). False where unsupported."""
    libc, code = _libc(), _filter(os.getpid())
    if libc is None or code is None:
        return False
    buffer = ctypes.create_string_buffer(code)
    program = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_char_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) == 0


def close_inherited(keep: set[int]) -> None:
    """In the child: close every descriptor it inherited beyond stdio and ``keep`` (other runs'
    channels, the selector)."""
    last = 2
    for fd in sorted(keep):
        os.closerange(last + 1, fd)
        last = fd
    os.closerange(last + 1, 1 << 16)


def children(pid: int, since: float = 0.0) -> list[int]:
    """The processes whose parent is ``pid`` and that started at ``since`` or later (seconds
    since boot); Linux: read from /proc; elsewhere none."""
    found, tick = [], os.sysconf("SC_CLK_TCK")
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and int(fields[19]) / tick >= since:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far (Linux), None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Reaper:
    """While runs are alive: adopt their orphaned descendants, and end whatever a run leaves."""

    def __init__(self) -> None:
        self.libc = _libc()
        self.adopting = bool(
            self.libc is not None and self.libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        )
        # Processes older than this are not the runs' (seconds since boot, as /proc counts).
        self.since = time.clock_gettime(time.CLOCK_BOOTTIME) - 0.05 if self.adopting else 0.0

    def end(self, pid: int) -> None:
        """End the process group led by ``pid`` (a run's child, not yet reaped)."""
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)

    def sweep(self, alive: set[int], seconds: float = 3.0) -> None:
        """End every process adopted here since this reaper began, except the ``alive`` runs'
        children: what a run left behind in sessions of its own, and their descendants."""
        if not self.adopting:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            strays = [p for p in children(os.getpid(), self.since) if p not in alive]
            if not strays:
                return
            for stray in strays:
                with contextlib.suppress(OSError):
                    if os.getpgid(stray) == stray:
                        os.killpg(stray, signal.SIGKILL)  # it leads a group (setsid): all of it
                    os.kill(stray, signal.SIGKILL)
            for stray in strays:  # reaping lets their own children come to this process
                with contextlib.suppress(ChildProcessError):
                    for _ in range(200):
                        if os.waitpid(stray, os.WNOHANG)[0]:
                            break
                        time.sleep(0.005)

    def close(self) -> None:
        if self.adopting and self.libc is not None:
            self.libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
