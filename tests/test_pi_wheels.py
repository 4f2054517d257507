"""Every dependency installs on Raspberry Pi OS: checked with ``pip download`` against PyPI for the Pi's platforms.

For 64-bit Pi OS (aarch64) and 32-bit Pi OS (armv7l), each with Bookworm's Python 3.11 / glibc 2.36 and Trixie's
Python 3.13 / glibc 2.41, the dependencies this project installs there (the default ones, the ``[pi]`` extra and
the ``[postgresql]`` extra, with their own dependencies at the versions this venv resolved, environment markers
evaluated for that Pi) are fetched with ``pip download --no-deps --only-binary=:all: --platform ...``:

- on aarch64 every *default* dependency must have a wheel (manylinux or pure Python);
- anything without a wheel (on armv7l, or in an extra) must have a source distribution on PyPI *and* a row in
  docs/pi-setup.md's table of source builds naming the Debian packages that build it.

Only PyPI is asked (pip's configuration on this machine is ignored); piwheels, which Pi OS's pip also uses,
cannot be reached from here, so the guide does not count on it. Wheels are cached under the temp folder, so a
second run downloads nothing. Skipped, saying so, only when PyPI cannot be reached.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
# Per checkout (several may share a machine); per platform below, so the pip processes running side by side
# never write the same file.
CACHE = Path(tempfile.gettempdir()) / f"assembly-kiosk-pi-wheels-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]}"
PIP_TIMEOUT_S = 240  # one pip call; the four platforms run side by side


@dataclass(frozen=True)
class PiOs:
    name: str
    machine: str
    python: str
    glibc: int  # minor version of glibc 2.x

    def platforms(self) -> list[str]:
        tags = [f"linux_{self.machine}"]
        tags += [f"manylinux_2_{minor}_{self.machine}" for minor in range(17, self.glibc + 1)]
        return [*tags, f"manylinux2014_{self.machine}"]

    def markers(self) -> dict[str, str]:
        return {
            "platform_machine": self.machine,
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "implementation_version": f"{self.python}.0",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_version": "",
        }


PI_OS = [
    PiOs("64-bit Bookworm", "aarch64", "3.11", 36),
    PiOs("64-bit Trixie", "aarch64", "3.13", 41),
    PiOs("32-bit Bookworm", "armv7l", "3.11", 36),
    PiOs("32-bit Trixie", "armv7l", "3.13", 41),
]


def closure(extra: str | None, pi: PiOs) -> dict[str, str]:
    """name -> version of what ``pip install assembly-kiosk[extra]`` installs on ``pi`` (the project aside)."""
    found: dict[str, str] = {}
    todo: list[tuple[Requirement, set[str]]] = []
    for text in distribution("assembly-kiosk").requires or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({**pi.markers(), "extra": extra or ""}):
            todo.append((req, set(req.extras)))
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if name == "assembly-kiosk":
            continue
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            # Not installed here (the [pi] extra): its pinned version, which must need nothing else.
            pins = [s.version for s in req.specifier if s.operator == "=="]
            assert pins, f"{req} is not installed here and not pinned with =="
            found[name] = pins[0]
            continue
        if name in found:
            continue
        found[name] = dist.version
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is not None and not any(
                sub.marker.evaluate({**pi.markers(), "extra": e}) for e in (extras or {""})
            ):
                continue
            todo.append((sub, set(sub.extras)))
    return found


def pip_env() -> dict[str, str]:
    """This machine's pip settings (local mirrors, find-links, constraints) off: PyPI alone answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def pip_download(pi: PiOs, requirements: list[str], *extra_args: str) -> subprocess.CompletedProcess[str]:
    folder = CACHE / f"{pi.machine}-{pi.python}"
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps"]
    cmd += ["--only-binary=:all:", "--timeout", "30", "--retries", "2", "-d", str(folder)]
    cmd += ["--python-version", pi.python, "--implementation", "cp"]
    cmd += ["--abi", f"cp{pi.python.replace('.', '')}", "--abi", "abi3", "--abi", "none"]
    for tag in pi.platforms():
        cmd += ["--platform", tag]
    return subprocess.run(
        [*cmd, *extra_args, *requirements], capture_output=True, text=True, env=pip_env(), timeout=PIP_TIMEOUT_S
    )


def wheels_for(pi: PiOs, packages: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """({name: wheel file} found on PyPI for ``pi``, {name: version} with no wheel for it). pip stops at the first
    requirement it cannot satisfy, so each miss costs one more call without it."""
    wheels: dict[str, str] = {}
    missing: dict[str, str] = {}
    pending = {name: f"{name}=={version}" for name, version in packages.items()}
    while pending:
        proc = pip_download(pi, sorted(pending.values()))
        out = proc.stdout + proc.stderr
        for path in re.findall(r"(?:Saved|File was already downloaded) (\S+\.whl)", out):
            name = canonicalize_name(parse_wheel_filename(Path(path).name)[0])
            wheels[name] = Path(path).name
            pending.pop(name, None)
        if proc.returncode == 0:
            break
        miss = re.search(r"No matching distribution found for (\S+)", out)
        assert miss, f"pip download failed for {pi.name}:\n{out[-3000:]}"
        name = canonicalize_name(Requirement(miss.group(1)).name)
        missing[name] = packages[name]
        pending.pop(name)
    return wheels, missing


def has_sdist(name: str, version: str) -> bool:
    """PyPI has the source of ``name`` ``version``: with -vv pip lists the files it skipped, the source among them."""
    nowhere = PiOs("no platform", "none_such", "3.11", 17)  # no wheel matches: only the skipped files are listed
    proc = pip_download(nowhere, [f"{name}=={version}"], "-vv")
    pattern = re.sub(r"[-_.]", "[-_.]", name) + "-" + re.escape(version) + r"\.(tar\.gz|zip)"
    return re.search(pattern, proc.stdout + proc.stderr, flags=re.IGNORECASE) is not None


def is_pure_here(name: str) -> bool:
    """The installed distribution came from a pure-Python wheel (then one check serves every platform)."""
    try:
        wheel = distribution(name).read_text("WHEEL") or ""
    except PackageNotFoundError:
        return False
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return bool(tags) and all(tag.endswith("-none-any") for tag in tags)


@dataclass
class Result:
    wheels: dict[str, str] = field(default_factory=dict)  # name -> wheel file
    no_wheel: dict[str, str] = field(default_factory=dict)  # name -> version


def check_all(packages: dict[PiOs, dict[str, str]]) -> tuple[dict[PiOs, Result], dict[str, bool]]:
    """Wheels per platform (pure-Python ones once), then the source of each package that lacks a wheel."""
    pure = {n: v for deps in packages.values() for n, v in deps.items() if is_pure_here(n)}
    binary = {pi: {n: v for n, v in deps.items() if n not in pure} for pi, deps in packages.items()}
    with ThreadPoolExecutor(len(PI_OS) + 1) as pool:
        pure_job = pool.submit(wheels_for, PI_OS[0], pure)
        jobs = {pi: pool.submit(wheels_for, pi, deps) for pi, deps in binary.items()}
        pure_wheels, pure_missing = pure_job.result()
        results = {pi: Result(*job.result()) for pi, job in jobs.items()}
        for pi, result in results.items():
            if pure_missing:  # no universal wheel after all: it may still have this platform's
                more, missing = wheels_for(pi, {n: v for n, v in pure_missing.items() if n in packages[pi]})
                result.wheels.update(more)
                result.no_wheel.update(missing)
            result.wheels.update({n: w for n, w in pure_wheels.items() if n in packages[pi]})
        to_build = {n: v for r in results.values() for n, v in r.no_wheel.items()}
        sdists = dict(zip(to_build, pool.map(lambda item: has_sdist(*item), to_build.items()), strict=True))
    return results, sdists


def pypi_reachable() -> str | None:
    """None if PyPI answers a pip download; else why not."""
    try:
        proc = pip_download(PI_OS[0], ["six==1.17.0"])
    except subprocess.TimeoutExpired:
        return "pip download timed out"
    if proc.returncode == 0:
        return None
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    return lines[-1] if lines else f"pip exited {proc.returncode}"


def documented_source_builds() -> dict[str, str]:
    """docs/pi-setup.md's table: Python package -> the Debian packages that build it."""
    guide = (ROOT / "docs" / "pi-setup.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Za-z0-9_.-]+)` \| [^|]+ \| ((?:`[^`]+` ?)+) \|$", guide, flags=re.MULTILINE)
    return {canonicalize_name(name): debian for name, debian in rows}


@pytest.mark.timeout(2 * PIP_TIMEOUT_S * 4 + 60)
def test_every_dependency_installs_on_64_and_32_bit_pi_os() -> None:
    CACHE.mkdir(exist_ok=True)
    why = pypi_reachable()
    if why is not None:
        pytest.skip(f"PyPI cannot be reached from this machine, so the Pi's wheels cannot be checked: {why}")
    wanted = {pi: {extra: closure(extra, pi) for extra in (None, "pi", "postgresql")} for pi in PI_OS}
    everything = {pi: {k: v for deps in by_extra.values() for k, v in deps.items()} for pi, by_extra in wanted.items()}
    results, sdists = check_all(everything)

    documented = documented_source_builds()
    problems = []
    for pi, result in results.items():
        for name in result.no_wheel:
            if pi.machine == "aarch64" and name in wanted[pi][None]:
                problems.append(f"{pi.name}: default dependency {name} has no aarch64 wheel on PyPI")
            if not sdists[name]:
                problems.append(f"{pi.name}: {name} has neither a wheel nor a source distribution on PyPI")
            if name not in documented:
                problems.append(
                    f"{pi.name}: {name} is built from source, but docs/pi-setup.md names no Debian packages"
                )
    summary = "\n".join(
        f"{pi.name}: {len(r.wheels)} wheels ({sum('-none-any' not in w for w in r.wheels.values())} binary), "
        f"built from source: {', '.join(sorted(r.no_wheel)) or 'none'}"
        for pi, r in results.items()
    )
    print(summary)
    assert not problems, "\n".join(problems) + "\n" + summary
