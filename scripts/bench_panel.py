"""Panel benchmark: what the Qt panel costs on top of the station, and how fast it starts.

    python -m scripts.bench_panel [--machines 20] [--hz 10] [--seconds 20] [--size 1280x800]
                                  [--startup-seconds 8] [--count-events]

The line: `--machines` machines on one line with no PLC connection; a feeder task in the panel's
own event loop (qasync) gives each machine `--hz` updates a second straight into
`Station.ingest` (running, and the total and good counters while it runs; every machine stops
for a few seconds each minute, so states, stops and downtime events change too). The station is
the real one (engine, SQLite store in a temporary directory, its tick task).

Two phases in this process, each with a fresh store, the same feeder and the same loop:
- baseline: the station and the feeder, no window;
- measured: the same with the real PanelWindow (hmi/panel/window.py) shown offscreen at `--size`
  on its overview screen (20 machine tiles), repainting as it does live (RefreshPump).
Then every screen is shown in turn and repainted `--per-screen` times, and a separate process
measures the start-up.

How each figure is taken:
- CPU share: `time.process_time()` delta / wall delta over the phase, this process (all
  threads); the ratio measured / baseline is what the window costs.
- memory: VmRSS from /proc/self/status at the end of each phase; the peak of the whole run is
  VmHWM (the panel phase holds the window, so the peak is the panel's).
- frame time: the window's frame (`PanelWindow._paint`) is wrapped so that each frame is timed
  from before the views are read to after a synchronous `repaint()` of the whole window: views +
  widget updates + the layouts they asked for + painting, everything a frame costs the loop
  (and more: Qt itself repaints only what changed). p50, p99 and max; and the same frames'
  CPU time in this thread (`time.thread_time()`), which leaves out the time the machine ran
  other processes: on a loaded machine the nearer figure to what a frame costs.
- events per frame (`--count-events`, instead of the frame times: the event filter costs time):
  the layout requests, paints and re-polishes each frame causes, painted as Qt paints it (the
  posted layouts, then the changed regions). They do not depend on the machine's load.
- start-up: a child process (`python -m scripts.bench_panel --startup-child CONFIG`) runs the
  real `run_panel` on the demo line (its four PLCs on free ports) and prints the wall-clock time
  of its first frame and of its first frame with live data (a sample from a PLC in the station),
  repainted. The parent takes its own time just before starting the child, so the figure
  includes Python's start and every import. Twice: with the simulated PLCs already served by
  the parent (a panel PC starting beside a running line: the figure the aim is about), and with
  `demo=True`, where the child starts the simulators itself (`ms5 panel --demo`; cpppo's and the
  OPC UA server's start-up are then part of it, and so is the shift so far that the demo writes
  meanwhile, hmi.station.demo_shift).
The platform is Qt's offscreen one (software painting): a panel PC's GPU paints faster, its
CPU may be slower. Figures are printed, never asserted (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Config, parse_config
from core.samples import Sample

MB = 1024 * 1024
AIM_CPU = 15.0
AIM_RSS_MB = 250.0
AIM_FRAME_MS = 16.0
AIM_START_S = 3.0


def bench_config_text(machines: int) -> str:
    """One line of `machines` machines, shifts around the clock, no connections."""
    out = [
        '[site]\nname = "Bench"\n',
        '[reasons]\n"Mechanical/Jam" = "unplanned"\n',
        "[panel]\nidle_lock_s = 86400\nsound = false\n",
        '[[lines]]\nid = "B1"\nname = "Bench line"\ntimezone = "Europe/Berlin"\ntarget_oee = 0.75\n',
    ]
    for name, start, end in (
        ("Early", "06:00", "14:00"),
        ("Late", "14:00", "22:00"),
        ("Night", "22:00", "06:00"),
    ):
        out.append(
            f'[[lines.shifts]]\nname = "{name}"\n'
            'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
            f'start = "{start}"\nend = "{end}"\ntarget_count = 50000\n'
        )
    for i in range(1, machines + 1):
        out.append(
            f'[[lines.equipment]]\nid = "M{i:02d}"\nname = "Machine {i}"\nideal_cycle_time_s = 0.2\n'
            'faults = { 7 = "Mechanical/Jam" }\n'
        )
    return "\n".join(out)


def load_config(text: str) -> Config:
    return parse_config(text, Path("bench-panel.toml"))


class Feeder:
    """`hz` updates a second for every machine, straight into the station."""

    def __init__(self, station: Any, machines: list[str], hz: float) -> None:
        self.station = station
        self.machines = machines
        self.period = 1.0 / hz
        self.samples = 0
        self._counts = dict.fromkeys(machines, 0)

    def batch(self, now: float, step: int) -> list[Sample]:
        out: list[Sample] = []
        per_minute = round(60 / self.period)
        for k, eq in enumerate(self.machines):
            # Each machine stops for 4 s a minute, at its own moment: stops keep coming.
            phase = (step + k * per_minute // len(self.machines)) % per_minute
            running = phase >= round(4 / self.period)
            out.append(Sample(now, eq, "running", 1.0 if running else 0.0))
            out.append(Sample(now, eq, "fault_code", 0.0 if running else 7.0))
            if running:
                self._counts[eq] += 1
                out.append(Sample(now, eq, "total_count", float(self._counts[eq])))
                out.append(Sample(now, eq, "good_count", float(self._counts[eq])))
        return out

    async def run(self) -> None:
        step = 0
        next_at = time.monotonic()
        while True:
            batch = self.batch(time.time(), step)
            self.station.ingest(batch)
            self.samples += len(batch)
            step += 1
            next_at += self.period
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def _status_kb(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


def rss_mb() -> float:
    return _status_kb("VmRSS") * 1024 / MB


def peak_mb() -> float:
    return _status_kb("VmHWM") * 1024 / MB


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    cpu_s: float = 0.0
    rss_mb: float = 0.0
    samples: int = 0
    frames_ms: list[float] = field(default_factory=list)
    frames_cpu_ms: list[float] = field(default_factory=list)  # the same frames, this thread's CPU
    frame_events: list[dict[str, int]] = field(default_factory=list)  # --count-events

    @property
    def cpu_pct(self) -> float:
        return 100.0 * self.cpu_s / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Startup:
    marks: dict[str, float] = field(default_factory=dict)  # name -> seconds after the spawn
    exit_code: int | None = None
    output: str = ""

    @property
    def first_frame_s(self) -> float | None:
        return self.marks.get("first_frame")

    @property
    def first_live_frame_s(self) -> float | None:
        return self.marks.get("first_live_frame")


@dataclass
class BenchResult:
    baseline: Phase
    measured: Phase
    per_screen_ms: dict[str, list[float]]
    peak_mb: float
    startup_running: Startup | None  # the line's PLCs were up before the panel started
    startup_demo: Startup | None  # `--demo`: the panel starts the simulated PLCs itself


async def _phase(
    name: str,
    config: Config,
    folder: Path,
    machines: list[str],
    hz: float,
    seconds: float,
    *,
    window_size: tuple[int, int] | None,
    count_events: bool = False,
) -> tuple[Phase, dict[str, list[float]]]:
    from hmi.station.link import LocalLink
    from hmi.station.runtime import Station

    station = Station(config, folder / f"{name}.db")
    station.open()
    await station.start()
    feeder = Feeder(station, machines, hz)
    feed = asyncio.create_task(feeder.run())
    window: Any = None
    counter: Any = None
    phase = Phase(name)
    per_screen: dict[str, list[float]] = {}
    try:
        if window_size is not None:
            from hmi.panel.model import PanelModel
            from hmi.panel.window import PanelWindow

            window = PanelWindow(await PanelModel.attach(LocalLink(station)))
            window.resize(*window_size)
            window.show()
            if count_events:
                counter = _count_frames(window, phase.frame_events)
            else:
                live_paint = window._paint
                _time_frames(window, phase.frames_ms, phase.frames_cpu_ms)
        await asyncio.sleep(1.0)  # warm-up: the first tiles, fonts and caches
        phase.frames_ms.clear()
        phase.frames_cpu_ms.clear()
        phase.frame_events.clear()
        samples0, cpu0, wall0 = feeder.samples, time.process_time(), time.monotonic()
        await asyncio.sleep(seconds)
        phase.seconds = time.monotonic() - wall0
        phase.cpu_s = time.process_time() - cpu0
        phase.samples = feeder.samples - samples0
        phase.rss_mb = rss_mb()
        if window is not None and not count_events:
            # The per-screen pass paints frames of its own: they are not live frames.
            window._paint = live_paint
            per_screen = await _per_screen(window)
    finally:
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
        if window is not None:
            from hmi.panel.app import dispose

            if counter is not None:
                from PySide6.QtCore import QCoreApplication

                app = QCoreApplication.instance()
                assert app is not None
                app.removeEventFilter(counter)

            dispose(window)
        await station.stop()
    return phase, per_screen


def _time_frames(window: Any, into: list[float], cpu_into: list[float]) -> None:
    """Every frame the window paints, timed from reading the views to the painted window: the
    layouts the frame asked for, then the whole window repainted (the worst case: Qt itself
    paints only what changed)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    paint: Callable[[float], Awaitable[None]] = window._paint

    async def timed(now: float) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        await paint(now)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        window.repaint()
        into.append((time.perf_counter() - t0) * 1000)
        cpu_into.append((time.thread_time() - c0) * 1000)

    window._paint = timed


COUNTED = ("LayoutRequest", "Paint", "Polish", "StyleChange")


def _count_frames(window: Any, into: list[dict[str, int]]) -> Any:
    """Instead of timing: count the events each frame causes, painted as Qt paints it (the
    layouts asked for, then only what changed). Counts do not depend on the machine's load.
    Returns the event filter, which must be kept alive."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject

    kinds = {getattr(QEvent.Type, name): name for name in COUNTED}
    counts: dict[str, int] = {}

    class Counter(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            name = kinds.get(event.type())
            if name is not None:
                counts[name] = counts.get(name, 0) + 1
            return False

    counter = Counter()
    app = QCoreApplication.instance()
    assert app is not None
    app.installEventFilter(counter)
    paint: Callable[[float], Awaitable[None]] = window._paint

    async def counted(now: float) -> None:
        # What came before the frame (a resize, a screen shown) is not the frame's.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest)
        counts.clear()
        await paint(now)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.UpdateRequest)
        into.append(dict(counts))

    window._paint = counted
    return counter


PER_SCREEN = 10


async def _per_screen(window: Any, repeats: int = PER_SCREEN) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name in window.screen_names():
        window.show_screen(name)
        await window.model.settle()
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            window.refresh_now()
            await window.model.settle()  # the frame's views read and painted
            window.repaint()
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = times
    window.show_screen("overview")
    await window.model.settle()
    return out


# ------------------------------------------------------------------------------- start-up


def demo_config_on_free_ports() -> str:
    """The demo line's config text with its four PLCs on free ports: other runs may hold the usual."""
    from connectors.sim.logix_server import free_port
    from scripts.demo_station import DEMO_CONFIG

    text = DEMO_CONFIG.read_text(encoding="utf-8")
    for port in ("15020", "14840", "11102", "14818"):
        text = text.replace(f"port = {port}\n", f"port = {free_port()}\n")
    return text


def startup_child(config_path: Path, seconds: float, *, demo: bool) -> int:
    """The child of the start-up figures: the real `run_panel` with a frame hook that prints when
    the first frame, and the first frame with live data, are painted."""
    from connectors.sim.runner import SimLine
    from core.config import load_config as load_file
    from hmi.panel import app as panel_app
    from hmi.panel import window as panel_window
    from hmi.station import demo_shift

    print(f"MARK imported {time.time():.6f}", flush=True)
    config = load_file(config_path)
    original = panel_window.PanelWindow._paint
    seen: set[str] = set()
    sim_start = SimLine.start

    async def start(self: Any) -> None:
        await sim_start(self)
        print(f"MARK simulators_up {time.time():.6f}", flush=True)

    SimLine.start = start  # type: ignore[method-assign]
    make_history = demo_shift.make_history

    async def history(*args: Any, **kwargs: Any) -> demo_shift.DemoShift:
        shift = await make_history(*args, **kwargs)
        print(f"MARK history_written {time.time():.6f}", flush=True)
        return shift

    demo_shift.make_history = history

    async def paint(self: Any, now: float) -> None:
        await original(self, now)
        if "first" not in seen:
            seen.add("first")
            self.repaint()
            print(f"MARK first_frame {time.time():.6f}", flush=True)
        if "live" not in seen and self.model.link.station.tags:  # a LocalLink: its station's tags
            seen.add("live")
            self.repaint()
            print(f"MARK first_live_frame {time.time():.6f}", flush=True)

    panel_window.PanelWindow._paint = paint  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="ms5-bench-panel-") as folder:
        return panel_app.run_panel(
            config, Path(folder) / "panel.db", demo=demo, size=(1280, 800), seconds=seconds
        )


async def measure_startup(folder: Path, seconds: float, *, plcs_running: bool) -> Startup:
    """Start the child and read its marks. With `plcs_running` the demo line's simulated PLCs are
    served from this process before the child starts (a panel PC booting beside a running line);
    without, the child starts them itself (`ms5 panel --demo`)."""
    from connectors.sim.runner import SimLine

    config_path = folder / ("running-line.toml" if plcs_running else "demo-line.toml")
    config_path.write_text(demo_config_on_free_ports(), encoding="utf-8")
    sim: Any = None
    if plcs_running:
        sim = SimLine(load_config_file(config_path))
        await sim.start()
    argv = ["--startup-child", str(config_path), "--startup-seconds", str(seconds)]
    if not plcs_running:
        argv.append("--startup-demo")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        t0 = time.time()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "scripts.bench_panel",
            *argv,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), seconds + 60)
    finally:
        if sim is not None:
            await sim.stop()
    stdout = out.decode(errors="replace")
    result = Startup(exit_code=proc.returncode, output=stdout + err.decode(errors="replace"))
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "MARK":
            result.marks[parts[1]] = float(parts[2]) - t0
    return result


def load_config_file(path: Path) -> Config:
    from core.config import load_config as load_file

    return load_file(path)


# ------------------------------------------------------------------------------- main


def _ms(values: Sequence[float]) -> str:
    if not values:
        return "no frames"
    return (
        f"p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms ({len(values)} frames)"
    )


def _s(x: float | None) -> str:
    return "none" if x is None else f"{x:.2f} s"


def run(args: argparse.Namespace) -> BenchResult:
    import qasync
    from PySide6.QtWidgets import QApplication

    w, h = (int(v) for v in args.size.lower().split("x"))
    config = load_config(bench_config_text(args.machines))
    machines = [eq.id for eq in config.lines[0].equipment]
    print(
        f"Panel bench: {args.machines} machines x {args.hz:g} Hz into the station (no PLC), "
        f"PanelWindow {w}x{h} offscreen, {args.seconds:g} s per phase"
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with tempfile.TemporaryDirectory(prefix="ms5-bench-panel-") as tmp:
            folder = Path(tmp)
            baseline, _ = loop.run_until_complete(
                _phase("baseline", config, folder, machines, args.hz, args.baseline_seconds, window_size=None)
            )
            measured, per_screen = loop.run_until_complete(
                _phase(
                    "measured",
                    config,
                    folder,
                    machines,
                    args.hz,
                    args.seconds,
                    window_size=(w, h),
                    count_events=args.count_events,
                )
            )
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    peak = peak_mb()
    for phase, what in ((baseline, "station + feeder, no window"), (measured, "station + feeder + panel")):
        rate = phase.samples / phase.seconds if phase.seconds else 0.0
        print(f"[{phase.name}] {what}: {phase.seconds:.1f} s, {rate:.0f} samples/s")
        aim = f" (aim: <= {AIM_CPU:g}%)" if phase is measured else ""
        print(f"  CPU: {phase.cpu_pct:.1f}% of one core{aim}")
        print(f"  memory: VmRSS {phase.rss_mb:.0f} MB at the end")
    if args.count_events:
        frames = measured.frame_events
        print(
            f"  events per frame, painted as Qt paints ({len(frames)} frames; no frame times in this mode):"
        )
        for kind in COUNTED:
            per = [f.get(kind, 0) for f in frames] or [0]
            print(f"    {kind:<13} mean {statistics.fmean(per):.1f}, max {max(per)}")
        return BenchResult(baseline, measured, per_screen, peak_mb(), None, None)
    fps = len(measured.frames_ms) / measured.seconds if measured.seconds else 0.0
    print(
        f"  frames: {fps:.1f}/s; frame time (views + widgets + layouts + paint): {_ms(measured.frames_ms)} "
        f"(aim: <= {AIM_FRAME_MS:g} ms)"
    )
    print(
        f"  frame CPU time (this thread's, without the time the loaded machine gave others): "
        f"{_ms(measured.frames_cpu_ms)}"
    )
    print(f"per screen, refresh_now + repaint x{PER_SCREEN}:")
    for name, times in per_screen.items():
        print(f"  {name:<9} {_ms(times)}")
    ratio = (
        measured.cpu_s / measured.seconds / (baseline.cpu_s / baseline.seconds)
        if baseline.cpu_s > 0
        else float("nan")
    )
    print(f"panel cost: CPU ratio measured / baseline = {ratio:.2f}")
    print(f"memory peak (whole run): VmHWM {peak:.0f} MB (aim: <= {AIM_RSS_MB:g} MB)")
    running: Startup | None = None
    demo: Startup | None = None
    if args.startup_seconds > 0:
        with tempfile.TemporaryDirectory(prefix="ms5-bench-panel-") as tmp:
            running = asyncio.run(measure_startup(Path(tmp), args.startup_seconds, plcs_running=True))
            demo = asyncio.run(measure_startup(Path(tmp), args.startup_seconds, plcs_running=False))
        print(
            "start-up, process start -> first frame / first live frame (aim: the live one <= "
            f"{AIM_START_S:g} s):"
        )
        print(
            f"  run_panel, the demo line's 4 PLCs already up: {_s(running.first_frame_s)} / "
            f"{_s(running.first_live_frame_s)} (Python and imports {_s(running.marks.get('imported'))}); "
            f"exit code {running.exit_code}"
        )
        print(
            f"  run_panel demo=True, starting the 4 simulated PLCs: {_s(demo.first_frame_s)} / "
            f"{_s(demo.first_live_frame_s)} (PLCs up at {_s(demo.marks.get('simulators_up'))}, "
            f"the shift so far written at {_s(demo.marks.get('history_written'))}); "
            f"exit code {demo.exit_code}"
        )
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
        "(the figures are only as quiet as the machine)"
    )
    return BenchResult(baseline, measured, per_screen, peak, running, demo)


def main(argv: Sequence[str] | None = None) -> BenchResult | None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench_panel", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--machines", type=int, default=20)
    parser.add_argument("--hz", type=float, default=10.0, help="updates a second per machine")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured phase, seconds")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--size", default="1280x800", help="window size, WxH")
    parser.add_argument(
        "--startup-seconds", type=float, default=8.0, help="how long the start-up child runs (0: skip it)"
    )
    parser.add_argument(
        "--count-events",
        action="store_true",
        help="count the layouts, paints and re-polishes of each frame instead of timing it",
    )
    parser.add_argument("--startup-child", type=Path, metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--startup-demo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.startup_child:
        sys.exit(startup_child(args.startup_child, args.startup_seconds, demo=args.startup_demo))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run(args)


if __name__ == "__main__":
    main()
